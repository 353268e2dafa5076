# Shared by the report and observability tests (sourced): a private
# emulator on a free loopback port, a service config for it, cleanup.
# Needs SWARM_BUILD_ROOT and SWARM_SOURCE_ROOT (meson sets them).
build=${SWARM_BUILD_ROOT:?}
src=${SWARM_SOURCE_ROOT:?}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-report.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

free_port() { # a random loopback port nobody listens on
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 30000 ))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# start_emulator [EXTRA ARGS...]: sets $eport
start_emulator() {
	"$build/tools/assisted-emulator/assisted-emulator" --listen 127.0.0.1:0 --time-scale 60 "$@" \
		>"$tmp/emu.out" 2>&1 &
	pids="$pids $!"
	i=0
	until grep -q "listening on" "$tmp/emu.out"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "emulator did not start: $(cat "$tmp/emu.out")"
		sleep 0.05
	done
	eport=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\) .*/\1/p' "$tmp/emu.out" | head -n1)
	[ -n "$eport" ] || fail "no emulator port in: $(cat "$tmp/emu.out")"
}

# service_yaml FILE: a service config for the emulator, scraping its /metrics
service_yaml() {
	sed -e "s#^service_endpoint:.*#service_endpoint: \"http://127.0.0.1:$eport\"#" \
		-e "s#^pull_secret_file:.*#pull_secret_file: \"$src/scenarios/emulator-pull-secret.json\"#" \
		"$src/scenarios/default/service.yaml" >"$1"
	cat >>"$1" <<EOS
service_metrics:
  url: "http://127.0.0.1:$eport/metrics"
  interval: 500ms
  families: [emulator_clusters, emulator_hosts]
EOS
}

# run_swarm RESULTS [SWARM ARGS...]: one run of tests/report/plan.yaml (or
# of $SWARM_REPORT_PLAN, e.g. the demo's scenarios/default/plan.yaml); sets $rc
run_swarm() {
	out=$1; shift
	rc=0
	"$build/swarm/swarm" --progress=off --series-interval 1s --results "$out" "$@" 200 \
		"${SWARM_REPORT_PLAN:-$src/tests/report/plan.yaml}" "$tmp/service.yaml" >"$out.stdout" 2>"$out.stderr" || rc=$?
}
