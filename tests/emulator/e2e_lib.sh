# e2e_lib.sh: sourced by the emulator's shell end-to-end tests. Gives TMP (a
# temporary directory), the cleanup of what they started (EMU_PID, SW_PID),
# fail (a message and the tails of the logs, exit 1), emu_start (the
# emulator in $EMU on a loopback port, PORT read from its "listening on"
# line) and metric (one series of its /metrics). Needs curl.
TMP=$(mktemp -d)
EMU_PID=
SW_PID=

e2e_cleanup() {
	[ -n "$SW_PID" ] && kill "$SW_PID" 2>/dev/null || true
	[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap e2e_cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in "$TMP"/*.err "$TMP"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 25 "$f" >&2; }; done
	exit 1
}

command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not installed" >&2; exit 77; }

# emu_start NAME LISTEN ARGS...: starts the emulator (output in $TMP/NAME.out
# and .err), waits up to 10 s for its port; sets PORT and EMU_PID.
emu_start() {
	name=$1 listen=$2
	shift 2
	"$EMU" --listen "$listen" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	EMU_PID=$!
	i=0
	while [ $i -lt 200 ]; do
		PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.out" 2>/dev/null | head -n1)
		[ -n "$PORT" ] && return 0
		kill -0 "$EMU_PID" 2>/dev/null || fail "emulator ($name) exited: $(cat "$TMP/$name.err")"
		sleep 0.05
		i=$((i + 1))
	done
	fail "emulator ($name) did not print its port"
}

# emu_stop: SIGTERM and wait; a non-zero exit (ASan report, leak) fails.
emu_stop() {
	if [ -n "$EMU_PID" ]; then
		kill "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" || fail "emulator exit status (ASan, leak or crash?)"
	fi
	EMU_PID=
}

# metric SERIES: the value of one sample of /metrics (name with labels), 0 when absent.
metric() {
	curl -fsS --max-time 10 "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
		awk -v m="$1" 'index($0, m " ") == 1 { print $2; found = 1 } END { if (!found) print 0 }'
}
