#!/bin/sh
# conformance_swarm: records what the swarm sends (the emulator's --record)
# over full runs -- the demo plan (scenarios/default) and a just_infraenv
# plan with cleanup, so every operation the swarm uses is there -- against
# both API generations, and checks every request:
#   tables  (default): with record_check, against the per-operation tables
#           generated from the swagger into the emulator (no swagger needed):
#           operation, path and query parameters, body fields, Accept and
#           Content-Type, 2xx answers; then replays each operation with a
#           wrong Accept / Content-Type and expects the service's 406 / 415;
#   swagger: the current generation's record against the swagger itself
#           (node, tests/emulator/conformance/validate.js --requests); SKIP
#           (77) when node, its modules or the swagger (SWARM_SHARED_DIR) are
#           absent.
# usage: conformance_swarm.sh [tables|swagger]
set -u
mode=${1:-tables}
. "$(dirname "$0")/../fixtures/swarm_env.sh"
B=$build
S=$src
TMP=$tmp
SW=$B/swarm/swarm
CHECK=$B/tests/swarm/record_check
CONF=$S/tests/emulator/conformance
EMU=$B/tools/assisted-emulator/assisted-emulator

# The swagger variant's needs (node, its modules, the swagger): SKIP without them.
[ "$mode" != swagger ] || . "$CONF/need.sh"

cat >"$TMP/plan-ie.yaml" <<'PLAN'
clusters:
  - {single_node: false, num_workers: 0, just_infraenv: true, amount: 1}
  - {single_node: true, num_workers: 0, amount: 1}
cleanup: true
max_duration: 2m
timings: {time_scale: 60}
PLAN

# record GEN: runs both plans against an emulator of generation GEN, leaves
# $TMP/rec-GEN.jsonl.
record() {
	gen=$1
	start_emulator --api-generation "$gen" --record "$TMP/rec-$gen.jsonl"
	plain_service_yaml "$TMP/svc.yaml"
	for plan in "$S/scenarios/default/plan.yaml" "$TMP/plan-ie.yaml"; do
		timeout 200 "$SW" -q --progress off -r "$TMP/res.json" 50 "$plan" "$TMP/svc.yaml" \
			>"$TMP/run-$gen.log" 2>"$TMP/run-$gen.err" || fail "$gen: swarm exit $? on $plan"
	done
	stop_emulator
	[ -s "$TMP/rec-$gen.jsonl" ] || fail "$gen: nothing recorded"
}

if [ "$mode" = swagger ]; then
	record current
	# The validator must be able to fail: known-bad requests are refused.
	if node "$CONF/validate.js" --requests --spec "$spec" "$CONF/selftest_requests.jsonl" >/dev/null 2>&1; then
		fail "the validator accepted selftest_requests.jsonl (known-bad requests)"
	fi
	node "$CONF/validate.js" --requests --spec "$spec" "$TMP/rec-current.jsonl" || fail "swagger conformance"
	exit 0
fi

record current
record 2023
"$CHECK" "$TMP/rec-current.jsonl" --generation current --replay "$EMU" || fail "current generation"
"$CHECK" "$TMP/rec-2023.jsonl" --generation 2023 || fail "2023 generation"
# The checker must be able to fail: a request with the field run's mistake
# (Accept: application/json on a download) and an undeclared query parameter.
cl=$(sed -n 's/.*"path":"\(\/api\/assisted-install\/v2\/clusters\/[0-9a-f-]*\)\/downloads\/files".*/\1/p' \
	"$TMP/rec-current.jsonl" | head -n1)
[ -n "$cl" ] || fail "no V2DownloadClusterFiles request recorded"
printf '%s\n' "{\"method\":\"GET\",\"path\":\"$cl/downloads/files\",\"query\":\"file_name=bootstrap.ign&nope=1\",\"operation\":\"V2DownloadClusterFiles\",\"status\":200,\"request_accept\":\"application/json\",\"request_content_type\":null,\"request_body_len\":0}" \
	>"$TMP/bad.jsonl"
"$CHECK" "$TMP/bad.jsonl" >"$TMP/bad.out" 2>&1 && fail "record_check accepted a JSON Accept on a download"
grep -q "Accept 'application/json', the operation produces 'application/octet-stream'" "$TMP/bad.out" ||
	fail "record_check did not name the Accept mistake: $(cat "$TMP/bad.out")"
grep -q "query parameter 'nope' is not declared" "$TMP/bad.out" ||
	fail "record_check did not name the undeclared parameter: $(cat "$TMP/bad.out")"
echo "ok: every request of both generations' runs conforms to the generated tables"
