#!/bin/sh
# A zero-touch-provisioning install driven by Debian's kubectl 1.20 against the
# emulated hub and its controllers (assisted-emulator --kube-api), as the
# original assisted-swarm drives a real hub: apply the rendered templates of one
# cluster, play the BareMetal Operator through raw status writes (kubectl 1.20
# has no --subresource), boot each host's agent from the ISO URL the hub hands
# out (tests/emulator/e2e_driver --attach: agent, installer and
# assisted-installer-controller over REST, with the infra-env id and, under local
# auth, the token read from that URL), and wait for the AgentClusterInstall to be
# Completed. Then the state the controllers wrote is checked (ClusterDeployment
# installed, clusterMetadata and its Secrets, Agents approved and labelled, the
# BMH annotations of the flow), that none of their writes would be pruned or
# refused by the CRD schemas (--kube-check-writes), that their queue and
# reconcile metrics are in /metrics, and that deleting the namespace goes
# through every finalizer and leaves nothing in the service.
#
# usage: e2e_ztp.sh EMULATOR E2E_DRIVER converged|nonconverged none|local sno|multi
# kubectl: SWARM_KUBECTL, else the private copy tools/deps/install.sh unpacks.
# The originals rendered from SWARM_SHARED_DIR replace the SNO fixture when present.
set -u
emu=$1 drv=$2 flow=$3 auth=$4 shape=$5
src=${SWARM_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
kc=${SWARM_KUBECTL:-/var/cache/swarm/kubernetes-client/usr/bin/kubectl}
if [ ! -x "$kc" ]; then
	echo "SKIP: Debian's kubectl 1.20 not found at $kc (run tools/deps/install.sh, or set SWARM_KUBECTL)"
	exit 77
fi
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL ($flow/$auth/$shape): $*"; [ -f "$tmp/out" ] && sed 's/^/  | /' "$tmp/out" | tail -n 25; exit 1; }

if [ "$shape" = sno ]; then
	ns=swarm-1700000000-0 masters=1 nhosts=1 fixture="$src/tests/fixtures/kube/sno-cluster.yaml"
else
	ns=swarm-1700000000-1 masters=3 nhosts=4 fixture="$src/tests/fixtures/kube/multi-3m1w-cluster.yaml"
fi
mac() { printf '00:00:%02x:00:00:%02x' "${ns##*-}" "$1"; }
flowopt=--converged-flow
[ "$flow" = nonconverged ] && flowopt=--no-converged-flow
: >"$tmp/emu.out"
"$emu" --listen 127.0.0.1:0 --kube-api 127.0.0.1:0 --time-scale 60 --auth "$auth" $flowopt \
	--kube-check-writes --quiet >"$tmp/emu.out" 2>&1 &
pid=$!
port="" kport=""
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*: listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/emu.out")
	kport=$(sed -n 's/.*kube-api listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/emu.out")
	[ -n "$port" ] && [ -n "$kport" ] && break
	sleep 0.1
done
[ -n "$kport" ] || fail "emulator did not report its ports"
cat >"$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "http://127.0.0.1:$kport"}
  name: hub
contexts:
- context: {cluster: hub, user: swarm}
  name: hub
current-context: hub
users:
- name: swarm
  user: {}
KC
export KUBECONFIG="$tmp/kubeconfig" HOME="$tmp"
k() { timeout 40 "$kc" --cache-dir "$tmp/cache" --request-timeout=30s "$@"; }
k version >"$tmp/out" 2>&1 || fail "kubectl version"
minor=$(sed -n 's/.*Client Version.*v1\.\([0-9]*\).*/\1/p' "$tmp/out" | head -n1)
vflag=""
[ "${minor:-20}" -ge 27 ] && vflag="--validate=warn"   # a newer kubectl than Debian's

# the cluster's objects, in the original's order
tpl=${SWARM_SHARED_DIR:-/nonexistent}/reference/assisted-swarm-examples/manifests
if [ "$shape" = sno ] && [ -d "$tpl" ] && python3 -c 'import jinja2' 2>/dev/null; then
	python3 "$src/tests/hub/render_templates.py" "$tpl" "$ns" >"$tmp/objects.yaml" || fail "render originals"
	echo "applying the original templates rendered for $ns (with an NMStateConfig)"
else
	cp "$fixture" "$tmp/objects.yaml"
fi
k apply $vflag -f "$tmp/objects.yaml" >"$tmp/out" 2>&1 || fail "apply"

# bounded polling of one jsonpath until it matches a regex
poll() { # what jsonpath regex
	i=0
	while [ $i -lt 100 ]; do
		v=$(k -n $ns get $1 -o "jsonpath=$2" 2>/dev/null) && echo "$v" | grep -Eq "$3" && return 0
		i=$((i + 1))
		sleep 0.1
	done
	echo "$1 $2 = '$v', wanted /$3/" >"$tmp/out"
	return 1
}
# the BareMetal Operator's status write: state and operational status, from a
# fresh read, again on a conflict (BMAC writes the same object meanwhile)
bmo_status() { # host-index state operationalStatus
	n=0
	while [ $n -lt 20 ]; do
		bmo_status_once "$@" 2>"$tmp/st.err" && return 0
		grep -q Conflict "$tmp/st.err" || { cat "$tmp/st.err"; return 1; }
		n=$((n + 1))
		sleep 0.1
	done
	return 1
}
bmo_status_once() {
	k -n $ns get bmh $ns-$1 -o json >"$tmp/bmh.json" || return 1
	python3 - "$tmp/bmh.json" "$2" "$3" <<'PY' || return 1
import json, sys
p, state, op = sys.argv[1], sys.argv[2], sys.argv[3]
o = json.load(open(p))
o["status"] = {"errorCount": 0, "errorMessage": "", "goodCredentials": {}, "hardwareProfile": "",
               "operationalStatus": op, "poweredOn": True, "provisioningFailCount": 0,
               "provisioning": {"state": state, "ID": "", "image": {"url": ""}}}
json.dump(o, open(p, "w"))
PY
	k replace --raw "/apis/metal3.io/v1alpha1/namespaces/$ns/baremetalhosts/$ns-$1/status" -f "$tmp/bmh.json" >/dev/null
}

# the InfraEnv's image: ISO URL, creation time, ImageCreated, finalizer
poll "infraenv $ns" '{.status.isoDownloadURL}' '^https://' || fail "no ISO URL"
case $auth in
	local) poll "infraenv $ns" '{.status.isoDownloadURL}' '/byapikey/eyJ' || fail "no /byapikey/ URL under local auth" ;;
	*) poll "infraenv $ns" '{.status.isoDownloadURL}' '/byid/[0-9a-f-]{36}/' || fail "no /byid/ URL" ;;
esac
poll "infraenv $ns" '{.status.conditions[?(@.type=="ImageCreated")].reason}' '^InfraEnvAvailable$' || fail "ImageCreated"
poll "infraenv $ns" '{.status.createdTime}' 'T' || fail "createdTime"
poll "infraenv $ns" '{.metadata.finalizers}' 'ai-deprovision' || fail "InfraEnv finalizer"
poll "aci $ns" '{.status.conditions[?(@.type=="SpecSynced")].status}' '^True$' || fail "ACI SpecSynced"
poll "aci $ns" '{.status.conditions[?(@.type=="RequirementsMet")].reason}' '^ClusterNotReady$' || fail "ACI not ready before hosts"

# each host as the BareMetal Operator and the original swarm take it
hosts=""
j=0
while [ $j -lt $nhosts ]; do
	poll "bmh $ns-$j" '{.metadata.finalizers}' 'bmac.agent-install.openshift.io/deprovision' || fail "BMH finalizer"
	if [ "$flow" = converged ]; then
		# BMO: the host's PreprovisioningImage, owned by the BMH
		uid=$(k -n $ns get bmh $ns-$j -o jsonpath='{.metadata.uid}')
		cat >"$tmp/ppi.yaml" <<PPI
apiVersion: metal3.io/v1alpha1
kind: PreprovisioningImage
metadata:
  name: $ns-$j
  namespace: $ns
  labels: {infraenvs.agent-install.openshift.io: $ns}
  ownerReferences: [{apiVersion: metal3.io/v1alpha1, kind: BareMetalHost, name: $ns-$j, uid: "$uid", controller: true, blockOwnerDeletion: true}]
spec:
  acceptFormats: [iso]
  architecture: x86_64
PPI
		k create -f "$tmp/ppi.yaml" >"$tmp/out" 2>&1 || fail "create PreprovisioningImage"
		bmo_status $j available OK >"$tmp/out" 2>&1 || fail "BMH status available"
		k -n $ns wait --for=condition=ImageReady preprovisioningimage/$ns-$j --timeout=20s >"$tmp/out" 2>&1 ||
			fail "PreprovisioningImage not ImageReady"
		poll "preprovisioningimage $ns-$j" '{.status.conditions[?(@.type=="ImageReady")].reason}' '^InfraEnvAvailable$' ||
			fail "ImageReady reason"
		poll "bmh $ns-$j" '{.spec.customDeploy.method}' '^start_assisted_install$' || fail "customDeploy"
		url=$(k -n $ns get preprovisioningimage $ns-$j -o jsonpath='{.status.imageUrl}')
		bmo_status $j provisioning OK >"$tmp/out" 2>&1 || fail "BMH status provisioning"
	else
		bmo_status $j ready discovered >"$tmp/out" 2>&1 || fail "BMH status ready"
		# BMAC: inspection and cleaning off, the live ISO once the image cooled down
		poll "bmh $ns-$j" '{.spec.image.url}' '^https://' || fail "no spec.image.url"
		poll "bmh $ns-$j" '{.spec.image.format}/{.spec.online}/{.spec.automatedCleaningMode}' '^live-iso/true/disabled$' ||
			fail "BMH image format / online / cleaning"
		poll "bmh $ns-$j" '{.metadata.annotations.inspect\.metal3\.io}' '^disabled$' || fail "inspection not disabled"
		url=$(k -n $ns get bmh $ns-$j -o jsonpath='{.spec.image.url}')
		bmo_status $j provisioned discovered >"$tmp/out" 2>&1 || fail "BMH status provisioned"
	fi
	hosts="$hosts --host $(mac $j),$ns-$j,10.123.0.$((j + 1))"
	j=$((j + 1))
done

# the agents boot from the ISO and install; the hub approves, binds and installs
timeout 150 "$drv" --attach "$port" --auth "$auth" --iso-url "$url" --masters $masters $hosts \
	--timeout 140 >"$tmp/out" 2>&1 || fail "agents"
k -n $ns wait --for=condition=Completed aci/$ns --timeout=60s >"$tmp/out" 2>&1 || fail "ACI not Completed"
poll "aci $ns" '{.status.conditions[?(@.type=="Stopped")].reason}' '^InstallationCompleted$' || fail "ACI Stopped"
poll "aci $ns" '{.status.conditions[?(@.type=="Failed")].status}' '^False$' || fail "ACI Failed"
poll "aci $ns" '{.status.debugInfo.state}' '^(installed|adding-hosts)$' || fail "ACI state"
poll "aci $ns" '{.status.progress.totalPercentage}' '^100$' || fail "ACI progress"
[ "$shape" = multi ] && { poll "aci $ns" '{.status.apiVIP}' '^10.123.255.253$' || fail "ACI apiVIP"; }
# hive: installed; clusterMetadata and its Secrets
poll "clusterdeployment $ns" '{.spec.installed}' '^true$' || fail "ClusterDeployment not installed"
poll "clusterdeployment $ns" '{.status.conditions[?(@.type=="Provisioned")].status}' '^True$' || fail "Provisioned"
poll "aci $ns" '{.spec.clusterMetadata.adminPasswordSecretRef.name}' "^$ns-admin-password$" || fail "clusterMetadata"
poll "clusterdeployment $ns" '{.spec.clusterMetadata.adminKubeconfigSecretRef.name}' "^$ns-admin-kubeconfig$" ||
	fail "ClusterDeployment clusterMetadata"
k -n $ns get secret $ns-admin-kubeconfig -o jsonpath='{.data.kubeconfig}' >"$tmp/kc.b64" 2>&1 || fail "kubeconfig secret"
base64 -d <"$tmp/kc.b64" | grep -q 'kind: Config' || fail "admin kubeconfig content"
k -n $ns get secret $ns-admin-password -o jsonpath='{.data.username}' >"$tmp/out" 2>&1 || fail "password secret"
[ "$(base64 -d <"$tmp/out")" = kubeadmin ] || fail "admin password username"
# the Agents: one per host, approved, labelled, bound, installed
[ "$(k -n $ns get agents -o name | wc -l)" -eq $nhosts ] || fail "not $nhosts Agents"
j=0
while [ $j -lt $nhosts ]; do
	a=$(k -n $ns get agents -l agent-install.openshift.io/bmh=$ns-$j -o name)
	[ -n "$a" ] || fail "no Agent labelled with BMH $ns-$j"
	poll "$a" '{.spec.approved}/{.metadata.labels.infraenvs\.agent-install\.openshift\.io}' "^true/$ns$" || fail "$a approval/label"
	poll "$a" '{.metadata.ownerReferences[0].kind}' '^InfraEnv$' || fail "$a owner"
	poll "$a" '{.status.conditions[?(@.type=="Installed")].reason}' '^InstallationCompleted$' || fail "$a Installed"
	poll "$a" '{.status.conditions[?(@.type=="Bound")].status}' '^True$' || fail "$a Bound"
	role=master
	[ $j -ge $masters ] && role=worker
	poll "$a" '{.spec.role}/{.status.role}' "^$role/$role$" || fail "$a role"
	poll "$a" '{.status.inventory.interfaces[0].macAddress}' "^$(mac $j)$" || fail "$a inventory"
	if [ "$flow" = nonconverged ]; then
		poll "bmh $ns-$j" '{.metadata.annotations.baremetalhost\.metal3\.io/detached}' '^assisted-service-controller$' ||
			fail "BMH not detached"
		poll "bmh $ns-$j" '{.metadata.annotations.inspect\.metal3\.io/hardwaredetails}' "$(mac $j)" ||
			fail "no hardwaredetails annotation"
	else
		bmo_status $j provisioned OK >"$tmp/out" 2>&1 || fail "BMH status provisioned"
		poll "bmh $ns-$j" '{.metadata.annotations.baremetalhost\.metal3\.io/detached}' '^assisted-service-controller$' ||
			fail "provisioned BMH not detached"
	fi
	j=$((j + 1))
done

# every controller write fits its CRD schema; queue and reconcile metrics are served
curl -s "http://127.0.0.1:$kport/metrics" >"$tmp/metrics" || fail "kube /metrics"
grep '^emulator_controller_invalid_writes_total' "$tmp/metrics" >"$tmp/out"
[ -s "$tmp/out" ] || fail "no invalid-writes counter"
grep -v ' 0$' "$tmp/out" && fail "controller writes the CRD schemas would prune or refuse"
for c in infraenv clusterdeployment agent baremetal-agent-controller hive-clusterdeployment; do
	grep -q "^controller_runtime_reconcile_total{controller=\"$c\",result=\"success\"} [1-9]" "$tmp/metrics" ||
		{ cp "$tmp/metrics" "$tmp/out"; fail "no successful reconcile of $c in /metrics"; }
	grep -q "^workqueue_depth{name=\"$c\"} " "$tmp/metrics" || fail "no workqueue_depth of $c"
	grep -q "^controller_runtime_reconcile_time_seconds_count{controller=\"$c\"} [1-9]" "$tmp/metrics" ||
		fail "no reconcile time of $c"
done
grep -q '^controller_runtime_max_concurrent_reconciles{controller="baremetal-agent-controller"} 1$' "$tmp/metrics" ||
	fail "BMAC concurrency is not 1"
if [ "$flow" = converged ]; then
	grep -q '^controller_runtime_reconcile_total{controller="preprovisioningimage",result="success"} [1-9]' "$tmp/metrics" ||
		fail "no PreprovisioningImage reconcile"
fi
curl -s "http://127.0.0.1:$port/metrics" | grep -q '^controller_runtime_reconcile_total' ||
	fail "controller metrics not in the REST port's /metrics"

# deleting the namespace goes through every finalizer and empties the service
k delete namespace $ns --timeout=30s >"$tmp/out" 2>&1 || fail "delete namespace"
k get namespace $ns >"$tmp/out" 2>&1 && fail "namespace still there"
curl -s "http://127.0.0.1:$port/debug/state" >"$tmp/out" || fail "/debug/state"
python3 - "$tmp/out" <<'PY' || fail "the service still holds clusters, infra-envs or hosts"
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if not s["clusters"] and not s["infra_envs"] and not s["hosts"] else 1)
PY
kill "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc -eq 0 ] || fail "emulator exit status $rc"
echo "e2e_ztp $flow/$auth/$shape: installed through the hub (kubectl 1.${minor:-?})"
