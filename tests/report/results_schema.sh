#!/bin/sh
# A real run's results file (time series, histograms, scraped service
# metrics, a failed push) is valid against scenarios/results.schema.json
# (Ajv), and the schema rejects what it must. Also checks the series
# against the totals: every request and error lands in exactly one interval.
set -eu
. "$(dirname "$0")/../fixtures/swarm_env.sh"
command -v node >/dev/null 2>&1 || skip "node not installed"
[ -d "$src/tests/emulator/conformance/node_modules/ajv" ] ||
	skip "Ajv not installed (run tests/emulator/conformance/install.sh)"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
schema="$src/scenarios/results.schema.json"
check() { node "$src/tests/report/results_schema.js" "$schema" "$@"; }

start_emulator --fault-error v2GetNextSteps:0.05:503
service_yaml "$tmp/service.yaml"
dead=$(free_port)   # nothing listens there: the push must fail
run_swarm "$tmp/r.json" --push "http://127.0.0.1:$dead"
[ "$rc" -eq 5 ] || fail "a run whose push failed should exit 5, got $rc: $(tail -n 5 "$tmp/r.json.stderr")"
grep -q "push to the Pushgateway http://127.0.0.1:$dead failed" "$tmp/r.json.stderr" ||
	fail "no push failure message: $(cat "$tmp/r.json.stderr")"
check "$tmp/r.json" || fail "results file not valid against the schema"

jq -e '.schema_version == 2 and .passed == true and .exit_code == 5 and .push.ok == false' "$tmp/r.json" >/dev/null ||
	fail "passed/exit_code/push: $(jq -c '{passed, exit_code, push}' "$tmp/r.json")"
jq -e '([.series.intervals[].requests] | add) == .totals.requests' "$tmp/r.json" >/dev/null ||
	fail "interval requests do not add up to totals.requests"
jq -e '([.series.intervals[].errors] | add) == .totals.errors and .totals.errors > 0' "$tmp/r.json" >/dev/null ||
	fail "interval errors do not add up to totals.errors (or no injected error was seen)"
jq -e '([.series.intervals[] | .operations[]?.latency_seconds.histogram.count] | add) ==
	([.endpoints[].service_histogram.count] | add)' "$tmp/r.json" >/dev/null ||
	fail "interval histograms do not add up to the run histograms"
jq -e '.series.intervals[-1].clusters.installed == .totals.clusters_installed' "$tmp/r.json" >/dev/null ||
	fail "last interval's installed clusters differ from the totals"
jq -e '[.series.intervals[] | select(.service_metrics.emulator_clusters)] | length > 0' "$tmp/r.json" >/dev/null ||
	fail "no scraped service metrics in the series"
jq -e '.service_metrics.scrapes > 0 and .service_metrics.failures == 0' "$tmp/r.json" >/dev/null ||
	fail "service_metrics status: $(jq -c .service_metrics "$tmp/r.json")"

# The schema is not a rubber stamp: each of these must be refused.
jq '.schema_version = 1' "$tmp/r.json" >"$tmp/bad1.json"
jq 'del(.totals)' "$tmp/r.json" >"$tmp/bad2.json"
jq '.series.intervals[0].operations.get_next_steps.latency_seconds.histogram.b = ["x"]' "$tmp/r.json" >"$tmp/bad3.json"
jq '.endpoints.no_such_operation = .endpoints.get_next_steps' "$tmp/r.json" >"$tmp/bad4.json"
for b in 1 2 3 4; do
	if check "$tmp/bad$b.json" >/dev/null 2>&1; then fail "schema accepted bad$b.json"; fi
done
echo "ok: results valid (schema 2), series add up to the totals, 4 bad documents refused"
