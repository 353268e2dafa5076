#!/bin/sh
# The fault matrix (issue 9): the default scenario (scenarios/default) against
# the emulator (--time-scale 60) under each fault alone, then all together:
# every cluster installs every time, and the swarm's error and retry counts
# reconcile with the faults the emulator says reached it (fault_check.py says
# how, and where a count can only be a bound).
#
#   e2e_fault_matrix.sh full|subset
#
# full (the plain gcc build): every cell below. subset (sanitizer and clang
# builds, several times slower): errors, resets over HTTP/1.1 and all
# together over h2c. Prints the time of each cell and of the whole matrix.
set -u
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/swarm_env.sh"
command -v python3 >/dev/null || skip "python3 not found (fault_check.py reconciles the counts)"
command -v curl >/dev/null || skip "curl not found (reads the emulator's fault counters)"
mode=${1:-full}
swarm="$build/swarm/swarm"
check="$src/tests/swarm/fault_check.py"
fails=0

# cell NAME PROTO MAX_DURATION EMULATOR-FAULT-ARGS...
cell() {
	name=$1 proto=$2 maxd=$3
	shift 3
	t0=$(date +%s)
	start_emulator --seed 9 "$@"
	sed -e "s#^service_endpoint:.*#service_endpoint: \"http://127.0.0.1:$eport\"#" \
		-e "s#^pull_secret_file:.*#pull_secret_file: \"$src/scenarios/emulator-pull-secret.json\"#" \
		-e "s#^http:.*#http: $proto#" "$src/scenarios/default/service.yaml" >"$tmp/svc-$name.yaml"
	sed -e "s#^max_duration:.*#max_duration: $maxd#" "$src/scenarios/default/plan.yaml" >"$tmp/plan-$name.yaml"
	"$swarm" --progress=off --results "$tmp/$name.json" 200 "$tmp/plan-$name.yaml" \
		"$tmp/svc-$name.yaml" >"$tmp/$name.out" 2>&1
	rc=$?
	curl -s "127.0.0.1:$eport/debug/faults" >"$tmp/$name.faults.json"
	curl -s "127.0.0.1:$eport/metrics" >"$tmp/$name.metrics.txt"
	kill $pids 2>/dev/null
	wait 2>/dev/null
	pids=""
	echo "--- $name over $proto ($*): swarm exit $rc, $(( $(date +%s) - t0 ))s"
	if [ ! -s "$tmp/$name.json" ] || ! python3 "$check" "$name" "$tmp/$name.json" \
		"$tmp/$name.faults.json" "$tmp/$name.metrics.txt" "$proto"; then
		fails=$((fails + 1))
		tail -n 30 "$tmp/$name.out"
	fi
}

T0=$(date +%s)
case $mode in
full)
	cell errors h2 2m --fault-error '*:0.1:503'
	cell steps500 h2 2m --fault-error 'v2GetNextSteps:0.2:500'
	cell resets h2 2m --fault-reset '*:0.01'
	cell resets http1.1 2m --fault-reset '*:0.01'
	cell goaway h2 2m --goaway-after 50
	cell goaway http1.1 2m --goaway-after 50
	cell latency h2 2m --fault-latency '*:lognormal:20ms:1'
	cell tails h2 3m --fault-latency 'v2UpdateHostInstallProgress:uniform:0:2s' \
		--fault-latency 'v2GetCluster:uniform:0:2s'
	cell restarts h2 3m --restart-every 5s
	cell restarts http1.1 3m --restart-every 5s
	;;
subset)
	cell errors h2 3m --fault-error '*:0.1:503'
	cell resets http1.1 3m --fault-reset '*:0.01'
	;;
*)
	echo "usage: $0 full|subset" >&2
	exit 2
	;;
esac
ALL="--fault-error *:0.1:503 --fault-error v2GetNextSteps:0.2:500 --fault-reset *:0.01 --goaway-after 50
--fault-latency *:lognormal:20ms:1 --fault-latency v2UpdateHostInstallProgress:uniform:0:2s
--fault-latency v2GetCluster:uniform:0:2s --restart-every 5s"
# shellcheck disable=SC2086
cell all h2 5m $ALL
if [ "$mode" = full ]; then
	# shellcheck disable=SC2086
	cell all http1.1 5m $ALL
fi
echo "fault matrix ($mode): $fails cell(s) failed, $(( $(date +%s) - T0 ))s in all"
[ "$fails" -eq 0 ]
