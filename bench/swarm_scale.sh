#!/bin/sh
# Scale benchmark of the swarm: N emulated hosts in ONE swarm process against
# the emulator at the REAL poll cadence (--time-scale 1, next_instruction_seconds
# 60). The emulator runs on CPU 0, the swarm on CPU 1. Clusters of 3 masters +
# W workers arrive at a fixed rate over RAMP seconds; the run is cut after
# DURATION (exit 3 = aborted is expected). Prints RSS per host, CPU, schedule
# lateness and the call statistics, plus one JSON line.
# WORKERS "sno" runs single-node clusters instead (one host each, the
# zero-touch provisioning case); RSS is then also given per cluster.
#
# Usage: bench/swarm_scale.sh [BUILD_DIR] [CLUSTERS] [WORKERS] [RAMP_S] [DURATION] [THREADS]
#   defaults: build 20000 2 180 5m 1  (20,000 x 5 = 100,000 hosts)
# SWARM_SCALE_ARGS adds swarm options (e.g. "--series-interval 0").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
clusters=${2:-20000}
workers=${3:-2}
ramp=${4:-180}
duration=${5:-5m}
threads=${6:-1}
if [ "$workers" = sno ]; then
	hosts=$clusters
	shape="single_node: true
    num_workers: 0"
else
	hosts=$((clusters * (3 + workers)))
	shape="single_node: false
    num_workers: $workers"
fi
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# This shell and its samplers (awk, sleep) stay off the swarm's core.
taskset -cp 0 $$ >/dev/null 2>&1 || true
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-scale.XXXXXX")
emu=""
cleanup() { [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

. "$top/bench/emulator_env.sh"
emu_start "$build" "$tmp" 1
cpm=$(awk -v c="$clusters" -v r="$ramp" 'BEGIN { printf "%.3f", c * 60 / r }')
cat >"$tmp/plan.yaml" <<EOC
clusters:
  - $shape
    amount: $clusters
    name: scale
seed: 7
max_duration: $duration
arrival:
  kind: rate
  clusters_per_minute: $cpm
EOC
emu_service "$tmp"
start=$(date +%s)
# shellcheck disable=SC2086
taskset -c 1 "$build/swarm/swarm" --progress=plain --interval 30s --threads "$threads" ${SWARM_SCALE_ARGS:-} \
	--results "$tmp/results.json" "$hosts" "$tmp/plan.yaml" "$tmp/service.yaml" \
	>"$tmp/swarm.out" 2>"$tmp/swarm.err" &
sw=$!
peak=0
last=0
while kill -0 "$sw" 2>/dev/null; do
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$sw/status" 2>/dev/null || echo 0)
	[ -n "$rss" ] || rss=0
	[ "$rss" -gt "$peak" ] && peak=$rss
	[ "$rss" -gt 0 ] && last=$rss
	cpu=$(awk '{ print $14 + $15 }' "/proc/$sw/stat" 2>/dev/null || echo 0)
	[ -n "$cpu" ] && lastcpu=$cpu
	sleep 1
done
wait "$sw" || true
end=$(date +%s)
cat "$tmp/swarm.err" | tail -n 12
cat "$tmp/swarm.out"
tck=$(getconf CLK_TCK)
cpus=$(awk -v t="${lastcpu:-0}" -v k="$tck" 'BEGIN { printf "%.1f", t / k }')
wall=$((end - start))
json=$(tr -d '\n' <"$tmp/results.json")
# the run's lateness (in "schedule"; the series after it has its own per interval)
lat=$(printf "%s" "$json" | tr -d " " | sed 's/"series":.*//' | sed -n "s/.*\"lateness_seconds\":{\([^}]*\)}.*/\1/p")
lat_p99=$(printf "%s" "$lat" | sed -n "s/.*\"p99\":\([0-9.e+-]*\).*/\1/p")
echo "hosts=$hosts clusters=$clusters workers=$workers ramp_s=$ramp duration=$duration wall_s=$wall"
echo "swarm RSS: peak ${peak} KiB, at end ${last} KiB; per host: $((peak * 1024 / hosts)) B peak, $((last * 1024 / hosts)) B end"
[ "$workers" = sno ] && echo "single-node clusters: RSS per cluster (= per host) $((peak * 1024 / hosts)) B peak"
echo "swarm CPU: ${cpus} s over ${wall} s ($(awk -v c="$cpus" -v w="$wall" 'BEGIN { printf "%.1f", 100 * c / w }')% of one core)"
echo "schedule lateness (s): $lat"
# Steady state: the series intervals that start one poll period (60 s)
# after the ramp; their lateness p99 (worst and median interval) and the
# swarm's requests per CPU-second there.
if command -v jq >/dev/null 2>&1; then
	jq -r --argjson from $((ramp + 60)) '(.series.intervals // []) | map(select(.start_seconds >= $from)) |
		if length == 0 then "steady state: no series interval starts after ramp + 60 s"
		else (map(.lateness_seconds.p99) | sort) as $p |
			"steady state (\(length) intervals from \($from) s): lateness p99 per interval: median \($p[(length / 2 | floor)] * 1000 | . * 1000 | round / 1000) ms, worst \($p[-1] * 1000 | . * 1000 | round / 1000) ms; max \(map(.lateness_seconds.max) | max * 1000 | . * 1000 | round / 1000) ms; \(map(.requests) | add) requests, \((map(.requests) | add) / (map(.cpu_seconds) | add) | round) per CPU-second, errors \(map(.errors) | add)"
		end' "$tmp/results.json" || true
fi
errs=$(printf "%s" "$json" | tr -d " " | grep -o '"totals":{[^}]*}' | sed -n 's/.*"errors":\([0-9]*\).*/\1/p')
reqs=$(printf "%s" "$json" | tr -d " " | grep -o '"totals":{[^}]*}' | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')
echo "requests: ${reqs:-?}; errors: ${errs:-?}"
printf '{"bench":"swarm_scale","hosts":%s,"peak_rss_kib":%s,"end_rss_kib":%s,"cpu_s":%s,"wall_s":%s,"lateness_p99_s":"%s","requests":%s,"errors":%s}\n' \
	"$hosts" "$peak" "$last" "$cpus" "$wall" "${lat_p99:-}" "${reqs:-0}" "${errs:-0}"
cp "$tmp/results.json" "${SWARM_SCALE_RESULTS:-/tmp/swarm-scale-results.json}" 2>/dev/null || true
