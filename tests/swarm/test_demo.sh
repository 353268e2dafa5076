#!/bin/sh
# tools/demo.sh, the README's first command, on the binaries of this build
# (SWARM_DEMO_BUILD): bad arguments get clear messages; a port taken by
# another program is refused (or avoided) and that program never receives an
# API call; Ctrl-C in the middle of a run (SIGINT to the demo's process
# group, as a terminal sends it) returns the swarm's exit code 3 and leaves
# no temporary file and no process behind. Loopback only; every wait is
# bounded.
set -u
SRC=${SWARM_SOURCE_ROOT:?}
B=${SWARM_BUILD_ROOT:?}
DEMO=$SRC/tools/demo.sh
TMP=$(mktemp -d /tmp/swarm-test-demo-XXXXXX)
FOREIGN_PID=
DEMO_PID=
cleanup() {
	[ -z "$DEMO_PID" ] || kill -KILL "-$DEMO_PID" 2>/dev/null
	[ -z "$FOREIGN_PID" ] || kill "$FOREIGN_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n: $1"; }
bad() {
	n=$((n + 1)); fails=$((fails + 1)); echo "FAIL $n: $1"
	[ ! -f "$TMP/out" ] || sed 's/^/    /' "$TMP/out" | tail -n 25
}
command -v setsid >/dev/null 2>&1 || { echo "SKIP: setsid not found (util-linux)"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }

mkdir "$TMP/t"
# demo ARGS...: runs the demo (bounded) with its temporary files in $TMP/t.
demo() {
	TMPDIR=$TMP/t SWARM_DEMO_BUILD=$B SWARM_DEMO_RESULTS=$TMP/results.json \
		timeout 120 sh "$DEMO" "$@" >"$TMP/out" 2>&1
}

# expect_usage WANT PATTERN ARGS...: a bad argument: exit WANT, a message
# naming it, no raw tool error, no claim that results were written.
expect_usage() {
	want=$1 pat=$2
	shift 2
	demo "$@"
	rc=$?
	if [ $rc -ne "$want" ] || ! grep -qF -- "$pat" "$TMP/out"; then
		bad "demo $*: exit $rc (want $want), output lacks '$pat'"
	elif grep -qE '^(sed|awk|grep|cat|mktemp):|results written' "$TMP/out"; then
		bad "demo $*: raw tool error or a false results line"
	else
		ok "demo $* -> $rc: $(head -n1 "$TMP/out")"
	fi
}
expect_usage 2 "scenario 'nope' has no plan.yaml" nope
expect_usage 2 "MAX_CONCURRENT: expected a positive integer" scenarios/default abc
expect_usage 2 "MAX_CONCURRENT: expected a positive integer" scenarios/default 0
expect_usage 2 "expected at most 2 arguments" scenarios/default 10 extra
SWARM_DEMO_PORT=http; export SWARM_DEMO_PORT
expect_usage 2 "SWARM_DEMO_PORT: expected a port number" scenarios/default
unset SWARM_DEMO_PORT

# A foreign HTTP server on a free port answers 200 to everything and logs
# every request line: the demo must refuse that port and never drive it.
cat >"$TMP/foreign.py" <<'PY'
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        with open(sys.argv[1], "a") as f:
            f.write(self.command + " " + self.path + "\n")
        body = b'{"versions":{"discovery-agent":"foreign"}}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_PATCH = answer
    def log_message(self, *a):
        pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
with open(sys.argv[2], "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
PY
: >"$TMP/foreign.log"
python3 "$TMP/foreign.py" "$TMP/foreign.log" "$TMP/foreign.port" &
FOREIGN_PID=$!
i=0
while [ ! -s "$TMP/foreign.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
FPORT=$(cat "$TMP/foreign.port" 2>/dev/null)
if [ -z "$FPORT" ]; then
	bad "the foreign server did not start"
else
	SWARM_DEMO_PORT=$FPORT demo
	rc=$?
	if [ $rc -eq 2 ] && grep -q "port $FPORT on 127.0.0.1 is taken by another program" "$TMP/out" &&
	   ! grep -q "emulator on" "$TMP/out" && [ ! -s "$TMP/foreign.log" ]; then
		ok "busy port $FPORT refused (exit 2), the foreign server saw no request"
	else
		bad "busy port $FPORT: exit $rc; foreign server saw: $(head -n3 "$TMP/foreign.log")"
	fi
fi

# Ctrl-C mid-run: the demo in its own session and process group, with
# SIGINT at its default disposition as under a terminal (a background job of
# this script would start with SIGINT ignored), then SIGINT to the group once
# the swarm runs. Any free port (0). Not under timeout(1), which would pass a
# second SIGINT to the group; a watchdog bounds it instead.
TMPDIR=$TMP/t SWARM_DEMO_PORT=0 SWARM_DEMO_BUILD=$B SWARM_DEMO_RESULTS=$TMP/results.json \
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.setsid()
os.execvp("sh", ["sh"] + sys.argv[1:])' "$DEMO" scenarios/default 2000 >"$TMP/out" 2>&1 &
DEMO_PID=$!
# (its own output away from meson's pipe: a leftover sleep must not hold it)
( trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep 120 & s=$!; wait "$s"
  kill -KILL "-$DEMO_PID" 2>/dev/null ) >/dev/null 2>&1 &
WATCHDOG=$!
i=0
while ! grep -q '^swarm: run ' "$TMP/out" && [ $i -lt 400 ] && kill -0 "$DEMO_PID" 2>/dev/null; do
	sleep 0.05; i=$((i + 1))
done
sleep 1
EMU=$(sed -n 's/^demo: emulator on .* (pid \([0-9]*\),.*/\1/p' "$TMP/out")
kill -INT "-$DEMO_PID" 2>/dev/null || bad "cannot signal process group $DEMO_PID"
wait "$DEMO_PID"
rc=$?
DEMO_PID=
kill "$WATCHDOG" 2>/dev/null
sleep 0.2
if [ $rc -eq 3 ]; then ok "SIGINT mid-run: exit 3 (the swarm's)"; else bad "SIGINT mid-run: exit $rc, want 3"; fi
if tail -n1 "$TMP/out" | grep -q '^demo: results written to .* (swarm exit code 3)$'; then
	ok "SIGINT mid-run: the last line names the results and the exit code"
else
	bad "SIGINT mid-run: last line: $(tail -n1 "$TMP/out")"
fi
if grep -q '"exit_code": 3' "$TMP/results.json" 2>/dev/null; then ok "SIGINT mid-run: results written"
else bad "SIGINT mid-run: no results with exit_code 3"; fi
if [ -z "$(ls -A "$TMP/t")" ]; then ok "SIGINT mid-run: no temporary file left"
else bad "SIGINT mid-run: left behind: $(ls -A "$TMP/t")"; fi
if [ -n "$EMU" ] && ! kill -0 "$EMU" 2>/dev/null; then ok "SIGINT mid-run: emulator (pid $EMU) gone"
else bad "SIGINT mid-run: emulator pid '$EMU' still running or unknown"; fi
if ! grep -q 'failed: aborted' "$TMP/out"; then ok "SIGINT mid-run: aborted clusters not listed one by one"
else bad "SIGINT mid-run: 'failed: aborted' lines printed"; fi

echo "$n demo cases, $fails failed"
[ "$fails" -eq 0 ]
