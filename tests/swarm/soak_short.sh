#!/bin/sh
# soak_short: a shortened soak run (README "Soak and continuous runs"),
# time-scaled: clusters arrive at a steady rate for 70 s, each is deleted 5 s
# after it finished, results snapshots every 10 s. Checks, from samples of
# the swarm's /proc every 5 s after a 25 s warm-up: resident memory within
# 15 % of its first sample and open file descriptors within 4 (a pool of
# 4 connections; flat: no
# growth with the run's length; the 1-hour benchmark bench/soak.sh measures
# the drift precisely); no lost cluster (every started one installed or
# failed, none failed); the records compacted, the series bounded; the
# service kept only the clusters inside the retention (the emulator frees
# deleted ones); a snapshot mid-run is a valid results file and /metrics
# has the rolling window; after a
# `swarm cleanup` nothing of the run is left.
set -eu
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/swarm_env.sh"
SW=$build/swarm/swarm
command -v jq >/dev/null 2>&1 || skip "jq is needed"
start_emulator --seed 4
PORT=$eport
cat >"$tmp/svc.yaml" <<EOF
service_endpoint: "http://127.0.0.1:$PORT"
ssh_pub_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheSwarmEndToEndTestOnly swarm@e2e"
pull_secret_file: "$src/scenarios/emulator-pull-secret.json"
release_image: "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"
max_connections: 4
EOF
cat >"$tmp/plan.yaml" <<EOF
clusters:
  - {single_node: true, num_workers: 0, amount: 3}
  - {single_node: false, num_workers: 1, amount: 1}
seed: 5
arrival: {kind: rate, clusters_per_minute: 240, poisson: true}
timings: {time_scale: 60}
soak:
  duration: 70s
  retention: 5s
  snapshot_interval: 10s
  window: 20s
  series_intervals: 24
  keep_failed_records: 10
thresholds:
  clusters_failed: ["count == 0"]
  request_errors: ["rate < 0.01"]
EOF
mport=$(free_port)
"$SW" --progress off --series-interval 1s --metrics "127.0.0.1:$mport" -r "$tmp/soak.json" 200 \
	"$tmp/plan.yaml" "$tmp/svc.yaml" \
	>"$tmp/sw.out" 2>"$tmp/sw.err" &
SW_PID=$!
pids="$pids $SW_PID"
t=0
: >"$tmp/samples"
while kill -0 "$SW_PID" 2>/dev/null && [ $t -lt 150 ]; do
	sleep 5; t=$((t + 5))
	if [ $t -ge 25 ] && [ $t -le 65 ]; then
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SW_PID/status" 2>/dev/null || echo 0)
		fds=$(ls "/proc/$SW_PID/fd" 2>/dev/null | wc -l)
		echo "$t $rss $fds" >>"$tmp/samples"
	fi
	if [ $t = 30 ]; then # a snapshot mid-run: a whole results file, marked running
		jq -e '.exit_reason == "running" and .exit_code == null and .soak.snapshot == true and
		       (.series.intervals | length) > 0' "$tmp/soak.json" >/dev/null || fail "snapshot at 30 s"
		cp "$tmp/soak.json" "$tmp/snapshot.json"
		# the rolling window on /metrics
		curl -fsS "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt" || fail "/metrics"
		awk '/^swarm_window_requests_per_second / { ok = $2 > 0 } /^swarm_window_seconds / { w = $2 }
		     END { exit !(ok && w > 0 && w <= 20) }' "$tmp/metrics.txt" ||
			fail "no rolling window on /metrics: $(grep swarm_window "$tmp/metrics.txt")"
	fi
done
rc=0; wait "$SW_PID" || rc=$?
[ "$rc" = 0 ] || fail "soak run: exit $rc: $(tail -n 5 "$tmp/sw.err")"
cat "$tmp/samples"
[ "$(wc -l <"$tmp/samples")" -ge 8 ] || fail "too few samples"
# A sanitizer's allocator keeps freed memory in quarantine: RSS says nothing
# there, descriptors still do.
rss_limit=1.15
if grep -a -q -E '__(asan|tsan|msan)_init' "$SW"; then
	rss_limit=1000
	echo "note: a sanitizer build: resident memory not checked"
fi
awk -v lim="$rss_limit" 'NR == 1 { r0 = $2; f0 = $3; rmax = $2; fmin = $3; fmax = $3 }
     { if ($2 > rmax) rmax = $2; if ($3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3 }
     END { printf "rss %d..%d KiB (+%.1f%%), fds %d..%d\n", r0, rmax, 100 * (rmax - r0) / r0, fmin, fmax;
           if (rmax > r0 * lim || fmax - fmin > 4) exit 1 }' "$tmp/samples" || fail "memory or fds not flat"
R=$tmp/soak.json
jq -e '.totals.clusters_started == .totals.clusters_installed + .totals.clusters_failed and
       .totals.clusters_failed == 0 and .totals.clusters_started >= 150' "$R" >/dev/null ||
	fail "lost or failed clusters: $(jq -c '.totals | {clusters_started, clusters_installed, clusters_failed}' "$R")"
jq -e '.totals.cluster_records_compacted > 0 and (.clusters | length) < 100 and
       (.series.intervals | length) <= 24 and .soak.snapshots >= 5 and (.thresholds | all(.passed))' "$R" >/dev/null ||
	fail "compaction/series/snapshots: $(jq -c '{c: .totals.cluster_records_compacted, r: (.clusters | length), s: (.series.intervals | length), soak}' "$R")"
del=$(jq '.endpoints.delete_cluster.count' "$R")
[ "$del" -ge 100 ] || fail "retention deleted only $del clusters"
run=$(jq -r .run_id "$R")
curl -fsS "http://127.0.0.1:$PORT/debug/state" >"$tmp/state.json"
kept=$(jq --arg r "$run" '[.clusters[] | select(.name | contains($r))] | length' "$tmp/state.json")
[ "$kept" -le 60 ] || fail "the service keeps $kept clusters of the run (retention 5 s)"
if command -v node >/dev/null 2>&1 && [ -d "$src/tests/emulator/conformance/node_modules/ajv" ]; then
	node "$src/tests/report/results_schema.js" "$src/scenarios/results.schema.json" "$R" "$tmp/snapshot.json" >/dev/null ||
		fail "soak results or snapshot not valid against the schema"
fi
"$SW" cleanup -q "$tmp/svc.yaml" "$R.journal" || fail "cleanup"
curl -fsS "http://127.0.0.1:$PORT/debug/state" >"$tmp/state.json"
[ "$(jq --arg r "$run" '[.clusters[] | select(.name | contains($r))] | length' "$tmp/state.json")" = 0 ] ||
	fail "cleanup left clusters"
echo "ok soak: $(jq -c '.totals | {clusters_started, clusters_installed, clusters_failed, cluster_records_compacted}' "$R"), $del deleted by retention, $kept kept at the end, 0 lost"
