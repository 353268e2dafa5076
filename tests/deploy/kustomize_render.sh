#!/bin/sh
# kustomize_render: the Kubernetes manifests of tools/deploy/kustomize
# render with `kubectl kustomize` (Debian's kubectl 1.20, whose built-in
# kustomize is v2: the oldest we support) and hold together: an Indexed Job
# whose completions and parallelism equal the swarm-run ConfigMap's shard
# count (base: 4, overlay shards-8: 8), every ConfigMap, Secret, PVC and
# ServiceAccount the pods name exists under its generated name, the swarm
# reads its shard from JOB_COMPLETION_INDEX with SWARM_SHARD_COUNT, the merge
# Job reads the same volume, the containers run as non-root, and the
# ClusterRole grants the kube-mode resources and nothing cluster-wide beyond
# them. Skipped (77) only when no kubectl or no python3 with PyYAML is found.
set -eu
S=${SWARM_SOURCE_ROOT:?}
kc=${SWARM_KUBECTL:-/var/cache/swarm/kubernetes-client/usr/bin/kubectl}
[ -x "$kc" ] || kc=$(command -v kubectl || true)
[ -n "$kc" ] && [ -x "$kc" ] || { echo "SKIP: no kubectl (tools/deps/install.sh unpacks Debian's 1.20; or set SWARM_KUBECTL)"; exit 77; }
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3 with PyYAML needed (tools/deps/install.sh installs it)"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$kc" version --client 2>/dev/null | head -n1
for case in "base 4" "overlays/shards-8 8"; do
	set -- $case
	dir=$S/tools/deploy/kustomize/$1
	"$kc" kustomize "$dir" >"$TMP/out.yaml" 2>"$TMP/err" || { cat "$TMP/err"; echo "FAIL: kubectl kustomize $1"; exit 1; }
	python3 - "$TMP/out.yaml" "$2" "$1" <<'PY' || exit 1
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
want, name = int(sys.argv[2]), sys.argv[3]
def fail(msg):
    print(f"FAIL ({name}): {msg}")
    sys.exit(1)
by = {}
for d in docs:
    by.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
for kind in ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "PersistentVolumeClaim", "ConfigMap", "Secret", "Job"]:
    if kind not in by:
        fail(f"no {kind} rendered")
cms = by["ConfigMap"]
run = [c for n, c in cms.items() if n.startswith("swarm-run")]
if len(run) != 1:
    fail("one swarm-run ConfigMap expected")
shards = int(run[0]["data"]["shards"])
if shards != want:
    fail(f"swarm-run shards {shards}, want {want}")
job = by["Job"].get("swarm-shards")
merge = by["Job"].get("swarm-merge")
if not job or not merge:
    fail("the shards and merge Jobs must both render")
spec = job["spec"]
if spec.get("completionMode") != "Indexed" or spec["completions"] != shards or spec["parallelism"] != shards:
    fail(f"Indexed Job with completions = parallelism = {shards} expected, got {spec}")
names = {k: set(v) for k, v in by.items()}
for j in (job, merge):
    pod = j["spec"]["template"]["spec"]
    if pod.get("serviceAccountName") not in names["ServiceAccount"]:
        fail("pods must run as the rendered ServiceAccount")
    sc = pod.get("securityContext", {})
    if not sc.get("runAsNonRoot") or not sc.get("runAsUser"):
        fail("pods must run as non-root")
    for v in pod["volumes"]:
        ref = v.get("configMap", {}).get("name") or v.get("secret", {}).get("secretName") or \
              v.get("persistentVolumeClaim", {}).get("claimName")
        kind = "ConfigMap" if "configMap" in v else "Secret" if "secret" in v else "PersistentVolumeClaim"
        if ref not in names[kind]:
            fail(f"volume {v['name']} names {kind} {ref}, which is not rendered")
    for c in pod["containers"]:
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("configMapKeyRef", {}).get("name")
            if ref and ref not in names["ConfigMap"]:
                fail(f"env {e['name']} names ConfigMap {ref}, which is not rendered")
c = job["spec"]["template"]["spec"]["containers"][0]
env = {e["name"] for e in c.get("env", [])}
if not {"SWARM_SHARD_COUNT", "SWARM_RUN_ID"} <= env:
    fail("the shard pods need SWARM_SHARD_COUNT and SWARM_RUN_ID")
if not any("$(JOB_COMPLETION_INDEX)" in a for a in c["args"]):
    fail("each shard writes its own results file (named by JOB_COMPLETION_INDEX)")
mounts = {m["mountPath"] for m in c["volumeMounts"]}
if "/results" not in mounts or "/results" not in {m["mountPath"] for m in merge["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}:
    fail("shards and merge share /results")
if "swarm merge" not in " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"]):
    fail("the merge Job runs swarm merge")
rules = by["ClusterRole"]["swarm-kube-mode"]["rules"]
res = {(g, r) for rule in rules for g in rule.get("apiGroups", []) for r in rule.get("resources", [])}
need = {("", "namespaces"), ("", "secrets"), ("agent-install.openshift.io", "infraenvs"),
        ("extensions.hive.openshift.io", "agentclusterinstalls"), ("hive.openshift.io", "clusterdeployments"),
        ("hive.openshift.io", "clusterimagesets"), ("metal3.io", "baremetalhosts"), ("metal3.io", "baremetalhosts/status")}
if not need <= res:
    fail(f"ClusterRole lacks {need - res}")
if any("*" in rule["verbs"] or "*" in rule.get("resources", []) or "*" in rule.get("apiGroups", []) for rule in rules):
    fail("no wildcard rights")
deletable = {(g, r) for rule in rules if "delete" in rule["verbs"] for g in rule.get("apiGroups", []) for r in rule.get("resources", [])}
if deletable != {("", "namespaces"), ("hive.openshift.io", "clusterimagesets")}:
    fail(f"swarm cleanup deletes namespaces and ClusterImageSets only, the role lets it delete {deletable}")
crb = by["ClusterRoleBinding"]["swarm-kube-mode"]
if crb["roleRef"]["name"] != "swarm-kube-mode" or crb["subjects"][0]["name"] not in names["ServiceAccount"]:
    fail("the ClusterRoleBinding binds the ClusterRole to the ServiceAccount")
print(f"ok {name}: {len(docs)} objects, Indexed Job of {shards} shards, merge Job, RBAC for kube mode")
PY
done
echo "kustomize_render: all checks passed"
