#!/bin/sh
# e2e_swarm: runs the real `swarm` binary against tools/assisted-emulator on a
# random loopback port until every cluster of a mixed plan (2 SNO, 1 compact,
# 1 3+2) is installed, over h2c, HTTP/1.1 and HTTP/2 over TLS, shared and
# dedicated connections, 1 and 2 threads, with auth none / rhsso / local, the
# 2023 API generation, and injected faults (5xx, resets, latency: the swarm's
# error count must equal what the emulator injected). Each case checks swarm's
# exit code, its results JSON (every cluster installed, no failed host) and
# that the emulator's own state agrees (clusters and their hosts installed).
# Bounded: each run has a timeout, the emulator runs with --time-scale.
# Usage: e2e_swarm.sh [threads]   (threads: the multi-shard cases only)
set -eu

B=${SWARM_BUILD_ROOT:?}
EMU=$B/tools/assisted-emulator/assisted-emulator
SW=$B/swarm/swarm
DRV=$B/tests/swarm/e2e_driver
TMP=$(mktemp -d)
EMU_PID=
SCALE=${E2E_TIME_SCALE:-60}

cleanup() {
	if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in "$TMP"/*.err "$TMP"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
	exit 1
}

# start_emu ARGS...: starts the emulator on 127.0.0.1:<random>, sets PORT.
start_emu() {
	stop_emu
	# Emptied here, not by the child's redirection: the loop below must not
	# read the previous emulator's port before the child truncates the file.
	: >"$TMP/emu.out"
	"$EMU" --listen 127.0.0.1:0 --time-scale "$SCALE" --seed 3 "$@" >"$TMP/emu.out" 2>"$TMP/emu.err" &
	EMU_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		PORT=$(sed -n 's/.*listening on [a-z]*:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/emu.out" | head -n1)
		[ -n "$PORT" ] && return 0
		kill -0 "$EMU_PID" 2>/dev/null || fail "emulator exited: $(cat "$TMP/emu.err")"
		sleep 0.05
		i=$((i + 1))
	done
	fail "emulator did not print its port"
}

stop_emu() {
	if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
	EMU_PID=
}

cat >"$TMP/ps.json" <<'PS'
{"auths":{"cloud.openshift.com":{"auth":"c3dhcm06dG9rZW4=","email":"swarm@example.com"},"quay.io":{"auth":"c3dhcm06dG9rZW4="}}}
PS

cat >"$TMP/plan.yaml" <<PLAN
clusters:
  - single_node: true
    num_workers: 0
    amount: 2
  - single_node: false
    num_workers: 0
    amount: 1
  - single_node: false
    num_workers: 2
    amount: 1
shuffle: false
seed: 11
max_duration: 240s
timings:
  time_scale: $SCALE
PLAN

# agree_with_emulator NAME RESULTS: every cluster the swarm reports installed
# is installed in the emulator's own state (/debug/state), with every one of
# its hosts installed; and the emulator knows no installed cluster of this run
# that the swarm does not report.
agree_with_emulator() {
	curl -fsS "${SCHEME:-http}://127.0.0.1:$PORT/debug/state" ${CURL_TLS:-} >"$TMP/state.json" ||
		fail "$1: /debug/state"
	run=$(jq -r '.run_id' "$2")
	if [ -n "${CLEANUP:-}" ]; then # the run deleted what it created
		left=$(jq -r --arg run "$run" '[.clusters[] | select(.name | contains($run))] | length' "$TMP/state.json")
		[ "$left" = 0 ] || fail "$1: cleanup left $left clusters of run $run in the emulator"
		return 0
	fi
	for id in $(jq -r '.clusters[] | select(.status == "installed") | .id' "$2"); do
		st=$(jq -r --arg id "$id" '[.clusters[] | select(.id == $id) | .status][0]' "$TMP/state.json")
		[ "$st" = installed ] || fail "$1: swarm says $id installed, emulator says $st"
		bad=$(jq -r --arg id "$id" '[.hosts[] | select(.cluster_id == $id and .status != "installed")] | length' "$TMP/state.json")
		[ "$bad" = 0 ] || fail "$1: $bad hosts of $id not installed in the emulator"
	done
	emu_n=$(jq -r --arg run "$run" '[.clusters[] | select(.name | contains($run)) | select(.status == "installed")] | length' "$TMP/state.json")
	sw_n=$(jq '[.clusters[] | select(.status == "installed")] | length' "$2")
	[ "$emu_n" = "$sw_n" ] || fail "$1: emulator has $emu_n installed clusters of run $run, swarm reports $sw_n"
}

# run_case NAME HTTP CONNECTIONS [extra service yaml lines...]
# (RUNNER=driver runs tests/swarm/e2e_driver, one shard without main.c)
run_case() {
	name=$1 http=$2 conns=$3
	shift 3
	{
		echo "service_endpoint: \"${SCHEME:-http}://127.0.0.1:$PORT\""
		echo "ssh_pub_key: \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheSwarmEndToEndTestOnly swarm@e2e\""
		echo "pull_secret_file: \"$TMP/ps.json\""
		echo "release_image: \"quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64\""
		echo "http: $http"
		echo "connections: $conns"
		for l in "$@"; do echo "$l"; done
	} >"$TMP/svc-$name.yaml"
	rc=0
	if [ "${RUNNER:-swarm}" = driver ]; then
		timeout 300 "$DRV" 50 "$TMP/${PLAN:-plan}.yaml" "$TMP/svc-$name.yaml" >"$TMP/$name.log" 2>"$TMP/$name.err" || rc=$?
		[ "$rc" -eq 0 ] || fail "$name: e2e_driver exit $rc"
		grep -q '^installed 5 failed 0 hosts_done 11 ' "$TMP/$name.log" || fail "$name: $(cat "$TMP/$name.log")"
		echo "ok $name (driver): $(head -n1 "$TMP/$name.log")"
		return 0
	fi
	# shellcheck disable=SC2086
	timeout 300 "$SW" --progress off ${SWARM_ARGS:-} -r "$TMP/res-$name.json" 50 "$TMP/${PLAN:-plan}.yaml" "$TMP/svc-$name.yaml" \
		>"$TMP/$name.log" 2>"$TMP/$name.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "$name: swarm exit $rc"
	res=$TMP/res-$name.json
	[ -s "$res" ] || fail "$name: no results file"
	if command -v jq >/dev/null 2>&1; then
		[ "$(jq '.totals.clusters_installed' "$res")" = "${NCL:-5}" ] || fail "$name: not all installed"
		[ "$(jq '.totals.clusters_failed' "$res")" = 0 ] || fail "$name: failures"
		[ "$(jq '.totals.hosts_by_phase.done' "$res")" = "${NHOSTS:-11}" ] || fail "$name: not every host done"
		[ "$(jq '[.clusters[] | select(.status == "installed")] | length' "$res")" = "${NINST:-5}" ] ||
			fail "$name: cluster records not installed"
		if [ -n "${NOERRORS:-}" ]; then
			[ "$(jq '.totals.errors' "$res")" = 0 ] || fail "$name: errors counted"
		fi
		agree_with_emulator "$name" "$res"
		echo "ok $name: $(jq -r '"\(.totals.requests) requests, \(.totals.errors) errors, cpu \(.totals.cpu_seconds)s, \(.duration_seconds)s"' "$res")"
	else
		grep -q '5 installed, 0 failed' "$TMP/$name.log" || fail "$name: summary does not say 5 installed"
		echo "ok $name"
	fi
}

# one extra SNO makes 5 clusters / 11 hosts in total
sed -i 's/    amount: 2/    amount: 3/' "$TMP/plan.yaml"

cat >"$TMP/plan-ie.yaml" <<PLAN
clusters:
  - single_node: false
    num_workers: 0
    just_infraenv: true
    amount: 1
  - single_node: true
    num_workers: 0
    amount: 1
shuffle: false
seed: 12
cleanup: true
max_duration: 240s
timings:
  time_scale: $SCALE
PLAN

# "threads": only several shards in one process (the ThreadSanitizer build
# runs these: shard loops, the main thread's stats snapshots every 100 ms
# for the progress lines, the shared start-up answer).
if [ "${1:-}" = threads ]; then
	start_emu
	SWARM_ARGS="--threads 3 --progress plain --interval 100ms" run_case threads3-h2c h2 shared
	SWARM_ARGS="--threads 2 --progress plain --interval 100ms" run_case threads2-h1-dedicated http1.1 dedicated
	echo "all threads cases passed"
	exit 0
fi

start_emu
NOERRORS=1 run_case h2c-shared h2 shared
# just_infraenv: done once its 3 hosts are known; cleanup deletes everything
CLEANUP=1 PLAN=plan-ie NCL=2 NHOSTS=4 NINST=1 NOERRORS=1 run_case infraenv-cleanup h2 shared
run_case h1-shared http1.1 shared
run_case h2c-dedicated h2 dedicated
run_case h1-dedicated http1.1 dedicated
# several threads (shards) in one process
SWARM_ARGS="--threads 2" run_case h2c-2threads h2 shared


start_emu --auth rhsso --pull-secret-token c3dhcm06dG9rZW4= --user-token user-secret
run_case rhsso h2 shared "auth: rhsso" "user_token: user-secret"

# local: the swarm binary takes the agents' JWT from the infra-env's ISO URL;
# one case also runs the engine through the in-process test driver.
start_emu --auth local --local-allow-user-token user-secret
run_case local h2 shared "auth: local" "user_token: user-secret"
RUNNER=driver run_case local-h1-dedicated http1.1 dedicated "auth: local" "user_token: user-secret"

# HTTP/2 over TLS (ALPN), verified against a CA the test generates
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=swarm e2e" -addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" >/dev/null 2>&1 || fail "openssl"
start_emu --tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key"
SCHEME=https CURL_TLS="--cacert $TMP/tls.crt" NOERRORS=1 run_case tls-h2 auto shared "ca_file: \"$TMP/tls.crt\""
SCHEME=https CURL_TLS="--cacert $TMP/tls.crt" SWARM_ARGS="--threads 2" run_case tls-h2-dedicated h2 dedicated "ca_file: \"$TMP/tls.crt\""
# The start-up check's answer serves every shard: one component-versions
# request per run (two runs here, the second with two threads).
cv=$(curl -fsS --cacert "$TMP/tls.crt" "https://127.0.0.1:$PORT/metrics" |
	awk '/^emulator_requests_total\{operation="v2ListComponentVersions"/ { n += $2 } END { print n + 0 }')
[ "$cv" = 2 ] || fail "component-versions asked $cv times in two runs (want one per run)"
echo "ok component-versions: one request per run"

# insecure_skip_verify: one warning per run whatever the clients (start-up
# check, shards), none with --quiet.
cat >"$TMP/plan-one.yaml" <<PLAN
clusters:
  - {single_node: true, num_workers: 0, amount: 1}
max_duration: 240s
timings:
  time_scale: $SCALE
PLAN
SCHEME=https CURL_TLS=-k PLAN=plan-one NCL=1 NHOSTS=1 NINST=1 SWARM_ARGS="--threads 2" \
	run_case tls-insecure h2 shared "insecure_skip_verify: true"
n=$(grep -c "not verified" "$TMP/tls-insecure.err" || true)
[ "$n" = 1 ] || fail "tls-insecure: the verification warning was printed $n times (want once)"
SCHEME=https CURL_TLS=-k PLAN=plan-one NCL=1 NHOSTS=1 NINST=1 SWARM_ARGS="-q" \
	run_case tls-insecure-quiet h2 shared "insecure_skip_verify: true"
[ ! -s "$TMP/tls-insecure-quiet.err" ] || fail "tls-insecure-quiet: -q printed: $(cat "$TMP/tls-insecure-quiet.err")"
echo "ok insecure_skip_verify: warned once, silent with -q"

# injected faults: 5xx, stream resets and latency; every cluster still
# installs and the swarm's error count equals what the emulator injected
start_emu --fault-error 'v2GetNextSteps:0.1:503' --fault-error 'v2UpdateHostInstallProgress:0.05:500' \
	--fault-reset 'v2PostStepReply:0.05' --fault-latency '*:uniform:1ms:30ms'
run_case faults h2 shared
injected=$(curl -fsS "http://127.0.0.1:$PORT/metrics" |
	awk '/^emulator_faults_injected_total\{kind="(error|reset)"/ { n += $2 } END { print n + 0 }')
errors=$(jq '.totals.errors' "$TMP/res-faults.json")
[ "$injected" -gt 0 ] || fail "faults: nothing injected"
[ "$errors" = "$injected" ] || fail "faults: swarm counted $errors errors, emulator injected $injected"
echo "ok faults: $errors errors counted = $injected injected"

start_emu --api-generation 2023
run_case gen2023 h2 shared "api_generation: auto"

echo "all e2e cases passed"
