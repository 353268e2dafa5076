#!/bin/sh
# Soak benchmark: a continuous run (plan key `soak`) with HOSTS emulated hosts
# in flight for DURATION against the emulator (CPU 0; the swarm on CPU 1):
# clusters start as soon as MAX_CONCURRENT allows (arrival asap: a closed
# loop that keeps HOSTS in flight), each is deleted RETENTION after it
# finished, results snapshots every minute, a 5-minute rolling window.
# Samples the swarm's RSS and open fds every SAMPLE seconds and prints, after
# WARMUP: the RSS drift (last sample against the first after the warm-up),
# the fd range, the clusters started / installed / failed and the lost ones
# (started but neither installed nor failed once the run drained), the
# emulator's own RSS and live clusters at the end, plus one JSON line.
#
# Usage: bench/soak.sh [BUILD_DIR] [HOSTS] [DURATION_S] [WARMUP_S] [TIME_SCALE] [SAMPLE_S]
#   defaults: build 10000 4500 900 1 60  (a 15-minute warm-up, then 1 hour at 10^4 hosts, real poll cadence)
# Run it under a shared lock (`flock LOCKFILE ...`) when others measure on the machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
hosts=${2:-10000}
duration=${3:-4500}
warmup=${4:-900}
scale=${5:-1}
sample=${6:-60}
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
taskset -cp 0 $$ >/dev/null 2>&1 || true
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-soak.XXXXXX")
emu=""
cleanup() { [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

. "$top/bench/emulator_env.sh"
emu_start "$build" "$tmp" "$scale"
# SNO and compact clusters, 3:1 by weight: a cluster lives about 5 minutes
# of plan time, so the run deletes and recreates the whole fleet many times.
cat >"$tmp/plan.yaml" <<EOC
clusters:
  - {single_node: true, num_workers: 0, amount: 3}
  - {single_node: false, num_workers: 0, amount: 1}
seed: 11
timings: {time_scale: $scale}
soak:
  duration: ${duration}s
  retention: 60s
  snapshot_interval: 60s
  window: 5m
cleanup: true
EOC
emu_service "$tmp"
# A fixed pool of connections, so the descriptor count shows leaks, not the
# pool breathing with the load.
echo "max_connections: 16" >>"$tmp/service.yaml"
start=$(date +%s)
taskset -c 1 "$build/swarm/swarm" --progress=plain --interval 60s --series-interval 10s \
	--results "$tmp/results.json" "$hosts" "$tmp/plan.yaml" "$tmp/service.yaml" \
	>"$tmp/swarm.out" 2>"$tmp/swarm.err" &
sw=$!
: >"$tmp/samples"
while kill -0 "$sw" 2>/dev/null; do
	sleep "$sample"
	t=$(( $(date +%s) - start ))
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$sw/status" 2>/dev/null || true)
	fds=$(ls "/proc/$sw/fd" 2>/dev/null | wc -l)
	[ -n "$rss" ] && echo "$t $rss $fds" | tee -a "$tmp/samples"
done
rc=0
wait "$sw" || rc=$?
end=$(( $(date +%s) - start ))
emu_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$emu/status" 2>/dev/null || echo 0)
live=$(curl -fsS "http://127.0.0.1:$port/debug/state" | jq '.clusters | length')
R=$tmp/results.json
# Steady state: after the warm-up, before the end of admission (the drain
# and the final deletions are not the steady state).
awk -v w="$warmup" -v d="$duration" '$1 >= w && $1 <= d' "$tmp/samples" >"$tmp/steady"
[ -s "$tmp/steady" ] || { echo "no sample after the warm-up ($warmup s)"; cat "$tmp/samples"; exit 1; }
read -r t0 r0 f0 <"$tmp/steady"
read -r t1 r1 f1 <<EOF
$(tail -n1 "$tmp/steady")
EOF
rmax=$(awk 'BEGIN { m = 0 } { if ($2 > m) m = $2 } END { print m }' "$tmp/steady")
fmin=$(awk 'NR == 1 { m = $3 } { if ($3 < m) m = $3 } END { print m }' "$tmp/steady")
fmax=$(awk 'BEGIN { m = 0 } { if ($3 > m) m = $3 } END { print m }' "$tmp/steady")
drift=$(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%.2f", 100 * (b - a) / a }')
peakdrift=$(awk -v a="$r0" -v b="$rmax" 'BEGIN { printf "%.2f", 100 * (b - a) / a }')
started=$(jq '.totals.clusters_started' "$R")
installed=$(jq '.totals.clusters_installed' "$R")
failed=$(jq '.totals.clusters_failed' "$R")
lost=$((started - installed - failed))
echo "swarm exit $rc after ${end}s; $hosts hosts in flight, time scale $scale"
echo "RSS from the ${warmup}s warm-up to the end of admission (${duration}s): ${r0} KiB at ${t0}s -> ${r1} KiB at ${t1}s: drift ${drift}% (peak ${rmax} KiB, +${peakdrift}%)"
echo "open fds: ${fmin}..${fmax} (first ${f0}, last ${f1})"
echo "clusters: ${started} started, ${installed} installed, ${failed} failed, ${lost} lost; $(jq '.totals.requests' "$R") requests, $(jq '.totals.errors' "$R") errors"
echo "deleted by retention: $(jq '.endpoints.delete_cluster.count // 0' "$R") clusters; records compacted: $(jq '.totals.cluster_records_compacted' "$R"); series intervals: $(jq '.series.intervals | length' "$R")"
echo "emulator at the end: RSS ${emu_rss} KiB, ${live} clusters"
printf '{"bench":"soak","hosts":%s,"duration_s":%s,"warmup_s":%s,"time_scale":%s,"rss_kib_after_warmup":%s,"rss_kib_end":%s,"rss_drift_pct":%s,"rss_peak_drift_pct":%s,"fds_min":%s,"fds_max":%s,"clusters_started":%s,"clusters_installed":%s,"clusters_failed":%s,"clusters_lost":%s,"exit":%s}\n' \
	"$hosts" "$duration" "$warmup" "$scale" "$r0" "$r1" "$drift" "$peakdrift" "$fmin" "$fmax" "$started" "$installed" "$failed" "$lost" "$rc"
