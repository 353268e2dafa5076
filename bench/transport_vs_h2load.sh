#!/bin/sh
# Transport benchmark: protocol/'s client (bench/sw_load) against nghttp2's
# h2load, same nginx endpoint, same connections and concurrent streams, run
# side by side in one invocation. nginx is pinned to CPU 0 and each client in
# turn to CPU 1, so "one core" means one core. Prints both rates, their ratio
# and peak RSS, as text and as one JSON line.
#
# Usage: bench/transport_vs_h2load.sh [BUILD_DIR] [CONNS] [STREAMS] [REQUESTS] [MODE]
#   MODE: h2 (TLS, default) | h2c | h1 (TLS, ALPN http/1.1; h2load --h1)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
conns=${2:-16}
streams=${3:-32}
requests=${4:-400000}
mode=${5:-h2}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
[ -x "$build/bench/sw_load" ] || { echo "build first: ninja -C $build" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing (nghttp2-client)" >&2; exit 2; }

export SWB_BUILD=$build SWB_CONNS=$conns SWB_STREAMS=$streams SWB_REQ=$requests SWB_MODE=$mode
exec sh "$top/tests/fixtures/nginx.sh" sh -c '
set -eu
. "$SW_NGINX_ENV"
pid=$(cat "$SW_NGINX_DIR/nginx.pid")
taskset -pc 0 "$pid" >/dev/null 2>&1 || true
case $SWB_MODE in
h2)  url="https://127.0.0.1:$SW_NGINX_TLS_PORT/small.txt"; h2flags=""; swflags="--ca $SW_NGINX_CA --path /small.txt";;
h2c) url="http://127.0.0.1:$SW_NGINX_H2C_PORT/small.txt"; h2flags=""; swflags="--h2 --path /small.txt";;
h1)  url="https://127.0.0.1:$SW_NGINX_TLS1_PORT/small.txt"; h2flags="--h1"; swflags="--h1 --ca $SW_NGINX_CA --path /small.txt";;
esac
m=$SWB_STREAMS
[ "$SWB_MODE" = h1 ] && m=1
# warm-up (page cache, nginx worker)
h2load -c 4 -m 4 -n 2000 $h2flags "$url" >/dev/null 2>&1 || true
out=$(taskset -c 1 /usr/bin/time -f "peak_rss_kib=%M cpu_user=%U cpu_sys=%S" h2load -t 1 -c "$SWB_CONNS" -m "$m" -n "$SWB_REQ" $h2flags "$url" 2>&1) || true
h2rps=$(printf "%s\n" "$out" | sed -n "s/.*finished in [0-9.]*m\{0,1\}s, \([0-9.]*\) req\/s.*/\1/p")
h2ok=$(printf "%s\n" "$out" | sed -n "s/^requests: .* \([0-9]*\) succeeded.*/\1/p")
h2rss=$(printf "%s\n" "$out" | sed -n "s/^peak_rss_kib=\([0-9]*\).*/\1/p")
h2cpu=$(printf "%s\n" "$out" | sed -n "s/.*cpu_user=\([0-9.]*\) cpu_sys=\([0-9.]*\).*/\1 \2/p" | awk "{ print \$1 + \$2 }")
sw=$(taskset -c 1 /usr/bin/time -f "peak_rss_kib=%M cpu_user=%U cpu_sys=%S" "$SWB_BUILD/bench/sw_load" -c "$SWB_CONNS" -m "$m" -n "$SWB_REQ" $swflags "$url" 2>&1) || true
swrps=$(printf "%s\n" "$sw" | sed -n "s/.*rps=\([0-9.]*\).*/\1/p" | head -n1)
swok=$(printf "%s\n" "$sw" | sed -n "s/.* ok=\([0-9]*\).*/\1/p" | head -n1)
swrss=$(printf "%s\n" "$sw" | sed -n "s/^peak_rss_kib=\([0-9]*\).*/\1/p")
swcpu=$(printf "%s\n" "$sw" | sed -n "s/.*cpu_user=\([0-9.]*\) cpu_sys=\([0-9.]*\).*/\1 \2/p" | awk "{ print \$1 + \$2 }")
ratio=$(awk -v a="${swrps:-0}" -v b="${h2rps:-0}" "BEGIN { if (b > 0) printf \"%.3f\", a / b; else print \"nan\" }")
# client efficiency: requests per CPU-second of the client process
h2eff=$(awk -v n="$SWB_REQ" -v c="${h2cpu:-0}" "BEGIN { if (c > 0) printf \"%.0f\", n / c; else print 0 }")
sweff=$(awk -v n="$SWB_REQ" -v c="${swcpu:-0}" "BEGIN { if (c > 0) printf \"%.0f\", n / c; else print 0 }")
echo "mode=$SWB_MODE conns=$SWB_CONNS streams=$m requests=$SWB_REQ"
echo "h2load:  ${h2rps:-?} req/s  (ok ${h2ok:-?})  peak RSS ${h2rss:-?} KiB  client CPU ${h2cpu:-?} s  ($h2eff req per CPU-second)"
echo "sw_load: ${swrps:-?} req/s  (ok ${swok:-?})  peak RSS ${swrss:-?} KiB  client CPU ${swcpu:-?} s  ($sweff req per CPU-second)"
echo "ratio sw_load/h2load: $ratio"
printf "{\"bench\":\"transport\",\"mode\":\"%s\",\"conns\":%s,\"streams\":%s,\"requests\":%s,\"h2load_rps\":%s,\"sw_load_rps\":%s,\"ratio\":%s,\"h2load_peak_rss_kib\":%s,\"sw_load_peak_rss_kib\":%s,\"h2load_req_per_cpu_s\":%s,\"sw_load_req_per_cpu_s\":%s}\n" \
  "$SWB_MODE" "$SWB_CONNS" "$m" "$SWB_REQ" "${h2rps:-0}" "${swrps:-0}" "$ratio" "${h2rss:-0}" "${swrss:-0}" "$h2eff" "$sweff"
'
