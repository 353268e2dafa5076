#!/bin/sh
# e2e_swarm: runs the real `swarm` binary against tools/assisted-emulator on a
# random loopback port until every cluster of a mixed plan (2 SNO, 1 compact,
# 1 3+2) is installed, over h2c, HTTP/1.1 and HTTP/2 over TLS, shared and
# dedicated connections, 1 and 2 threads, with auth none / rhsso / local, and
# injected faults (5xx, resets, latency: the swarm's error count must equal
# what the emulator injected). The core cases run against both API
# generations (the emulator's --api-generation current and 2023; the swarm
# detects which with api_generation: auto), and the field run (a 2023 service
# configured to offer 4.13 only, through --release-images / --os-images).
# Each case checks swarm's exit code, its results JSON (every cluster
# installed, no failed host, and in every healthy case 0 errors: no 4xx, no
# 5xx, no transport error) and that the emulator's own state agrees
# (clusters and their hosts installed).
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
		# A healthy run: every call answered 2xx (FAULTS=1 cases count their own).
		if [ -z "${FAULTS:-}" ]; then
			[ "$(jq '.totals.errors' "$res")" = 0 ] ||
				fail "$name: $(jq -c '.totals.errors as $e | [.endpoints | to_entries[] | select(.value.errors > 0) | {(.key): .value.status_codes}] | {errors: $e, by: .}' "$res")"
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

# The core cases, against today's service and the October 2023 one; the
# swarm finds out which it talks to (its one probe, logged).
for gen in current 2023; do
	start_emu --api-generation "$gen"
	run_case "h2c-shared-$gen" h2 shared
	grep -q "the service speaks the $gen generation" "$TMP/h2c-shared-$gen.err" ||
		fail "h2c-shared-$gen: generation not detected: $(cat "$TMP/h2c-shared-$gen.err")"
	# just_infraenv: done once its 3 hosts are known; cleanup deletes everything
	CLEANUP=1 PLAN=plan-ie NCL=2 NHOSTS=4 NINST=1 run_case "infraenv-cleanup-$gen" h2 shared
	run_case "h1-shared-$gen" http1.1 shared
	run_case "h2c-dedicated-$gen" h2 dedicated
	run_case "h1-dedicated-$gen" http1.1 dedicated
	# several threads (shards) in one process
	SWARM_ARGS="--threads 2" run_case "h2c-2threads-$gen" h2 shared
	# the generation named in the config: no probe
	run_case "named-$gen" h2 shared "api_generation: $gen"
	! grep -q "api_generation auto" "$TMP/named-$gen.err" || fail "named-$gen: probed anyway"
	# What the emulator saw: no route it lacks was asked for (the probe aside,
	# one per auto run), every download asked for its produced type.
	curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics-$gen.txt" || fail "metrics $gen"
	bad=$(awk '/^emulator_requests_total\{/ && /code="(4[0-9][0-9]|5[0-9][0-9])"/ &&
		!/operation="unknown",code="40[45]"/ { n += $2 } END { print n + 0 }' "$TMP/metrics-$gen.txt")
	[ "$bad" = 0 ] || fail "$gen: the emulator answered $bad requests with 4xx/5xx: $(grep -E 'code="[45]' "$TMP/metrics-$gen.txt")"
	probes=$(awk '/^emulator_requests_total\{operation="unknown",code="40[45]"/ { n += $2 } END { print n + 0 }' "$TMP/metrics-$gen.txt")
	[ "$probes" = 6 ] || fail "$gen: $probes generation probes for 6 auto runs"
	prog=$(awk '/^emulator_requests_total\{operation="v2UpdateClusterFinalizingProgress"/ { n += $2 } END { print n + 0 }' "$TMP/metrics-$gen.txt")
	if [ "$gen" = 2023 ]; then
		[ "$prog" = 0 ] || fail "2023: $prog finalizing-progress calls reached the emulator"
	else
		[ "$prog" -gt 0 ] || fail "current: no finalizing-progress call"
	fi
	echo "ok generation $gen: no 4xx/5xx at the emulator, $probes probes, $prog finalizing-progress calls"
done
# Told the wrong generation, the swarm learns from the 2023 service's
# answers: a 400 asking for api_vip (then both VIP forms), the router's 404
# on finalizing progress (then no more such calls, logged once); every
# cluster still installs and those are the only errors.
FAULTS=1 run_case learn-2023 h2 shared "api_generation: current"
others=$(jq '[.endpoints | to_entries[] | select(.value.errors > 0) | .key |
	select(. != "update_cluster" and . != "cluster_install_progress")] | length' "$TMP/res-learn-2023.json")
[ "$others" = 0 ] || fail "learn-2023: errors outside the VIP update and finalizing progress: $(jq -c '.endpoints' "$TMP/res-learn-2023.json")"
[ "$(jq '.endpoints.update_cluster.status_codes["400"] // 0' "$TMP/res-learn-2023.json")" -ge 1 ] ||
	fail "learn-2023: no 400 on the VIP update"
n=$(grep -c "no more finalizing-progress calls" "$TMP/learn-2023.err" || true)
[ "$n" = 1 ] || fail "learn-2023: the missing route was logged $n times (want once)"
echo "ok learn-2023: learnt api_vip and the missing route from the answers"

# The field run: an October 2023 service whose deployment offers 4.13 only
# (its RELEASE_IMAGES / OS_IMAGES, one inline, one from a file), the plan
# asking for 4.13: every cluster installs and every call is answered 2xx.
sed 's/^timings:/openshift_version: "4.13"\ntimings:/' "$TMP/plan.yaml" >"$TMP/plan-413.yaml"
cat >"$TMP/os-413.json" <<'OS'
[{"openshift_version":"4.13","cpu_architecture":"x86_64","url":"https://mirror.example/rhcos-4.13-x86_64-live.iso","version":"413.92.202307260246-0"}]
OS
start_emu --api-generation 2023 --os-images "$TMP/os-413.json" --release-images \
	'[{"openshift_version":"4.13","cpu_architecture":"x86_64","url":"quay.io/openshift-release-dev/ocp-release:4.13.17-x86_64","version":"4.13.17","default":true}]'
curl -fsS "http://127.0.0.1:$PORT/api/assisted-install/v2/openshift-versions" >"$TMP/versions.json" ||
	fail "field-2023-4.13: openshift-versions"
[ "$(jq -c 'keys' "$TMP/versions.json")" = '["4.13"]' ] ||
	fail "field-2023-4.13: offered $(cat "$TMP/versions.json")"
PLAN=plan-413 run_case field-2023-4.13 h2 shared
[ "$(curl -fsS "http://127.0.0.1:$PORT/debug/state" | jq '[.clusters[] | select(.openshift_version != "4.13")] | length')" = 0 ] ||
	fail "field-2023-4.13: a cluster of another version"
# A version the deployment does not offer: refused with the service's message.
sed 's/"4.13"/"4.12"/' "$TMP/plan-413.yaml" >"$TMP/plan-412.yaml"
rc=0
timeout 120 "$SW" --progress off -r "$TMP/res-412.json" 50 "$TMP/plan-412.yaml" "$TMP/svc-field-2023-4.13.yaml" \
	>"$TMP/v412.log" 2>"$TMP/v412.err" || rc=$?
[ "$rc" -ne 0 ] || fail "4.12: the swarm succeeded with a version the service does not offer"
grep -q "Requested OpenShift version 4.12 is not supported\|Openshift version 4.12 .*is not supported" "$TMP/v412.err" "$TMP/v412.log" ||
	fail "4.12: the service's refusal was not reported: $(tail -n 5 "$TMP/v412.err")"
echo "ok field-2023-4.13: a 4.13-only offer installs 4.13 with 0 errors, 4.12 refused"

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
SCHEME=https CURL_TLS="--cacert $TMP/tls.crt" run_case tls-h2 auto shared "ca_file: \"$TMP/tls.crt\""
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
FAULTS=1 run_case faults h2 shared
injected=$(curl -fsS "http://127.0.0.1:$PORT/metrics" |
	awk '/^emulator_faults_injected_total\{kind="(error|reset)"/ { n += $2 } END { print n + 0 }')
errors=$(jq '.totals.errors' "$TMP/res-faults.json")
[ "$injected" -gt 0 ] || fail "faults: nothing injected"
[ "$errors" = "$injected" ] || fail "faults: swarm counted $errors errors, emulator injected $injected"
echo "ok faults: $errors errors counted = $injected injected"

echo "all e2e cases passed"
