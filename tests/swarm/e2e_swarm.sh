#!/bin/sh
# e2e_swarm: runs the real `swarm` binary against tools/assisted-emulator on a
# random loopback port until every cluster of a mixed plan (2 SNO, 1 compact,
# 1 3+2) is installed, over h2c and HTTP/1.1, shared and dedicated
# connections, with auth none / token / local and the 2023 API generation.
# Each case checks swarm's exit code, its results JSON (every cluster
# installed, no failed host) and that the emulator saw the clusters installed.
# Bounded: each run has a timeout, the emulator runs with --time-scale.
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

# run_case NAME HTTP CONNECTIONS [extra service yaml lines...]
# (RUNNER=driver runs tests/swarm/e2e_driver, one shard without main.c)
run_case() {
	name=$1 http=$2 conns=$3
	shift 3
	{
		echo "service_endpoint: \"http://127.0.0.1:$PORT\""
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
	timeout 300 "$SW" --progress off -r "$TMP/res-$name.json" 50 "$TMP/${PLAN:-plan}.yaml" "$TMP/svc-$name.yaml" \
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

start_emu
NOERRORS=1 run_case h2c-shared h2 shared
# just_infraenv: done once its 3 hosts are known; cleanup deletes everything
PLAN=plan-ie NCL=2 NHOSTS=4 NINST=1 NOERRORS=1 run_case infraenv-cleanup h2 shared
run_case h1-shared http1.1 shared
run_case h2c-dedicated h2 dedicated
run_case h1-dedicated http1.1 dedicated

start_emu --auth token --pull-secret-token c3dhcm06dG9rZW4= --user-token user-secret
run_case token h2 shared "auth: token" "user_token: user-secret"

# local: the swarm binary takes the agents' JWT from the infra-env's ISO URL;
# one case also runs the engine through the in-process test driver.
start_emu --auth local --local-allow-user-token user-secret
run_case local h2 shared "auth: local" "user_token: user-secret"
RUNNER=driver run_case local-h1-dedicated http1.1 dedicated "auth: local" "user_token: user-secret"

start_emu --api-generation 2023
run_case gen2023 h2 shared "api_generation: auto"

echo "all e2e cases passed"
