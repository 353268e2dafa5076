#!/bin/sh
# Holds N concurrent TLS connections (HTTP/2, one request each, then idle) to
# the nginx fixture from ONE sw_load process and reports RSS per connection
# (RSS after the hold minus RSS at start, over N) and TLS session resumption.
# Usage: bench/tls_conns_hold.sh [BUILD_DIR] [N] [HOLD_SECONDS] [h2|h1]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-10000}
hold=${3:-10}
mode=${4:-h2}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
ulimit -n $((n * 2 + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export SWB_BUILD=$build SWB_N=$n SWB_HOLD=$hold SWB_MODE=$mode
exec sh "$top/tests/fixtures/nginx.sh" sh -c '
. "$SW_NGINX_ENV"
if [ "$SWB_MODE" = h1 ]; then port=$SW_NGINX_TLS1_PORT; flag=--h1; else port=$SW_NGINX_TLS_PORT; flag=; fi
"$SWB_BUILD/bench/sw_load" "https://127.0.0.1:$port" -c "$SWB_N" --hold "$SWB_HOLD" \
	--ca "$SW_NGINX_CA" --path /small.txt $flag
'
