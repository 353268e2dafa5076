#!/bin/sh
# Dedicated TLS connections at scale: ONE sw_load process opens N dedicated
# HTTP/2-over-TLS connections to the emulator (one host each, as
# `connections: dedicated` does), makes one request on each (GET /health),
# then holds them all open for HOLD seconds. Emulator on CPU 0, client on
# CPU 1. Prints the handshake rate (connections opened and answered per
# second and per client CPU-second; the first handshake is full, the others
# resume its TLS session as the swarm's hosts do), client RSS per connection
# (RSS while holding minus RSS at start, over N) and the emulator's RSS per
# held connection. Past 20,000 connections sw_load spreads them over
# 127.0.0.x source addresses. N is bounded by the descriptor limit: the
# script raises it (the hard limit too when privileged) and says when it
# cannot.
# Usage: bench/tls_dedicated.sh [BUILD_DIR] [N] [HOLD_SECONDS]   (default 100000 10)
#   sh bench/tls_dedicated.sh BUILD 100000 10
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-100000}
hold=${3:-10}
need=$((n + 200))
ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
lim=$(ulimit -n)
if [ "$lim" -lt "$need" ]; then
	echo "descriptor limit $lim (hard limit; raising it needs CAP_SYS_RESOURCE): N cut from $n to $((lim - 200))" >&2
	n=$((lim - 200))
fi
taskset -cp 0 $$ >/dev/null 2>&1 || true
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-tlsded.XXXXXX")
emu=""
cleanup() { [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
SWARM_BENCH_EMU_ARGS="--tls-cert $tmp/cert.pem --tls-key $tmp/key.pem --max-connections $((n + 100))"
. "$top/bench/emulator_env.sh"
emu_start "$build" "$tmp" 1
emu_rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$emu/status")
taskset -c 1 "$build/bench/sw_load" "https://127.0.0.1:$port" -c "$n" --hold "$hold" \
	--ca "$tmp/cert.pem" --path /health >"$tmp/out" 2>"$tmp/err" &
cl=$!
# the emulator's RSS while the client holds its connections
emu_rss=$emu_rss0
while kill -0 "$cl" 2>/dev/null; do
	r=$(awk '/^VmRSS/ { print $2 }' "/proc/$emu/status" 2>/dev/null || echo 0)
	[ "${r:-0}" -gt "$emu_rss" ] && emu_rss=$r
	sleep 1
done
wait "$cl" || true
cat "$tmp/err" >&2
line=$(cat "$tmp/out")
echo "$line"
v() { printf '%s\n' "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
conns=$(v conns); secs=$(v seconds); cpu=$(v cpu_seconds); per=$(v rss_per_conn_kib)
hs=$(v tls_handshakes); res=$(v tls_resumed); errs=$(printf '%s\n' "$line" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
echo "dedicated TLS connections held: ${conns:-0} of $n (errors ${errs:-?}); TLS handshakes ${hs:-?}, resumed ${res:-?}"
awk -v c="${conns:-0}" -v s="${secs:-0}" -v u="${cpu:-0}" 'BEGIN {
	if (s > 0 && u > 0) printf "handshake rate: %.0f connections/s (handshake + first request), %.0f per client CPU-second\n", c / s, c / u }'
echo "client RSS per held connection: ${per:-?} KiB"
awk -v a="$emu_rss0" -v b="$emu_rss" -v c="${conns:-0}" 'BEGIN {
	if (c > 0) printf "emulator RSS per held connection: %.1f KiB (peak %d KiB)\n", (b - a) / c, b }'
printf '{"bench":"tls_dedicated","n":%s,"conns":%s,"seconds":%s,"client_cpu_s":%s,"rss_per_conn_kib":%s,"emu_peak_rss_kib":%s}\n' \
	"$n" "${conns:-0}" "${secs:-0}" "${cpu:-0}" "${per:-0}" "$emu_rss"
