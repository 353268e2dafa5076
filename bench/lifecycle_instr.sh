#!/bin/sh
# Load-independent cost per request of the swarm over the full lifecycle mix:
# instructions per request (valgrind --tool=callgrind) and syscalls per
# request (strace -c -f), each from its own run of the same plan (seed 3)
# against the emulator. Wall time and sampling rates change with the
# machine's other load; these counts hardly do, so they compare two builds
# on a busy machine (bench/lifecycle_cpu.sh gives the requests per
# CPU-second, on a quiet one).
#
# Two instruction figures are printed: all instructions of the process
# (start-up and the results file included) per request, and the request
# work: the shard loops' instructions minus the 250 ms statistics
# publishing (which costs per second of run, not per request, and grows
# with valgrind's slow-down) per request. Under valgrind the swarm runs
# about 50 times slower: the emulator's time scale (default 30) must leave
# it time to keep up, or hosts time out and the mix changes (the script
# prints the errors).
#
# Usage: bench/lifecycle_instr.sh [BUILD_DIR] [SNO] [COMPACT] [TIME_SCALE]   (default 100 20 30)
#   SWARM_BENCH_SWARM names another swarm binary (before/after comparisons
#   against the same emulator).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
sno=${2:-100}
compact=${3:-20}
scale=${4:-30}
swarm=${SWARM_BENCH_SWARM:-$build/swarm/swarm}
for t in valgrind strace callgrind_annotate; do
	command -v $t >/dev/null 2>&1 || { echo "lifecycle_instr: $t not installed" >&2; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-instr.XXXXXX")
emu=""
cleanup() {
	[ -n "$emu" ] && kill "$emu" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
. "$top/bench/emulator_env.sh"

# totals FILE: "requests errors installed" of a results file
totals() {
	tot=$(tr -d ' \n' <"$1" | grep -o '"totals":{[^}]*}')
	for k in requests errors clusters_installed; do
		printf '%s ' "$(printf '%s' "$tot" | sed -n "s/.*\"$k\":\([0-9]*\).*/\1/p")"
	done
}

# one run under TOOL (callgrind | strace) with a fresh emulator
run() {
	emu_start "$build" "$tmp" "$scale"
	cat >"$tmp/plan.yaml" <<EOC
clusters:
  - {single_node: true, num_workers: 0, amount: $sno, name: sno}
  - {single_node: false, num_workers: 0, amount: $compact, name: compact}
shuffle: true
seed: 3
max_duration: 15m
arrival: {kind: rate, clusters_per_minute: 6000}
timings: {time_scale: $scale}
EOC
	emu_service "$tmp"
	rm -f "$tmp/results.json"
	set -- "$swarm" --progress=off --results "$tmp/results.json" 100000 "$tmp/plan.yaml" "$tmp/service.yaml"
	case $tool in
	callgrind) taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >"$tmp/out" 2>"$tmp/err" || true ;;
	strace) taskset -c 1 strace -c -f -o "$tmp/strace.txt" "$@" >"$tmp/out" 2>"$tmp/err" || true ;;
	esac
	kill "$emu" 2>/dev/null
	wait "$emu" 2>/dev/null || true
	emu=""
}

tool=callgrind
run
set -- $(totals "$tmp/results.json")
reqs=$1
echo "callgrind run: requests $1, errors $2, clusters installed $3 of $((sno + compact))"
callgrind_annotate --inclusive=yes "$tmp/cg.out" 2>/dev/null | sed 's/,//g' | awk -v r="$reqs" '
/PROGRAM TOTALS/ { tot = $1 }
/:event_base_loop / { loop = $1 }
/shard.c:on_publish / { pub = $1 }
END {
	if (r > 0) printf "instructions per request: %.0f all, %.0f request work\n", tot / r, (loop - pub) / r
	printf "{\"bench\":\"lifecycle_instr\",\"requests\":%d,\"instructions\":%d,\"loop\":%d,\"publish\":%d}\n", r, tot, loop, pub
}'
tool=strace
run
set -- $(totals "$tmp/results.json")
calls=$(awk '$NF == "total" { print $4 }' "$tmp/strace.txt")
echo "strace run: requests $1, errors $2, clusters installed $3 of $((sno + compact))"
awk -v c="${calls:-0}" -v r="$1" 'BEGIN { if (r > 0) printf "syscalls per request: %.2f (%d syscalls)\n", c / r, c }'
echo "top syscalls:"
sed -n '3,7p' "$tmp/strace.txt" | awk '{ printf "  %-16s %s\n", $NF, $4 }'
