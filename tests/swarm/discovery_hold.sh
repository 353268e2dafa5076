#!/bin/sh
# discovery_hold: the plan's per-shape `discovery_hold`, time-scaled (the
# emulator and the plan at 60x). One single-node cluster holds 10m (10 s
# here) once ready, one without a hold installs at once, and a just_infraenv
# shape holds until_end (its default). Checked from the emulator's record
# (its order is the order answers left) and the results:
#  - every cluster installs (the infra-env counts as done), exit 0;
#  - the held cluster's host kept polling between the cluster becoming ready
#    and its installation (at least 3 polls at one a second of a 10 s hold);
#  - the infra-env's hosts kept polling while the held cluster installed
#    (at least 3 polls after its install call), and the infra-env finished
#    after both other clusters.
set -u
. "$(dirname "$0")/../fixtures/swarm_env.sh"
B=$build
TMP=$tmp
command -v jq >/dev/null 2>&1 || skip "jq not found"

start_emulator --record "$TMP/rec.jsonl"
plain_service_yaml "$TMP/svc.yaml"
cat >"$TMP/plan.yaml" <<'PLAN'
clusters:
  - {single_node: true, num_workers: 0, amount: 1, name: held, discovery_hold: 10m}
  - {single_node: true, num_workers: 0, amount: 1, name: plain}
  - {single_node: false, num_workers: 0, amount: 1, name: ie, just_infraenv: true}
max_duration: 3m
timings: {time_scale: 60}
PLAN
timeout 240 "$B/swarm/swarm" --progress off -r "$TMP/res.json" 50 "$TMP/plan.yaml" "$TMP/svc.yaml" \
	>"$TMP/run.log" 2>"$TMP/run.err" || fail "swarm exit $?"
# The record is complete once the emulator exited.
stop_emulator
res=$TMP/res.json
[ "$(jq '.totals.clusters_installed' "$res")" = 3 ] || fail "not every cluster done: $(jq -c '.clusters' "$res")"
[ "$(jq '.totals.errors' "$res")" = 0 ] || fail "errors: $(jq -c '.totals' "$res")"

id_of() { jq -r --arg p "$1" '.clusters[] | select(.name | startswith($p)) | .id' "$res"; }
held=$(id_of held)
[ -n "$held" ] || fail "no held cluster record"
# The held cluster's infra-env is the one registered with its cluster_id.
held_ie=$(jq -r --arg c "$held" 'select(.operation == "RegisterInfraEnv" and
	(.request_body | fromjson | .cluster_id) == $c) | .response_body | fromjson | .id' "$TMP/rec.jsonl")
ie_ie=$(jq -r 'select(.operation == "RegisterInfraEnv" and ((.request_body | fromjson | .cluster_id) == null))
	| .response_body | fromjson | .id' "$TMP/rec.jsonl")
[ -n "$held_ie" ] && [ -n "$ie_ie" ] || fail "infra-envs not found in the record"
jq -c '[.operation, .path, (.response_body | if . != null and (startswith("{")) then (fromjson | .status?) else null end)]' \
	"$TMP/rec.jsonl" | nl -ba >"$TMP/seq.txt"
line_of() { grep -F "$1" "$TMP/seq.txt" | awk '{print $1}'; }
ready=$(grep -F "\"v2GetCluster\",\"/api/assisted-install/v2/clusters/$held\",\"ready\"" "$TMP/seq.txt" |
	head -n1 | awk '{print $1}')
install=$(line_of "\"v2InstallCluster\",\"/api/assisted-install/v2/clusters/$held/actions/install\"" | head -n1)
[ -n "$ready" ] && [ -n "$install" ] || fail "held cluster: ready at '$ready', install at '$install'"
polls=$(awk -v a="$ready" -v b="$install" -v ie="$held_ie" \
	'$1 > a && $1 < b && index($0, "\"v2GetNextSteps\"") && index($0, ie) { n++ } END { print n + 0 }' "$TMP/seq.txt")
[ "$polls" -ge 3 ] || fail "held cluster: $polls polls between ready (line $ready) and install (line $install)"
echo "ok held: $polls polls of its host between ready and install"
# The infra-env's hosts (known-unbound since the start) still poll while the
# held cluster installs, seconds after its hold ended.
late=$(awk -v b="$install" -v ie="$ie_ie" \
	'$1 > b && index($0, "\"v2GetNextSteps\"") && index($0, ie) { n++ } END { print n + 0 }' "$TMP/seq.txt")
[ "$late" -ge 3 ] || fail "just_infraenv hosts: $late polls after the held cluster's install (line $install)"
t_ie=$(jq '[.clusters[] | select(.name | startswith("ie")) | .finished_seconds][0]' "$res")
t_max=$(jq '[.clusters[] | select(.name | startswith("ie") | not) | .finished_seconds] | max' "$res")
[ "$(jq -n --argjson a "$t_ie" --argjson b "$t_max" '$a >= $b')" = true ] ||
	fail "the infra-env finished at $t_ie s, before another cluster ($t_max s)"
echo "ok until_end: the infra-env's hosts polled on ($late polls after the held install) and it finished last"
