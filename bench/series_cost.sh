#!/bin/sh
# Cost of the time series at scale. Runs bench/swarm_scale.sh (one swarm
# process, CLUSTERS x 5 hosts at the real poll cadence) alternately with
# --series-interval 0 (off) and 10s (on), ROUNDS times each, and prints:
#  - swarm process CPU per request, off vs on (goal: on <= off + 3 %);
#  - the results file size, and the size of a 1-hour run computed from the
#    steady-state bytes per interval (360 intervals of 10 s);
#  - swarm-report's time on a 1-hour file: the measured run's steady-state
#    intervals repeated to 360 (goal <= 2 s);
# then one JSON line.
# Usage: bench/series_cost.sh [BUILD_DIR] [CLUSTERS] [RAMP_S] [DURATION] [ROUNDS]
#   defaults: build 20000 120 3m 2   (100,000 hosts, 3-minute runs)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
clusters=${2:-20000}
ramp=${3:-120}
duration=${4:-3m}
rounds=${5:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-series.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run() { # label args -> appends "label cpu_s requests" to $tmp/runs
	SWARM_SCALE_ARGS="$2" SWARM_SCALE_RESULTS="$tmp/$1.json" \
		sh "$top/bench/swarm_scale.sh" "$build" "$clusters" 2 "$ramp" "$duration" >"$tmp/$1.log" 2>&1 || true
	cpu=$(sed -n 's/.*"cpu_s":\([0-9.]*\).*/\1/p' "$tmp/$1.log" | tail -n1)
	req=$(jq .totals.requests "$tmp/$1.json")
	echo "$1 $cpu $req" >>"$tmp/runs"
	echo "run $1 ($2): cpu ${cpu}s, $req requests, $(awk -v c="$cpu" -v r="$req" 'BEGIN { printf "%.2f", c * 1e6 / r }') us/request"
}
i=0
while [ $i -lt "$rounds" ]; do
	run "off$i" "--series-interval 0"
	run "on$i" "--series-interval 10s"
	i=$((i + 1))
done
off=$(awk '$1 ~ /^off/ { c += $2; r += $3 } END { printf "%.3f", c * 1e6 / r }' "$tmp/runs")
on=$(awk '$1 ~ /^on/ { c += $2; r += $3 } END { printf "%.3f", c * 1e6 / r }' "$tmp/runs")
pct=$(awk -v a="$off" -v b="$on" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
echo "swarm CPU per request: series off $off us, on $on us ($pct %)"

res="$tmp/on0.json"
size=$(wc -c <"$res")
niv=$(jq '.series.intervals | length' "$res")
# steady state: intervals after the arrival ramp
jq -c --argjson r "$ramp" '[.series.intervals[] | select(.start_seconds >= $r)]' "$res" >"$tmp/steady.json"
nst=$(jq length "$tmp/steady.json")
per=$(jq -c '.[]' "$tmp/steady.json" | awk '{ b += length($0) + 4 } END { printf "%.0f", b / NR }')
noseries=$(jq -c 'del(.series)' "$res" | wc -c)
est=$(awk -v b="$noseries" -v p="$per" 'BEGIN { printf "%.0f", b + 360 * p }')
echo "results file: $size bytes with $niv intervals; $per bytes per steady-state interval ($nst measured)"
echo "1-hour run at 10 s: about $est bytes ($((est / 1048576)) MiB) = $noseries without series + 360 x $per"

# A 1-hour file: the steady intervals repeated to 360, times shifted
# (compact, as the swarm writes its intervals).
jq -c --slurpfile st "$tmp/steady.json" '
	.series.intervals = [range(0; 360) as $i | $st[0][$i % ($st[0] | length)]
		| .start_seconds = ($i * 10) | .end_seconds = ($i * 10 + 10)]' "$res" >"$tmp/hour.json"
hsize=$(wc -c <"$tmp/hour.json")
best=""
for k in 1 2 3; do
	t0=$(date +%s.%N)
	"$build/tools/swarm-report/swarm-report" "$tmp/hour.json" -o "$tmp/hour.html"
	t1=$(date +%s.%N)
	t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	echo "swarm-report on the 1-hour file ($hsize bytes): ${t}s"
	best=$(awk -v a="${best:-999}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
done
printf '{"bench":"series_cost","hosts":%d,"duration":"%s","cpu_us_per_req_off":%s,"cpu_us_per_req_on":%s,"cpu_delta_pct":%s,"results_bytes":%s,"bytes_per_interval":%s,"est_1h_bytes":%s,"hour_file_bytes":%s,"report_s":%s}\n' \
	$((clusters * 5)) "$duration" "$off" "$on" "$pct" "$size" "$per" "$est" "$hsize" "$best"
