#!/bin/sh
# tools/deploy/rbac-kube-mode.yaml parses with kubectl (Debian's 1.20, as the
# hub tests use; SWARM_KUBECTL overrides) into a Namespace, a ServiceAccount,
# a ClusterRole and a ClusterRoleBinding of that account to that role, every
# rule well-formed (API groups, resources and verbs a ClusterRole knows). That
# the role allows exactly what a run uses is checked by e2e_kube.sh (mixed,
# faults) against the run's own requests.
set -u
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/kube_env.sh"
kubectl_json "$src/tools/deploy/rbac-kube-mode.yaml" >"$tmp/rbac.json" || exit $?
jq -s -e 'map(.kind) == ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"]' "$tmp/rbac.json" \
	>/dev/null || fail "kinds: $(jq -s -c 'map(.kind)' "$tmp/rbac.json")"
jq -s -e '(.[1].metadata | {name, namespace}) as $sa | .[3].subjects == [{kind: "ServiceAccount"} + $sa] and
	.[3].roleRef == {apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: .[2].metadata.name}' \
	"$tmp/rbac.json" >/dev/null || fail "the binding does not bind the account to the role"
jq -s -e '.[2].rules | length > 0 and all(
	(.verbs | length > 0 and all(. as $v | ["get", "list", "watch", "create", "update", "patch", "delete",
	                                         "deletecollection"] | index($v))) and
	((has("apiGroups") and has("resources") and (.resources | length > 0) and (has("nonResourceURLs") | not)) or
	 (has("nonResourceURLs") and (has("resources") | not))))' "$tmp/rbac.json" >/dev/null ||
	fail "a malformed rule: $(jq -s -c '.[2].rules' "$tmp/rbac.json")"
echo "rbac_kube: $(jq -s '.[2].rules | length' "$tmp/rbac.json") rules, parsed by kubectl"
