#!/bin/sh
# End to end with real components: Debian's Prometheus (1 s scrapes, the
# rules of tools/observability/ evaluated every second) and Pushgateway on
# loopback, the emulator (injecting 5xx) and a swarm run with --metrics and
# a push. Checks through Prometheus's HTTP API that:
#  - the scraped swarm counters equal the results file (requests, errors,
#    installed clusters; histogram _count = requests), and so does the
#    emulator's installed-cluster gauge;
#  - the pushed group (job from the service config, instance = run id)
#    holds the same totals, and swarm_run_passed is 1;
#  - every rule evaluates without error and the recording rules produce data;
#  - every expression of the Grafana dashboard (variables substituted) runs
#    without error, and the golden-signal panels return data.
set -eu
. "$(dirname "$0")/../fixtures/swarm_env.sh"
for c in prometheus promtool prometheus-pushgateway jq curl; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
obs="$src/tools/observability"

start_emulator --fault-error v2GetNextSteps:0.05:503
service_yaml "$tmp/service.yaml"
start_pushgateway
cat >>"$tmp/service.yaml" <<EOC
pushgateway:
  url: "http://127.0.0.1:$gport/"
  job: swarm-push
EOC
sport=$(free_port)
pport=$(free_port)
sed 's/^    interval: 15s$/    interval: 1s/' "$obs/prometheus-rules.yml" >"$tmp/rules.yml"
cat >"$tmp/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: ["$tmp/rules.yml"]
scrape_configs:
  - job_name: swarm
    static_configs: [{targets: ["127.0.0.1:$sport"]}]
  - job_name: emulator
    static_configs: [{targets: ["127.0.0.1:$eport"]}]
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{targets: ["127.0.0.1:$gport"]}]
EOC
promtool check config "$tmp/prometheus.yml" >/dev/null || fail "promtool rejects the test config"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
pids="$pids $!"
i=0
until curl -fsS "http://127.0.0.1:$pport/-/ready" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "prometheus not ready: $(tail -n 3 "$tmp/prom.log")"
	sleep 0.1
done

# --metrics-linger: Prometheus scrapes the final counts before /metrics goes away.
run_swarm "$tmp/r.json" --metrics "127.0.0.1:$sport" --metrics-linger 3s
[ "$rc" -eq 0 ] || fail "swarm exited $rc: $(tail -n 5 "$tmp/r.json.stderr")"
grep -q "metrics pushed to http://127.0.0.1:$gport/ (job swarm-push" "$tmp/r.json.stderr" ||
	fail "no push: $(cat "$tmp/r.json.stderr")"
sleep 2   # one more scrape of the emulator and the Pushgateway

query() { # PromQL -> the first value ("" when the result is empty); fails on a query error
	curl -fsS "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" >"$tmp/q.json" ||
		fail "query failed: $1: $(cat "$tmp/q.json" 2>/dev/null)"
	jq -e '.status == "success"' "$tmp/q.json" >/dev/null || fail "query error: $1: $(cat "$tmp/q.json")"
	jq -r '.data.result[0].value[1] // ""' "$tmp/q.json"
}
same() { # what got want
	[ "$2" = "$3" ] || fail "$1: Prometheus says '$2', the results file $3"
}
run_id=$(jq -r .run_id "$tmp/r.json")
req=$(jq .totals.requests "$tmp/r.json")
err=$(jq .totals.errors "$tmp/r.json")
inst=$(jq .totals.clusters_installed "$tmp/r.json")
[ "$err" -gt 0 ] || fail "the emulator injected no error the swarm saw"
same "requests (scraped)" "$(query 'sum(max_over_time(swarm_http_requests_total{job="swarm"}[10m]))')" "$req"
same "request histogram count (scraped)" \
	"$(query 'sum(max_over_time(swarm_http_request_duration_seconds_count{job="swarm"}[10m]))')" "$req"
same "errors (scraped)" "$(query 'sum(max_over_time(swarm_http_request_errors_total{job="swarm"}[10m]))')" "$err"
same "installed clusters (scraped)" "$(query 'max_over_time(swarm_clusters_installed_total{job="swarm"}[10m])')" "$inst"
same "installed clusters (emulator)" "$(query 'max_over_time(emulator_clusters{job="emulator",status="installed"}[10m])')" "$inst"
pg="job=\"swarm-push\",instance=\"$run_id\""
same "requests (pushed)" "$(query "sum(swarm_http_requests_total{$pg})")" "$req"
same "errors (pushed)" "$(query "sum(swarm_http_request_errors_total{$pg})")" "$err"
same "installed clusters (pushed)" "$(query "swarm_clusters_installed_total{$pg}")" "$inst"
same "run passed (pushed)" "$(query "swarm_run_passed{$pg}")" 1
curl -fsS "http://127.0.0.1:$gport/metrics" | grep -q "swarm_run_exit_code{instance=\"$run_id\",job=\"swarm-push\"} 0" ||
	fail "the Pushgateway does not hold the run's group"
jq -e '.push.ok == true and .push.job == "swarm-push"' "$tmp/r.json" >/dev/null || fail "results push: $(jq -c .push "$tmp/r.json")"

# Rules: all healthy, recording rules produced data.
curl -fsS "http://127.0.0.1:$pport/api/v1/rules" >"$tmp/rules.json"
bad=$(jq -r '[.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.lastError)"] | join("; ")' "$tmp/rules.json")
[ -z "$bad" ] || fail "rules not healthy: $bad"
[ "$(jq '[.data.groups[].rules[]] | length' "$tmp/rules.json")" -eq 14 ] || fail "not every rule loaded"
for r in swarm:http_requests:rate1m swarm:http_request_duration_seconds:p99_1m swarm:schedule_lateness_seconds:p99_1m; do
	[ -n "$(query "max(max_over_time(${r}[10m]))")" ] || fail "recording rule $r has no data"
done

# Dashboard: every target and variable query, with the variables filled in.
jq -r '.panels[].targets[]?.expr, (.templating.list[] | select(.type == "query") | .definition)' \
	"$obs/grafana-dashboard.json" >"$tmp/exprs"
nq=0; empty=0
while IFS= read -r e; do
	e=$(printf '%s' "$e" | sed -e 's/\$__rate_interval/5s/g' -e 's/\$job/swarm/g' -e 's/\$instance/.*/g' \
		-e 's/\$operation/.*/g' -e 's/\$service_job/emulator/g' \
		-e 's/^label_values(\(.*\), *[a-z_]*)$/\1/')
	# a range query over the run, as Grafana sends it
	now=$(date +%s)
	curl -fsS "http://127.0.0.1:$pport/api/v1/query_range" --data-urlencode "query=$e" \
		--data-urlencode "start=$((now - 60))" --data-urlencode "end=$now" --data-urlencode "step=1" \
		>"$tmp/q.json" || fail "dashboard query failed: $e: $(cat "$tmp/q.json")"
	jq -e '.status == "success"' "$tmp/q.json" >/dev/null || fail "dashboard query error: $e"
	nq=$((nq + 1))
	if jq -e '.data.result | length == 0' "$tmp/q.json" >/dev/null; then
		empty=$((empty + 1)); echo "no data (ok, nothing to show in this run): $e"
	fi
done <"$tmp/exprs"
[ "$nq" -ge 30 ] || fail "only $nq dashboard queries found"
[ "$empty" -le 3 ] || fail "$empty of $nq dashboard queries returned no data"
echo "ok: $req requests, $err errors, $inst clusters agree (scraped, pushed, results); $nq dashboard queries ran"
