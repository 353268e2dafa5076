#!/bin/sh
# Requests per CPU-second of the swarm over the full lifecycle mix: SNO
# single-node clusters and MULTI clusters of 3 masters + 2 workers, each
# from creation to installed (every call of the real life: registration,
# polls, step replies, installer stages, downloads, logs, controller,
# driver polls). The emulator runs time-compressed 60x on CPU 0, the swarm
# on CPU 1; the work per request is the same as at the real pace. The
# swarm's CPU (user + system, from the kernel) is divided by the requests
# of its results file.
#
# With PERF=1 (and perf installed) the same run is made a second time under
# `perf record -F 1999` (cpu-clock sampling) and a breakdown follows: share
# of the swarm's samples by component (kernel scheduling and the rest of
# the kernel, jansson, malloc/free, the rest of libc, nghttp2, libevent,
# OpenSSL, the swarm's own code) and the top symbols. The rate above comes
# from the first run, which perf does not slow down.
#
# Usage: bench/lifecycle_cpu.sh [BUILD_DIR] [SNO] [MULTI]      (default 1000 200)
#   run it alone on the machine (or under a shared lock: flock LOCKFILE sh bench/lifecycle_cpu.sh ...)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
sno=${2:-1000}
multi=${3:-200}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-life.XXXXXX")
emu=""
# KEEP=1 keeps the run's files (results, perf.data); the emulator always stops.
cleanup() {
	[ -n "$emu" ] && kill "$emu" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
. "$top/bench/emulator_env.sh"
emu_start "$build" "$tmp" 60
total=$((sno + multi))
cat >"$tmp/plan.yaml" <<EOC
clusters:
  - {single_node: true, num_workers: 0, amount: $sno, name: sno}
  - {single_node: false, num_workers: 2, amount: $multi, name: mn}
shuffle: true
seed: 3
max_duration: 15m
arrival: {kind: rate, clusters_per_minute: 6000}
timings: {time_scale: 60}
EOC
emu_service "$tmp"
run="$build/swarm/swarm --progress=off --results $tmp/results.json 100000 $tmp/plan.yaml $tmp/service.yaml"
perf_ok=0
if [ "${PERF:-0}" = 1 ]; then
	if command -v perf >/dev/null 2>&1; then perf_ok=1; else echo "perf not installed: no breakdown" >&2; fi
fi
# shellcheck disable=SC2086
taskset -c 1 /usr/bin/time -f "cpu_user=%U cpu_sys=%S peak_rss_kib=%M wall=%e" \
	$run >"$tmp/out" 2>"$tmp/err" || true
t=$(grep '^cpu_user=' "$tmp/err" | tail -n 1)
tot=$(tr -d ' \n' <"$tmp/results.json" | grep -o '"totals":{[^}]*}')
installed=$(printf '%s' "$tot" | sed -n 's/.*"clusters_installed":\([0-9]*\).*/\1/p')
reqs=$(printf '%s' "$tot" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')
errs=$(printf '%s' "$tot" | sed -n 's/.*"errors":\([0-9]*\).*/\1/p')
cpu=$(printf '%s\n' "$t" | sed -n 's/cpu_user=\([0-9.]*\) cpu_sys=\([0-9.]*\).*/\1 \2/p' | awk '{ print $1 + $2 }')
echo "$t"
echo "clusters installed: ${installed:-0} of $total ($sno single-node, $multi with 3 masters + 2 workers); requests: ${reqs:-0}; errors: ${errs:-?}"
awk -v c="${cpu:-0}" -v r="${reqs:-0}" 'BEGIN {
	if (c > 0 && r > 0) printf "requests per CPU-second: %.0f (%.1f us of swarm CPU per request)\n", r / c, 1e6 * c / r }'
if [ $perf_ok = 1 ]; then
	rm -f "$tmp/results.json"
	# shellcheck disable=SC2086
	taskset -c 1 perf record -q -F 1999 -o "$tmp/perf.data" $run >"$tmp/perf.out" 2>"$tmp/perf.err" || true
	echo "perf breakdown (share of the swarm's samples; cpu-clock, -F 1999):"
	perf report -i "$tmp/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
		grep -v '^#' | grep '%' | awk '
		{
			p = $1; sub("%", "", p); dso = $2; sym = $0; sub(/^.*\] /, "", sym)
			if (dso ~ /kernel/) g = (sym ~ /switch|schedule/) ? "kernel: scheduling" : "kernel: other"
			else if (dso ~ /jansson/) g = "jansson"
			else if (dso ~ /libc/ && sym ~ /(^|_)(malloc|free|calloc|realloc|cfree|unlink_chunk|tcache|consolidate)/) g = "malloc/free"
			else if (dso ~ /libc/) g = "libc other"
			else if (dso ~ /nghttp2/) g = "nghttp2"
			else if (dso ~ /libevent/) g = "libevent"
			else if (dso ~ /libssl|libcrypto/) g = "OpenSSL"
			else if (dso ~ /swarm/) g = "swarm"
			else g = "other (" dso ")"
			s[g] += p
		}
		END { for (g in s) printf "  %6.1f %%  %s\n", s[g], g }' | sort -rn
	echo "top symbols:"
	perf report -i "$tmp/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
		grep -v '^#' | grep '%' | head -n 15 | sed 's/^/  /'
fi
printf '{"bench":"lifecycle_cpu","sno":%s,"multi":%s,"installed":%s,"cpu_s":%s,"requests":%s,"errors":%s}\n' \
	"$sno" "$multi" "${installed:-0}" "${cpu:-0}" "${reqs:-0}" "${errs:-0}"
