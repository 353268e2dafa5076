#!/bin/sh
# Kube mode refuses a hub it cannot use before creating anything: a table of
# kubeconfig inputs (and hub answers), each with the exit code (2: a malformed
# kubeconfig, named FILE:LINE:COL; 4: a missing or unusable one, or a hub that
# refuses the swarm) and the message the swarm must print; after each, the hub
# holds no Namespace and no ClusterImageSet.
set -u
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/kube_env.sh"
cat >"$tmp/plan.yaml" <<'EOP'
clusters:
  - {single_node: true, num_workers: 0, amount: 1}
mode: kube
max_duration: 30s
timings: {time_scale: 60}
EOP
start_hub --time-scale 60 --kube-token good-token
service_yaml "$tmp/service.yaml" none
n=0

# check NAME WANT_EXIT REGEX [ENV...]: runs the swarm with $tmp/kubeconfig
check() {
	name=$1 want=$2 re=$3
	shift 3
	n=$((n + 1))
	rc=0
	env "$@" timeout 60 "$build/swarm/swarm" --progress=off --results "$tmp/results.json" 10 "$tmp/plan.yaml" \
		"$tmp/service.yaml" >"$tmp/swarm.out" 2>"$tmp/swarm.err" || rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $(cat "$tmp/swarm.err")"
	grep -Eq "$re" "$tmp/swarm.err" || fail "$name: no /$re/ in: $(cat "$tmp/swarm.err")"
	[ "$(hub /api/v1/namespaces | jq '.items | length')" = 0 ] || fail "$name: a Namespace was created"
	[ "$(hub /apis/hive.openshift.io/v1/clusterimagesets | jq '.items | length')" = 0 ] ||
		fail "$name: a ClusterImageSet was created"
	echo "ok $n - $name: exit $rc"
}
hub() {
	curl -sf -H "Authorization: Bearer good-token" "http://127.0.0.1:$kport$1"
}

good_user="{token: good-token}"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i 's/^current-context: hub/current-context: nowhere/' "$tmp/kubeconfig"
check "current-context not in contexts" 4 "current-context 'nowhere' is not in contexts"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i '/^current-context:/d' "$tmp/kubeconfig"
check "no current-context" 4 "no current-context"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i 's/context: {cluster: hub, user: swarm}/context: {cluster: elsewhere, user: swarm}/' "$tmp/kubeconfig"
check "context names no known cluster" 4 "names cluster 'elsewhere', which is not in clusters"

kubeconfig "$tmp/kubeconfig" "$good_user"
printf 'clusters: [\n' >>"$tmp/kubeconfig"
check "YAML syntax error" 2 "kubeconfig:[0-9]+:[0-9]+: YAML syntax error"

printf 'apiVersion: v1\nclusters: {hub: 1}\ncurrent-context: x\ncontexts: [{name: x, context: {cluster: hub}}]\n' \
	>"$tmp/kubeconfig"
check "clusters is no list" 2 "kubeconfig:2:11: key 'clusters': expected a list"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i 's|^    server: .*|    server: "ftp://127.0.0.1:1"|' "$tmp/kubeconfig"
check "server of another scheme" 2 "kubeconfig:[0-9]+:[0-9]+: key 'clusters\[0\].cluster.server': expected an http:// or https:// URL"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i 's|^    server: .*|&\n    certificate-authority-data: "not base64 ~~"|' "$tmp/kubeconfig"
check "CA data not base64" 2 "key 'clusters\[0\].cluster.certificate-authority-data': not base64-encoded PEM data"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i "s|^    server: .*|    server: \"https://127.0.0.1:$kport\"\n    certificate-authority-data: $(printf 'no certificate here' | base64 -w0)|" "$tmp/kubeconfig"
check "CA data that holds no certificate" 4 "CA data"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i "s|^    server: .*|    server: \"https://127.0.0.1:$kport\"\n    certificate-authority: missing-ca.pem|" "$tmp/kubeconfig"
check "CA file missing" 4 "certificate-authority .*missing-ca.pem: cannot read"

kubeconfig "$tmp/kubeconfig" "{token: wrong-token}"
check "a token the hub refuses (401)" 4 "HTTP 401 Unauthorized"

kubeconfig "$tmp/kubeconfig" "{exec: {command: get-token}}"
check "exec plugin" 4 "exec plugin, which the swarm does not run"

kubeconfig "$tmp/kubeconfig" "{tokenFile: no-such-token}"
check "tokenFile missing" 4 "tokenFile .*no-such-token: cannot read"

kubeconfig "$tmp/kubeconfig" "$good_user"
sed -i "s|^    server: .*|    server: \"http://127.0.0.1:1\"|" "$tmp/kubeconfig"
check "hub unreachable" 4 "GET /version: .*(refused|connect)"

sed -i '/^kubeconfig:/d' "$tmp/service.yaml"
check "no kubeconfig anywhere" 4 "no kubeconfig: set .kubeconfig." HOME="$tmp" KUBECONFIG= \
	KUBERNETES_SERVICE_HOST= KUBERNETES_SERVICE_PORT=
check "KUBECONFIG names no file" 4 "\\\$KUBECONFIG \\($tmp/none\\) names no file" KUBECONFIG="$tmp/none"
mkdir -p "$tmp/sa"
check "in a pod without a token" 4 "service account token .*/sa/token: cannot read" HOME="$tmp" KUBECONFIG= \
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$kport" SWARM_SERVICEACCOUNT_DIR="$tmp/sa"
echo "kubeconfig: kubeconfig" >>"$tmp/service.yaml"

# a hub that refuses the swarm's rights, or lacks a resource
stop_hub
start_hub --time-scale 60 --kube-token good-token --fault-error 'kube:list/baremetalhosts:1:403'
kubeconfig "$tmp/kubeconfig" "$good_user"
service_yaml "$tmp/service.yaml" none
check "list refused (403)" 4 "list baremetalhosts.metal3.io: HTTP 403 Forbidden.*rbac-kube-mode.yaml"
stop_hub
start_hub --time-scale 60 --kube-token good-token --fault-error 'kube:list/agents:1:404'
kubeconfig "$tmp/kubeconfig" "$good_user"
service_yaml "$tmp/service.yaml" none
check "a resource the hub does not serve (404)" 4 "list agents.agent-install.openshift.io: HTTP 404: the hub does not serve it"
echo "e2e_kube_config: $n cases ok"
