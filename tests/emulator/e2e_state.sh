#!/bin/sh
# e2e_state: the emulator keeps its state across a crash (--state-dir). The
# real `swarm` runs the default scenario (time-scaled 60x) against the
# emulator, which is killed with SIGKILL twice in the middle of the run and
# started again each time on the same port and state directory (the second
# time with --fsync always). The swarm must end with exit 0, every cluster
# installed, and the emulator's own state must agree. Bounded: the swarm
# runs under `timeout`, every wait has a limit.
set -eu

B=${SWARM_BUILD_ROOT:?}
SRC=${SWARM_SOURCE_ROOT:?}
EMU=$B/tools/assisted-emulator/assisted-emulator
SW=$B/swarm/swarm
. "$(dirname "$0")/e2e_lib.sh"

# start_emu N LISTEN ARGS...: run N of the emulator on the state directory.
start_emu() {
	n=$1
	shift
	emu_start "emu$n" "$@" --state-dir "$TMP/state" --time-scale 60 --seed 5
}

# wait_for SERIES MIN SECONDS: until the metric reaches MIN.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		v=$(metric "$1")
		[ "${v%.*}" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "$1 did not reach $2 within $3 s (last $v)"
}

crash() { # SIGKILL: no shutdown path runs
	kill -9 "$EMU_PID"
	wait "$EMU_PID" 2>/dev/null || true
	EMU_PID=
}

start_emu 1 127.0.0.1:0
sed -e "s|http://127.0.0.1:8090|http://127.0.0.1:$PORT|" \
	-e "s|\.\./emulator-pull-secret.json|$SRC/scenarios/emulator-pull-secret.json|" \
	"$SRC/scenarios/default/service.yaml" >"$TMP/service.yaml"
timeout 200 "$SW" --progress plain --interval 2s -r "$TMP/res.json" 2000 \
	"$SRC/scenarios/default/plan.yaml" "$TMP/service.yaml" >"$TMP/sw.log" 2>"$TMP/sw.err" &
SW_PID=$!

# First crash once clusters are installing, the second a little later.
wait_for 'emulator_clusters{status="installing"}' 1 60
crash
start_emu 2 "127.0.0.1:$PORT"
grep -q "state: recovered from" "$TMP/emu2.err" || fail "run 2 did not recover: $(cat "$TMP/emu2.err")"
rec=$(metric emulator_state_recovered_records)
[ "$rec" -gt 0 ] || fail "run 2 replayed no journal record"
wait_for 'emulator_clusters{status="installed"}' 2 60
crash
start_emu 3 "127.0.0.1:$PORT" --fsync always
grep -q "state: recovered from" "$TMP/emu3.err" || fail "run 3 did not recover"

rc=0
wait "$SW_PID" || rc=$?
SW_PID=
[ "$rc" -eq 0 ] || fail "swarm exit $rc after two emulator crashes"
res=$TMP/res.json
if command -v jq >/dev/null 2>&1; then
	[ "$(jq '.totals.clusters_installed' "$res")" = 10 ] || fail "not every cluster installed"
	[ "$(jq '.totals.clusters_failed' "$res")" = 0 ] || fail "failed clusters"
	run=$(jq -r '.run_id' "$res")
	curl -fsS "http://127.0.0.1:$PORT/debug/state" >"$TMP/state.json" || fail "/debug/state"
	n=$(jq --arg run "$run" '[.clusters[] | select(.name | contains($run)) | select(.status == "installed")] | length' "$TMP/state.json")
	[ "$n" = 10 ] || fail "the emulator knows $n installed clusters of run $run, want 10"
	bad=$(jq '[.hosts[] | select(.status != "installed")] | length' "$TMP/state.json")
	[ "$bad" = 0 ] || fail "$bad hosts not installed in the emulator"
else
	grep -q '10 installed, 0 failed' "$TMP/sw.log" || fail "summary does not say 10 installed"
fi
waiting=$(metric emulator_state_replies_waiting_fsync)
fsyncs=$(metric emulator_state_fsyncs_total)
[ "$fsyncs" -gt 0 ] || fail "--fsync always did no fdatasync"
emu_stop
echo "ok: 10 clusters installed across two SIGKILLs ($rec records replayed at the first restart, $fsyncs fsyncs, $waiting replies waiting at the end)"
