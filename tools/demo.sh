#!/bin/sh
# The main job: builds swarm and the service emulator, starts the emulator
# on loopback (time-compressed), runs the swarm on a scenario (default: a
# mix of single-node, compact and worker clusters) and prints its summary.
#
# Usage: tools/demo.sh [SCENARIO_DIR] [MAX_CONCURRENT]
# Environment:
#   SWARM_DEMO_PORT     emulator port: unset = 8090, or a free port when 8090
#                       is taken; N = exactly N (refused when taken); 0 = any
#                       free port
#   SWARM_DEMO_RESULTS  results file (default swarm-results.json)
#   SWARM_DEMO_BUILD    use the binaries of this existing build directory
#                       instead of building build/ (release)
# Exit code: the swarm's (0 installed, 1 some failed, 3 aborted by Ctrl-C or
# max_duration, ...); 2 for a bad argument or a port taken by another
# program; 1 when the build or the emulator fails. Ctrl-C stops the swarm
# (it prints its summary), then the emulator; temporary files are removed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

die() { # CODE MESSAGE
	echo "demo: $2" >&2
	exit "$1"
}

[ $# -le 2 ] || die 2 "expected at most 2 arguments (SCENARIO_DIR MAX_CONCURRENT), got $#
usage: tools/demo.sh [SCENARIO_DIR] [MAX_CONCURRENT]"
scenario=${1:-scenarios/default}
concurrency=${2:-2000}
results=${SWARM_DEMO_RESULTS:-swarm-results.json}
for f in plan.yaml service.yaml; do
	[ -f "$scenario/$f" ] || die 2 "scenario '$scenario' has no $f (expected a folder like scenarios/default)"
done
case $concurrency in
	''|*[!0-9]*|0) die 2 "MAX_CONCURRENT: expected a positive integer (hosts in flight), got '$concurrency'" ;;
esac
strict_port=1
case ${SWARM_DEMO_PORT-unset} in
	unset) port=8090; strict_port=0 ;;
	''|*[!0-9]*) die 2 "SWARM_DEMO_PORT: expected a port number (0 = any free port), got '$SWARM_DEMO_PORT'" ;;
	*) port=$SWARM_DEMO_PORT
	   [ "$port" -le 65535 ] || die 2 "SWARM_DEMO_PORT: expected 0..65535, got '$port'" ;;
esac
scenario_abs=$(cd "$scenario" && pwd)
scale=$(sed -n 's/^# *emulator-time-scale: *\([0-9.]*\).*/\1/p' "$scenario/plan.yaml" | head -n1)
scale=${scale:-60}

if [ -n "${SWARM_DEMO_BUILD:-}" ]; then
	bin=$SWARM_DEMO_BUILD
else
	bin=build
	if [ ! -f build/build.ninja ]; then
		meson setup build --buildtype=release >build-setup.log 2>&1 ||
			die 1 "meson setup failed (see build-setup.log)"
	fi
	ninja -C build >build.log 2>&1 || die 1 "the build failed or was interrupted (see build.log)"
fi
emulator=$bin/tools/assisted-emulator/assisted-emulator
swarm=$bin/swarm/swarm
[ -x "$emulator" ] && [ -x "$swarm" ] || die 1 "no swarm and assisted-emulator binaries under $bin"

ulimit -n 65536 2>/dev/null || true
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swarm-demo.XXXXXX") || die 1 "cannot create a temporary folder"
emu=
swarm_pid=
interrupted=
cleanup() {
	if [ -n "$emu" ]; then
		kill "$emu" 2>/dev/null || true
		wait "$emu" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
# Ctrl-C reaches the swarm directly (same process group): it stops, prints
# its summary and exits 3, which this script then returns. A TERM sent to
# this script alone is passed on to the swarm.
trap 'interrupted=INT' INT
trap 'interrupted=TERM; [ -z "$swarm_pid" ] || kill -TERM "$swarm_pid" 2>/dev/null' TERM

# start_emulator PORT: starts it in its own session (so Ctrl-C leaves it to
# the cleanup, after the swarm's last calls) and waits for its "listening
# on" line. Returns 0 when it is up, 1 when the port is taken, 2 otherwise.
start_emulator() {
	: >"$tmp/emu.out"
	setsid=
	command -v setsid >/dev/null 2>&1 && setsid=setsid
	$setsid "$emulator" --listen "127.0.0.1:$1" --time-scale "$scale" --quiet \
		>"$tmp/emu.out" 2>"$tmp/emu.err" </dev/null &
	emu=$!
	i=0
	while [ $i -lt 100 ] && [ -z "$interrupted" ]; do
		grep -q 'listening on' "$tmp/emu.out" && return 0
		if ! kill -0 "$emu" 2>/dev/null; then
			wait "$emu" 2>/dev/null
			emu=
			grep -q 'in use' "$tmp/emu.err" && return 1
			return 2
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 2
}

start_emulator "$port"
up=$?
if [ $up -eq 1 ] && [ $strict_port -eq 0 ]; then
	echo "demo: port $port is taken by another program; using a free port instead" >&2
	start_emulator 0
	up=$?
fi
[ -z "$interrupted" ] || exit 130
case $up in
	1) die 2 "port $port on 127.0.0.1 is taken by another program; set SWARM_DEMO_PORT to a free port (0 = any)" ;;
	2) cat "$tmp/emu.err" >&2; die 1 "the emulator did not start" ;;
esac
# Is the process answering our own emulator? Its line names the port it
# bound and its pid: the pid must be the one started here, still alive, and
# the port must answer /ready.
line=$(grep -m1 'listening on' "$tmp/emu.out")
eport=$(echo "$line" | sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p')
epid=$(echo "$line" | sed -n 's/.*pid \([0-9]*\)).*/\1/p')
[ -n "$eport" ] && [ "$epid" = "$emu" ] && kill -0 "$emu" 2>/dev/null ||
	die 1 "the emulator's start line does not match the process started here: $line"
curl -fsS --max-time 5 "http://127.0.0.1:$eport/ready" >/dev/null 2>&1 ||
	die 1 "the emulator (pid $emu) does not answer on http://127.0.0.1:$eport/ready"
echo "demo: emulator on http://127.0.0.1:$eport (pid $emu, time scale $scale); swarm: $scenario"

# The scenario's service config, pointed at this emulator; relative paths
# in it stay valid next to the original.
svc=$tmp/service.yaml
awk -v ep="http://127.0.0.1:$eport" -v dir="$scenario_abs" '
	/^service_endpoint:/ { print "service_endpoint: \"" ep "\""; next }
	/^(pull_secret_file|ca_file|client_cert_file|client_key_file):/ {
		key = $0; sub(/:.*/, "", key)
		v = $0; sub(/^[a-z_]*:[ \t]*/, "", v); sub(/[ \t]+#.*$/, "", v)
		gsub(/^["\047]|["\047]$/, "", v)
		if (v !~ /^\//) v = dir "/" v
		print key ": \"" v "\""; next
	}
	{ print }' "$scenario/service.yaml" >"$svc" || die 1 "cannot write $svc"

# The results file counts as written only if it changed (every run's file
# has its own run_id and times).
before=$(cksum "$results" 2>/dev/null || echo none)
"$swarm" --results "$results" "$concurrency" "$scenario/plan.yaml" "$svc" &
swarm_pid=$!
# wait returns early when a trapped signal arrives; wait again for the code.
while :; do
	wait "$swarm_pid"
	rc=$?
	kill -0 "$swarm_pid" 2>/dev/null || break
done
swarm_pid=
if [ -f "$results" ] && [ "$(cksum "$results")" != "$before" ]; then
	echo "demo: results written to $results (swarm exit code $rc)"
else
	echo "demo: no results written (swarm exit code $rc)"
fi
exit $rc
