#!/bin/sh
# kubectl-driven end-to-end test of the emulated hub (assisted-emulator
# --kube-api) with Debian's kubectl 1.20 (package kubernetes-client, unpacked
# privately by tools/deps/install.sh into /var/cache/swarm/kubernetes-client;
# override with SWARM_KUBECTL). Applies the original templates rendered for
# one single-node cluster (tests/fixtures/kube/sno-cluster.yaml, and the
# originals rendered live when SWARM_SHARED_DIR holds them), then create,
# apply again, get (Table), get -w, patch (merge, json, strategic), the
# BareMetal Operator's status writes through `replace --raw .../status`,
# wait --for=condition, delete with cascade policies and of the namespace,
# a 422, a 401. Every step is bounded by `timeout`.
# usage: e2e_kubectl.sh EMULATOR
set -u
emu=$1
src=${SWARM_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
kc=${SWARM_KUBECTL:-/var/cache/swarm/kubernetes-client/usr/bin/kubectl}
if [ ! -x "$kc" ]; then
	echo "SKIP: Debian's kubectl 1.20 not found at $kc (run tools/deps/install.sh, or set SWARM_KUBECTL)"
	exit 77
fi
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && sed 's/^/  | /' "$tmp/out" | tail -n 20; exit 1; }

# TLS (HTTP/2 by ALPN): kubectl sends bearer tokens over TLS only
token=e2e-kubectl-token
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 ||
	fail "openssl certificate"
"$emu" --listen 127.0.0.1:0 --kube-api 127.0.0.1:0 --kube-no-controllers --kube-tls-cert "$tmp/cert.pem" \
	--kube-tls-key "$tmp/key.pem" --kube-token "$token" --quiet >"$tmp/emu.out" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*kube-api listening on https:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/emu.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "emulator did not report its kube-api port"
cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://127.0.0.1:$port", certificate-authority: "$tmp/cert.pem"}
  name: hub
contexts:
- context: {cluster: hub, user: swarm}
  name: hub
current-context: hub
users:
- name: swarm
  user: {token: $token}
KC
export KUBECONFIG="$tmp/kubeconfig" HOME="$tmp"
k() { timeout 30 "$kc" --cache-dir "$tmp/cache" --request-timeout=20s "$@"; }
ns=swarm-1700000000-0

k version >"$tmp/out" 2>&1 || fail "kubectl version"
grep -q 'Client Version.*v1.20' "$tmp/out" || echo "note: kubectl is not 1.20: $(head -n1 "$tmp/out")"
# kubectl >= 1.27 asks for strict server-side field validation (fieldValidation=Strict),
# which refuses the templates' misplaced keys as a real apiserver does: ask for warnings
minor=$(sed -n 's/.*Client Version.*v1\.\([0-9]*\).*/\1/p' "$tmp/out" | head -n1)
vflag=""
[ "${minor:-20}" -ge 27 ] && vflag="--validate=warn"
grep -q 'Server Version' "$tmp/out" || fail "no server version"

# apply the rendered templates: everything created, the misplaced keys pruned with warnings
k apply $vflag -f "$src/tests/fixtures/kube/sno-cluster.yaml" >"$tmp/out" 2>&1 || fail "apply"
[ "$(grep -c ' created$' "$tmp/out")" -eq 8 ] || fail "apply did not create 8 objects"
grep -q 'unknown field "spec.pullSecretRef.sshAuthorizedKey"' "$tmp/out" || fail "no warning for the pruned key"
# (the last-applied annotation keeps the text as applied, like upstream; the spec does not)
k -n $ns get infraenv $ns -o jsonpath='{.spec}' >"$tmp/out" 2>&1 || fail "get infraenv"
grep -q sshAuthorizedKey "$tmp/out" && fail "sshAuthorizedKey was not pruned"
grep -q '"cpuArchitecture":"x86_64"' "$tmp/out" || fail "InfraEnv default not applied"
k -n $ns get aci $ns -o jsonpath='{.spec.provisionRequirements}' >"$tmp/out" 2>&1 || fail "get aci"
grep -q sshPublicKey "$tmp/out" && fail "sshPublicKey was not pruned"
# apply again: kubectl re-sends the two pruned keys (its last-applied annotation has
# them), which the server prunes again: a no-op, the resourceVersion stays
rv1=$(k -n $ns get infraenv $ns -o jsonpath='{.metadata.resourceVersion}')
k apply $vflag -f "$src/tests/fixtures/kube/sno-cluster.yaml" >"$tmp/out" 2>&1 || fail "second apply"
[ "$(grep -c ' unchanged$' "$tmp/out")" -eq 6 ] || fail "second apply changed objects"
rv2=$(k -n $ns get infraenv $ns -o jsonpath='{.metadata.resourceVersion}')
[ "$rv1" = "$rv2" ] || fail "a no-op apply wrote the InfraEnv ($rv1 -> $rv2)"

# get: Table output with the CRDs' printer columns, short names, all namespaces
k get bmh -A >"$tmp/out" 2>&1 || fail "get bmh"
grep -q 'ONLINE' "$tmp/out" && grep -q "$ns-0" "$tmp/out" || fail "bmh table"
k get aci -n $ns >"$tmp/out" 2>&1 && grep -q CLUSTER "$tmp/out" || fail "aci table"
k get clusterimageset $ns -o jsonpath='{.spec.releaseImage}' >"$tmp/out" 2>&1 || fail "cluster-scoped get"
grep -q ocp-release "$tmp/out" || fail "cluster image set"
k get secrets -n $ns >"$tmp/out" 2>&1 && grep -q 'kubernetes.io/dockerconfigjson' "$tmp/out" || fail "secret table"

# create and patch
k -n $ns create configmap cm1 --from-literal=a=b >"$tmp/out" 2>&1 || fail "create configmap"
k -n $ns patch configmap cm1 -p '{"data":{"c":"d"}}' >"$tmp/out" 2>&1 || fail "strategic patch"
k -n $ns patch bmh $ns-0 --type merge -p '{"spec":{"online":false}}' >"$tmp/out" 2>&1 || fail "merge patch"
k -n $ns patch bmh $ns-0 --type json -p '[{"op":"replace","path":"/spec/online","value":true}]' >"$tmp/out" 2>&1 ||
	fail "json patch"
k -n $ns patch bmh $ns-0 -p '{"spec":{"online":true}}' >"$tmp/out" 2>&1 && fail "strategic patch of a CRD accepted"
grep -q 'UnsupportedMediaType\|unknown format' "$tmp/out" || fail "no 415 for SMP on a CRD"
k -n $ns patch bmh $ns-0 --type merge -p '{"spec":{"online":"yes"}}' >"$tmp/out" 2>&1 && fail "wrong type accepted"
grep -q 'spec.online' "$tmp/out" && grep -q 'is invalid' "$tmp/out" || fail "422 message"

# get -w sees the changes that follow it
k -n $ns get bmh -w -o name >"$tmp/watch" 2>&1 &
wpid=$!
sleep 1
k -n $ns label bmh $ns-0 swarm.io/seen=yes >"$tmp/out" 2>&1 || fail "label"

# the BareMetal Operator's status writes (kubectl 1.20 has no --subresource)
st_put() { # state
	k -n $ns get bmh $ns-0 -o json >"$tmp/bmh.json" || return 1
	python3 - "$tmp/bmh.json" "$1" <<'PY' || return 1
import json, sys
p, state = sys.argv[1], sys.argv[2]
o = json.load(open(p))
o["status"] = {"errorCount": 0, "errorMessage": "", "goodCredentials": {}, "hardwareProfile": "",
               "operationalStatus": "discovered", "poweredOn": True,
               "provisioning": {"state": state, "ID": "", "image": {"url": ""}}}
json.dump(o, open(p, "w"))
PY
	k replace --raw "/apis/metal3.io/v1alpha1/namespaces/$ns/baremetalhosts/$ns-0/status" -f "$tmp/bmh.json"
}
st_put ready >"$tmp/out" 2>&1 || fail "status ready"
st_put provisioned >"$tmp/out" 2>&1 || fail "status provisioned"
k -n $ns get bmh $ns-0 -o jsonpath='{.status.provisioning.state}/{.spec.online}' >"$tmp/out" 2>&1
grep -q '^provisioned/true$' "$tmp/out" || fail "status subresource: $(cat "$tmp/out")"
sleep 1
kill $wpid 2>/dev/null
wait $wpid 2>/dev/null
[ "$(grep -c "baremetalhost.metal3.io/$ns-0" "$tmp/watch")" -ge 4 ] || { cp "$tmp/watch" "$tmp/out"; fail "get -w saw too few events"; }

# wait --for=condition on the AgentClusterInstall, met by a status write
k -n $ns wait --for=condition=Completed aci/$ns --timeout=20s >"$tmp/wait" 2>&1 &
wtpid=$!
sleep 1
k -n $ns get aci $ns -o json >"$tmp/aci.json" || fail "get aci json"
python3 - "$tmp/aci.json" <<'PY' || fail "aci json"
import json, sys
o = json.load(open(sys.argv[1]))
o["status"] = {"conditions": [{"type": "Completed", "status": "True", "reason": "InstallationCompleted",
                               "message": "The installation has completed: Cluster is installed",
                               "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
json.dump(o, open(sys.argv[1], "w"))
PY
k replace --raw "/apis/extensions.hive.openshift.io/v1beta1/namespaces/$ns/agentclusterinstalls/$ns/status" \
	-f "$tmp/aci.json" >"$tmp/out" 2>&1 || fail "aci status"
wait $wtpid || { cp "$tmp/wait" "$tmp/out"; fail "kubectl wait"; }
grep -q 'condition met' "$tmp/wait" || fail "wait output"

# delete: orphan keeps dependents, namespace deletion cascades and waits
uid=$(k -n $ns get configmap cm1 -o jsonpath='{.metadata.uid}')
cat >"$tmp/dep.yaml" <<DEP
apiVersion: v1
kind: ConfigMap
metadata:
  name: dep
  namespace: $ns
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: cm1, uid: $uid}
data: {x: "z"}
DEP
k create -f "$tmp/dep.yaml" >"$tmp/out" 2>&1 || fail "create dependent"
k -n $ns delete configmap cm1 --cascade=orphan >"$tmp/out" 2>&1 || fail "orphan delete"
k -n $ns get configmap dep >"$tmp/out" 2>&1 || fail "orphaned dependent deleted"
k delete namespace $ns --timeout=20s >"$tmp/out" 2>&1 || fail "delete namespace"
k get namespace $ns >"$tmp/out" 2>&1 && fail "namespace still there"
grep -q NotFound "$tmp/out" || fail "namespace NotFound message"
k get bmh -A >"$tmp/out" 2>&1 && grep -q "No resources found" "$tmp/out" || fail "namespace objects left"
k get clusterimageset $ns >"$tmp/out" 2>&1 || fail "cluster-scoped object must survive the namespace"

# the originals, rendered live, when the reference material is beside the clone
tpl=${SWARM_SHARED_DIR:-/nonexistent}/reference/assisted-swarm-examples/manifests
if [ -d "$tpl" ] && python3 -c 'import jinja2' 2>/dev/null; then
	python3 "$src/tests/hub/render_templates.py" "$tpl" swarm-1700000000-1 >"$tmp/orig.yaml" || fail "render originals"
	k apply $vflag -f "$tmp/orig.yaml" >"$tmp/out" 2>&1 || fail "apply the original templates"
	[ "$(grep -c ' created$' "$tmp/out")" -eq 9 ] || fail "original templates: not 9 objects created"
	k -n swarm-1700000000-1 get infraenv swarm-1700000000-1 -o jsonpath='{.spec}' >"$tmp/out" 2>&1
	grep -q sshAuthorizedKey "$tmp/out" && fail "original template: sshAuthorizedKey not pruned"
	echo "original templates rendered and applied"
else
	echo "note: original templates not checked (SWARM_SHARED_DIR or python3-jinja2 missing)"
fi

# authentication
timeout 30 "$kc" --cache-dir "$tmp/cache" --token wrong get ns >"$tmp/out" 2>&1 && fail "wrong token accepted"
grep -q Unauthorized "$tmp/out" || fail "401 message"

echo "e2e_kubectl: all checks passed (kubectl 1.${minor:-?})"
