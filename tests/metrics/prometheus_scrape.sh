#!/bin/sh
# A real Prometheus server scrapes the emulator's and the swarm's /metrics
# while the swarm runs the default scenario; then the test checks that:
#  - both expositions pass `promtool check metrics`,
#  - Prometheus ingested both targets (up == 1) and their key series,
#  - the emulator's count of installed clusters, the swarm's metric and the
#    swarm's results file all agree.
# Exit 77 (skip) only when prometheus/promtool are not installed.
set -eu
build=${SWARM_BUILD_ROOT:?}
src=${SWARM_SOURCE_ROOT:?}
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || {
	echo "prometheus not installed: skipping"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-prom.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

. "$src/tests/fixtures/free_port.sh"

"$build/tools/assisted-emulator/assisted-emulator" --listen 127.0.0.1:0 --time-scale 60 \
	>"$tmp/emu.out" 2>&1 &
pids="$pids $!"
i=0
until grep -q "listening on" "$tmp/emu.out"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "emulator did not start: $(cat "$tmp/emu.out")"
	sleep 0.05
done
eport=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\) .*/\1/p' "$tmp/emu.out" | head -n1)
[ -n "$eport" ] || fail "no emulator port in: $(cat "$tmp/emu.out")"
sport=$(free_port)
pport=$(free_port)

cat >"$tmp/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: emulator
    static_configs: [{targets: ["127.0.0.1:$eport"]}]
  - job_name: swarm
    static_configs: [{targets: ["127.0.0.1:$sport"]}]
EOC
promtool check config "$tmp/prometheus.yml" >/dev/null || fail "promtool rejects the scrape config"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
pids="$pids $!"
i=0
until curl -fsS "http://127.0.0.1:$pport/-/ready" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "prometheus not ready: $(tail -n 5 "$tmp/prom.log")"
	sleep 0.1
done

sed -e "s#^service_endpoint:.*#service_endpoint: \"http://127.0.0.1:$eport\"#" \
	-e "s#^pull_secret_file:.*#pull_secret_file: \"$src/scenarios/emulator-pull-secret.json\"#" \
	"$src/scenarios/default/service.yaml" >"$tmp/service.yaml"

"$build/swarm/swarm" --progress=off --metrics "127.0.0.1:$sport" --results "$tmp/results.json" \
	200 "$src/scenarios/default/plan.yaml" "$tmp/service.yaml" >"$tmp/swarm.out" 2>&1 &
swarm=$!
# Grab one exposition of each side mid-run for promtool.
i=0
until curl -fsS "http://127.0.0.1:$sport/metrics" >"$tmp/swarm.prom" 2>/dev/null; do
	kill -0 "$swarm" 2>/dev/null || fail "swarm exited before /metrics answered: $(tail -n 20 "$tmp/swarm.out")"
	i=$((i + 1)); [ $i -lt 300 ] || fail "swarm /metrics never answered: $(tail -n 20 "$tmp/swarm.out")"
	sleep 0.1
done
sleep 3   # let Prometheus scrape the running swarm a few times
curl -fsS "http://127.0.0.1:$sport/metrics" >"$tmp/swarm.prom" || true
rc=0
wait "$swarm" || rc=$?
[ $rc -eq 0 ] || fail "swarm exited $rc: $(tail -n 20 "$tmp/swarm.out")"
curl -fsS "http://127.0.0.1:$eport/metrics" >"$tmp/emu.prom" || fail "emulator /metrics"
promtool check metrics <"$tmp/swarm.prom" || fail "promtool rejects the swarm's exposition"
promtool check metrics <"$tmp/emu.prom" || fail "promtool rejects the emulator's exposition"
sleep 2   # one more scrape of the emulator after the run

query() { # PromQL -> first value, or empty
	curl -fsS "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
up_swarm=$(query 'max_over_time(up{job="swarm"}[10m])')
up_emu=$(query 'max_over_time(up{job="emulator"}[10m])')
[ "$up_swarm" = 1 ] || fail "Prometheus never scraped the swarm (up=$up_swarm)"
[ "$up_emu" = 1 ] || fail "Prometheus never scraped the emulator (up=$up_emu)"
polls=$(query 'max_over_time(emulator_requests_total{operation="v2GetNextSteps",code="200"}[10m])')
[ -n "$polls" ] && [ "${polls%%.*}" -gt 0 ] || fail "no instruction polls recorded by the emulator ($polls)"
swreq=$(query 'sum(max_over_time(swarm_http_requests_total[10m]))')
[ -n "$swreq" ] && [ "${swreq%%.*}" -gt 0 ] || fail "no swarm requests in Prometheus ($swreq)"

expected=$(jq '.totals.clusters_installed' "$tmp/results.json")
emu_installed=$(query 'max_over_time(emulator_clusters{status="installed"}[10m])')
[ -n "$expected" ] && [ "$expected" -gt 0 ] || fail "results file has no installed clusters"
[ "$emu_installed" = "$expected" ] ||
	fail "emulator reports $emu_installed installed clusters, swarm results $expected"
echo "ok: prometheus scraped both; $expected clusters installed on both sides; $polls polls"
