#!/bin/sh
# Hub benchmark: the emulated kube-apiserver (assisted-emulator --kube-api)
# pinned to CPU 0, bench/hub_bench on CPU 1: N BareMetalHosts and N Agents
# of realistic size -> RSS per object, list latency (full and paginated),
# watch events per second to 1 and to 10 watchers (replay and live).
# Prints the figures and one JSON line.
# Usage: bench/hub_bench.sh [BUILD_DIR] [N_BMH] [N_AGENT]   (defaults: build 10000 10000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
nbmh=${2:-10000}
nagent=${3:-10000}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
emu=$build/tools/assisted-emulator/assisted-emulator
bench=$build/bench/hub_bench
[ -x "$emu" ] && [ -x "$bench" ] || { echo "build first: ninja -C $build" >&2; exit 2; }
tmp=$(mktemp -d /tmp/hub-bench-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# the window holds the live phase's patches (2 per BMH per run)
window=$((nbmh * 4 + 1000))
taskset -c 0 "$emu" --listen 127.0.0.1:0 --kube-api 127.0.0.1:0 --kube-no-controllers --kube-watch-window "$window" --quiet \
	>"$tmp/emu.out" 2>"$tmp/emu.err" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*kube-api listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/emu.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "emulator did not start" >&2; cat "$tmp/emu.err" >&2; exit 1; }
echo "hub benchmark: emulator pid $pid on CPU 0 (kube-api :$port), client on CPU 1, $nbmh BMHs + $nagent Agents"
taskset -c 1 "$bench" "$port" "$pid" "$nbmh" "$nagent"
