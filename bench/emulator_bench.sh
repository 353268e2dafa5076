#!/bin/sh
# Emulator benchmark: can assisted-emulator keep up with the swarm?
#  1. starts assisted-emulator (pinned to CPU 0) on loopback,
#  2. registers HOSTS hosts (bench/emu_populate: clusters of 100 hosts, many
#     concurrent h2c streams) and measures RSS before/after -> bytes per host,
#  3. runs h2load (pinned to CPU 1) over the instruction GETs of all those
#     hosts (-i URI list, ?timestamp=) -> polls per second on one emulator core.
# Prints the figures as text and as one JSON line.
#
# Usage: bench/emulator_bench.sh [BUILD_DIR] [HOSTS] [REQUESTS] [CONNS] [STREAMS]
#   defaults: build 100000 1000000 8 64; env TIME_SCALE (default 1) is passed
#   to --time-scale (1 = real monitor periods: the host monitor walks every host every 8 s).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
hosts=${2:-100000}
requests=${3:-1000000}
conns=${4:-8}
streams=${5:-64}
scale=${TIME_SCALE:-1}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
emu=$build/tools/assisted-emulator/assisted-emulator
pop=$build/bench/emu_populate
[ -x "$emu" ] && [ -x "$pop" ] || { echo "build first: ninja -C $build" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing (nghttp2-client)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/emu-bench-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

taskset -c 0 "$emu" --listen 127.0.0.1:0 --time-scale "$scale" --quiet >"$tmp/emu.out" 2>"$tmp/emu.err" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/emu.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "emulator did not start" >&2; cat "$tmp/emu.err" >&2; exit 1; }
url=http://127.0.0.1:$port
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

rss0=$(rss)
popout=$(taskset -c 1 "$pop" "$url" --hosts "$hosts" --concurrency 1024 --uris "$tmp/uris.txt")
rss1=$(rss)
echo "populate: $popout"
registered=$(printf "%s\n" "$popout" | sed -n 's/^hosts=\([0-9]*\) .*/\1/p')
regps=$(printf "%s\n" "$popout" | sed -n 's/.*registrations_per_s=\([0-9]*\).*/\1/p')
[ "${registered:-0}" -gt 0 ] || { echo "no host registered" >&2; exit 1; }
bph=$(( (rss1 - rss0) * 1024 / registered ))

agent=$(curl -s "$url/api/assisted-install/v2/component-versions" |
        sed -n 's/.*"discovery-agent":"\([^"]*\)".*/\1/p')
# warm-up, then the measured run
taskset -c 1 h2load -c 2 -m 16 -n 20000 -H "discovery_agent_version: $agent" \
	-i "$tmp/uris.txt" >/dev/null 2>&1 || true
out=$(taskset -c 1 h2load -t 1 -c "$conns" -m "$streams" -n "$requests" \
	-H "discovery_agent_version: $agent" -i "$tmp/uris.txt" 2>&1)
rps=$(printf "%s\n" "$out" | sed -n 's/.*finished in [0-9.]*m\{0,1\}s, \([0-9.]*\) req\/s.*/\1/p')
ok=$(printf "%s\n" "$out" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p')
codes=$(printf "%s\n" "$out" | sed -n 's/^status codes: //p')
lat=$(printf "%s\n" "$out" | sed -n 's/^time for request: *//p')
rss2=$(rss)
cpu=$(ps -o times= -p "$pid" | tr -d ' ')

echo "emulator: hosts=$registered rss_before_kib=$rss0 rss_after_register_kib=$rss1 rss_after_polls_kib=$rss2 bytes_per_host=$bph"
echo "register: ${regps} hosts/s"
echo "polls:    ${rps} req/s on one emulator core (h2load -c $conns -m $streams -n $requests; ${ok} succeeded; status codes: $codes)"
echo "latency:  (min max mean sd +/-sd) $lat"
echo "emulator cpu seconds: $cpu"
printf '{"bench":"emulator","hosts":%s,"register_per_s":%s,"polls_per_s":%s,"polls_ok":%s,"requests":%s,"conns":%s,"streams":%s,"rss_before_kib":%s,"rss_after_register_kib":%s,"bytes_per_host":%s,"time_scale":%s}\n' \
	"$registered" "${regps:-0}" "${rps:-0}" "${ok:-0}" "$requests" "$conns" "$streams" "$rss0" "$rss1" "$bph" "$scale"
