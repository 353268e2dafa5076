#!/bin/sh
# e2e_limits: the emulator's bounds with real oversized requests, over
# HTTP/1.1 (curl) and h2c (h2_stream_post, curl for uploads): 200 MB bodies to a JSON operation are refused with
# 413 (from Content-Length before the body, or once the streamed bytes pass
# 2 MiB), 200 MB log uploads are counted and discarded (204), and the
# emulator's peak memory stays far below what it was sent (VmHWM from
# /proc, and its own body-bytes metric). The global budget answers 503 when
# slow bodies would pass it; the body deadline answers 408; a TLS handshake
# on the cleartext port is refused at once; tokens from a file and the
# environment work, stay off the command line and out of /debug/state.
# Bounded: every curl has --max-time, every wait a limit.
set -eu

B=${SWARM_BUILD_ROOT:?}
EMU=$B/tools/assisted-emulator/assisted-emulator
H2POST=$B/tests/emulator/h2_stream_post
API=/api/assisted-install/v2
MB200=209715200
. "$(dirname "$0")/e2e_lib.sh"

start_emu() {
	emu_stop
	emu_start emu 127.0.0.1:0 --quiet "$@"
}

# send_zeros PROTO METHOD PATH BYTES CL: a JSON request of BYTES zero bytes
# produced as they go (Content-Length when CL=1, else chunked / no length);
# prints the status. HTTP/2 uses h2_stream_post: curl 7.88 can hang when an
# h2 answer comes before its upload ends.
send_zeros() {
	proto=$1 method=$2 path=$3 n=$4 cl=$5
	if [ "$proto" = h2 ]; then
		if [ "$cl" = 1 ]; then
			"$H2POST" "$PORT" "$method" "$path" "$n" --content-length | tr -d '\n'
		else
			"$H2POST" "$PORT" "$method" "$path" "$n" | tr -d '\n'
		fi
		return 0
	fi
	set -- -sS -o /dev/null -w '%{http_code}' --max-time 60 -X "$method" -T - \
		-H 'Content-Type: application/json'
	# curl streams stdin chunked; an empty Transfer-Encoding drops that for the length
	[ "$cl" = 1 ] && set -- "$@" -H 'Transfer-Encoding:' -H "Content-Length: $n"
	head -c "$n" /dev/zero | curl "$@" "http://127.0.0.1:$PORT$path" 2>/dev/null || true
}

# multipart log upload of BYTES zeros (a stream: the part headers, the file, the end).
upload_logs() {
	proto=$1 cid=$2 n=$3
	set -- -sS -o /dev/null -w '%{http_code}' --max-time 60 -X POST -T - \
		-H 'Content-Type: multipart/form-data; boundary=xyzzy'
	[ "$proto" = h2 ] && set -- "$@" --http2-prior-knowledge
	{
		printf -- '--xyzzy\r\nContent-Disposition: form-data; name="upfile"; filename="logs.tar.gz"\r\n'
		printf 'Content-Type: application/octet-stream\r\n\r\n'
		head -c "$n" /dev/zero
		printf '\r\n--xyzzy--\r\n'
	} | curl "$@" "http://127.0.0.1:$PORT$API/clusters/$cid/logs?logs_type=controller" 2>/dev/null || true
}

# --- 1. 200 MB bodies over both protocols: 413 early, uploads discarded, memory bounded
start_emu --max-body-total 64MiB
cid=$(curl -fsS --max-time 10 -X POST -H 'Content-Type: application/json' \
	-d '{"name":"lim","openshift_version":"4.16","pull_secret":"{\"auths\":{}}","base_dns_domain":"example.com"}' \
	"http://127.0.0.1:$PORT$API/clusters" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' | head -n1)
[ -n "$cid" ] || fail "cluster registration"
for proto in h1 h2; do
	: >"$TMP/codes-$proto"
	for cl in 1 0; do
		send_zeros "$proto" POST "$API/clusters" $MB200 $cl >>"$TMP/codes-$proto" &
		send_zeros "$proto" PATCH "$API/clusters/$cid" $MB200 $cl >>"$TMP/codes-$proto" &
	done
	upload_logs "$proto" "$cid" $MB200 >>"$TMP/codes-$proto" &
	upload_logs "$proto" "$cid" $MB200 >>"$TMP/codes-$proto" &
	wait_n=0
	while [ "$(wc -c <"$TMP/codes-$proto")" -lt 18 ] && [ $wait_n -lt 900 ]; do
		sleep 0.1
		wait_n=$((wait_n + 1))
	done
	codes=$(cat "$TMP/codes-$proto")
	n413=$(printf '%s' "$codes" | grep -o 413 | wc -l)
	n204=$(printf '%s' "$codes" | grep -o 204 | wc -l)
	[ "$n413" = 4 ] || fail "$proto: want four 413 for 200 MB JSON bodies, got '$codes'"
	[ "$n204" = 2 ] || fail "$proto: want two 204 for 200 MB log uploads, got '$codes'"
done
[ "$(metric emulator_server_body_too_large_total)" -ge 8 ] || fail "413s not counted"
peak=$(metric emulator_server_body_bytes_peak)
[ "$peak" -le $((64 * 1048576)) ] || fail "body bytes peak $peak over the 64 MiB budget"
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$EMU_PID/status")
if ldd "$EMU" 2>/dev/null | grep -q libasan; then
	echo "note: AddressSanitizer build, peak RSS $hwm_kb kB not checked (its quarantine holds freed memory)"
else
	# Before the bounds, 4 x 200 MB took ~1.8 GB; now what is kept is bounded by the budget.
	[ "$hwm_kb" -lt 262144 ] || fail "peak RSS $hwm_kb kB after 2.4 GB of bodies"
fi
echo "ok limits: 12 x 200 MB over h1 and h2c, body bytes peak $peak, VmHWM $hwm_kb kB"

# --- 2. the global budget (503) and the body deadline (408)
start_emu --max-body-total 4MiB
head -c 1500000 /dev/zero >"$TMP/1.5mb"
: >"$TMP/codes-budget"
for i in 1 2 3 4; do
	curl -sS -o /dev/null -w '%{http_code} ' --max-time 30 --limit-rate 200K -X POST \
		-H 'Content-Type: application/json' --data-binary "@$TMP/1.5mb" \
		"http://127.0.0.1:$PORT$API/clusters" >>"$TMP/codes-budget" 2>/dev/null &
done
wait_n=0
while [ "$(wc -w <"$TMP/codes-budget")" -lt 4 ] && [ $wait_n -lt 400 ]; do
	sleep 0.1
	wait_n=$((wait_n + 1))
done
codes=$(cat "$TMP/codes-budget")
case "$codes" in *503*) ;; *) fail "4 x 1.5 MB held at once under a 4 MiB budget: no 503 ($codes)" ;; esac
[ "$(metric emulator_server_body_over_budget_total)" -ge 1 ] || fail "503 not counted"
echo "ok budget: $codes"

start_emu --body-timeout 1s --header-timeout 1s
head -c 20000 /dev/zero >"$TMP/20k"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 20 --limit-rate 2K -X POST \
	-H 'Content-Type: application/json' --data-binary "@$TMP/20k" \
	"http://127.0.0.1:$PORT$API/clusters" 2>/dev/null || true)
[ "$code" = 408 ] || fail "a body at 2 KB/s past a 1 s deadline answered '$code'"
[ "$(metric emulator_server_body_timeouts_total)" = 1 ] || fail "body timeout not counted"
echo "ok body deadline: 408"

# A TLS handshake on the cleartext port fails at once (no hang) and is counted.
if command -v openssl >/dev/null 2>&1; then
	t0=$(date +%s)
	if timeout 10 openssl s_client -connect "127.0.0.1:$PORT" </dev/null >"$TMP/tls.out" 2>&1; then
		fail "a TLS handshake succeeded on the cleartext port"
	fi
	[ $(($(date +%s) - t0)) -lt 5 ] || fail "the TLS handshake on the cleartext port hung"
	[ "$(metric emulator_server_tls_on_plain_total)" = 1 ] || fail "TLS on plain port not counted"
	echo "ok TLS on the cleartext port: refused at once"
fi

# --- 3. secrets from a file and the environment; masked in /debug/state
printf 'file-token\n' >"$TMP/ps-token"
ASSISTED_EMULATOR_USER_TOKEN=env-user-token start_emu --auth token --pull-secret-token-file "$TMP/ps-token"
if tr '\0' ' ' <"/proc/$EMU_PID/cmdline" | grep -q -e file-token -e env-user-token; then
	fail "a token shows on the command line"
fi
st=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer env-user-token' \
	"http://127.0.0.1:$PORT$API/clusters")
[ "$st" = 200 ] || fail "user token from the environment: $st"
st=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer wrong' \
	"http://127.0.0.1:$PORT$API/clusters")
[ "$st" = 401 ] || fail "a wrong user token: $st"
curl -fsS --max-time 10 -X POST -H 'Authorization: Bearer env-user-token' -H 'Content-Type: application/json' \
	-d '{"name":"ie","openshift_version":"4.16","pull_secret":"{\"auths\":{}}","image_type":"full-iso"}' \
	"http://127.0.0.1:$PORT$API/infra-envs" >"$TMP/ie.json" || fail "infra-env registration"
grep -q 'bytoken/file-token/' "$TMP/ie.json" || fail "the ISO URL lacks the agent token: $(cat "$TMP/ie.json")"
curl -fsS --max-time 10 "http://127.0.0.1:$PORT/debug/state" >"$TMP/state.json" || fail "/debug/state"
grep -q 'bytoken/<masked>/' "$TMP/state.json" || fail "/debug/state does not mask the ISO URL token"
if grep -q file-token "$TMP/state.json"; then fail "/debug/state shows the pull-secret token"; fi
emu_stop
printf '\n' >"$TMP/empty-token"
if "$EMU" --auth token --pull-secret-token-file "$TMP/empty-token" >/dev/null 2>"$TMP/usage.err"; then
	fail "an empty token file was accepted"
fi
grep -q 'first line is empty' "$TMP/usage.err" || fail "empty token file message: $(cat "$TMP/usage.err")"
echo "ok secrets: from file and environment, masked in /debug/state"
