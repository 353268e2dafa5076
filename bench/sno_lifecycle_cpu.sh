#!/bin/sh
# Client-side CPU per single-node cluster lifecycle (create to installed):
# runs N SNO clusters through the swarm against the emulator (time-compressed
# 60x so the run is short; the work per cluster is the same as at real pace:
# every call of the full life is made), then divides the swarm process's CPU
# time (user + system, from the kernel) by N. Emulator on CPU 0, swarm on CPU 1.
#
# Usage: bench/sno_lifecycle_cpu.sh [BUILD_DIR] [N]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-1000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-sno.XXXXXX")
emu=""
cleanup() { [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
. "$top/bench/emulator_env.sh"
emu_start "$build" "$tmp" 60
cat >"$tmp/plan.yaml" <<EOC
clusters:
  - single_node: true
    num_workers: 0
    amount: $n
    name: sno
seed: 3
max_duration: 10m
arrival: {kind: rate, clusters_per_minute: 6000}
timings: {time_scale: 60}
EOC
emu_service "$tmp"
taskset -c 1 /usr/bin/time -f "cpu_user=%U cpu_sys=%S peak_rss_kib=%M wall=%e" \
	"$build/swarm/swarm" --progress=off --results "$tmp/results.json" 100000 \
	"$tmp/plan.yaml" "$tmp/service.yaml" >"$tmp/out" 2>"$tmp/err" || true
t=$(tail -n 1 "$tmp/err")
tot=$(tr -d ' \n' <"$tmp/results.json" | grep -o '"totals":{[^}]*}')
installed=$(printf '%s' "$tot" | sed -n 's/.*"clusters_installed":\([0-9]*\).*/\1/p')
reqs=$(printf '%s' "$tot" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')
cpu=$(printf '%s\n' "$t" | sed -n 's/cpu_user=\([0-9.]*\) cpu_sys=\([0-9.]*\).*/\1 \2/p' | awk '{ print $1 + $2 }')
echo "$t"
echo "SNO clusters installed: $installed of $n; requests: $reqs"
awk -v c="$cpu" -v n="${installed:-0}" -v r="${reqs:-0}" 'BEGIN {
	if (n > 0) printf "CPU per SNO lifecycle: %.2f ms (%.0f requests each, %.1f us per request)\n", 1000 * c / n, r / n, 1e6 * c / r }'
printf '{"bench":"sno_lifecycle_cpu","clusters":%s,"installed":%s,"cpu_s":%s,"requests":%s}\n' "$n" "${installed:-0}" "$cpu" "${reqs:-0}"
