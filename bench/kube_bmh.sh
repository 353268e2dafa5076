#!/bin/sh
# Kube mode at scale: N BareMetalHost lifecycles in one swarm process against
# the emulated hub (assisted-emulator --kube-api with its controllers),
# N single-node clusters, each from its objects' creation through the
# emulated BareMetal Operator (registering ... provisioned), the agent's boot
# from the ISO URL, the install over REST, to the AgentClusterInstall's
# Completed. Emulator on CPU 0, swarm on CPU 1; time-compressed (the work per
# host is the same as at real pace: every request and watch event of a full
# life happens).
#
# Prints: kube requests per host lifecycle (split: the BMH's own, the
# cluster's objects, conflicts re-read), watch events per host, the swarm's
# CPU per lifecycle (all of it, REST included), peak RSS and RSS per host
# in flight (all N hosts are started at once and live together), and the
# original assisted-swarm's polling cost for the same run, computed: it ran
# `oc get <type> -A -o json` for AgentClusterInstalls, BareMetalHosts and
# InfraEnvs every 5 s, each listing every object ever created (it deleted
# nothing), for as long as the run lasts at real pace.
#
# Usage: bench/kube_bmh.sh [BUILD_DIR] [N] [TIME_SCALE] [converged|nonconverged]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-10000}
scale=${3:-60}
flow=${4:-nonconverged}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-kbench.XXXXXX")
emu=""
cleanup() { [ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; [ -n "${SWARM_BENCH_KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
flowopt=--no-converged-flow
[ "$flow" = converged ] && flowopt=--converged-flow
# the hub's controllers keep their real concurrency (one worker each) but no
# artificial call latency; the window holds every event of the run
taskset -c 0 "$build/tools/assisted-emulator/assisted-emulator" --listen 127.0.0.1:0 \
	--kube-api 127.0.0.1:0 --time-scale "$scale" $flowopt --kube-call-latency 0 \
	--kube-watch-window 1000000 --quiet >"$tmp/emu.out" 2>&1 &
emu=$!
i=0
until grep -q "kube-api listening on" "$tmp/emu.out"; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "emulator did not start: $(cat "$tmp/emu.out")" >&2; exit 1; }
	sleep 0.05
done
port=$(sed -n 's/^assisted-emulator: listening on [a-z]*:\/\/[^ ]*:\([0-9]*\) .*/\1/p' "$tmp/emu.out")
kport=$(sed -n 's/.*kube-api listening on [a-z]*:\/\/[^ ]*:\([0-9]*\)$/\1/p' "$tmp/emu.out")
cat >"$tmp/kubeconfig" <<EOC
apiVersion: v1
clusters: [{name: hub, cluster: {server: "http://127.0.0.1:$kport"}}]
contexts: [{name: hub, context: {cluster: hub}}]
current-context: hub
EOC
cat >"$tmp/service.yaml" <<EOC
service_endpoint: "http://127.0.0.1:$port"
ssh_pub_key: "ssh-ed25519 AAAA swarm@bench"
pull_secret_file: "$top/scenarios/emulator-pull-secret.json"
release_image: "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"
http: h2
kube_http: h2
kubeconfig: kubeconfig
EOC
plan() { # N FILE
	cat >"$2" <<EOC
clusters:
  - {single_node: true, num_workers: 0, amount: $1, name: sno}
mode: kube
seed: 3
max_duration: 60m
timings: {time_scale: $scale}
EOC
}
run() { # N NAME
	plan "$1" "$tmp/$2.yaml"
	taskset -c 1 /usr/bin/time -f "cpu_user=%U cpu_sys=%S peak_rss_kib=%M wall=%e" \
		"$build/swarm/swarm" --progress=off --series-interval 0 --results "$tmp/$2.json" "$1" \
		"$tmp/$2.yaml" "$tmp/service.yaml" >"$tmp/$2.out" 2>"$tmp/$2.err" || true
	tail -n 1 "$tmp/$2.err"
}
# a one-host run: the process's own footprint (loops, clients, stats)
base=$(run 1 base)
t=$(run "$n" main)
jq -e '.totals.clusters_installed' "$tmp/main.json" >/dev/null 2>&1 || { cat "$tmp/main.err" >&2; exit 1; }
r() { jq -r "$1" "$tmp/main.json"; }
installed=$(r .totals.clusters_installed)
# per host lifecycle = per BMH taken to provisioned (a cluster failing its
# install afterwards does not undo that)
provisioned=$(r .kube.bmh.provisioned)
kreq=$(r .kube.requests_total)
# lists and watches are the run's, not a host's: the start-up check (one
# list per resource), each watch's first list (relists after a 410 too)
pre=$(r '[.kube.requests[] | select(.verb == "list" or .verb == "watch") | .count] | add')
events=$(r .kube.watch_events_total)
conf=$(r .kube.conflicts_retried)
clusters=$(r '.clusters | length')
# the host's own: its BMH (create, the operator's writes, re-reads after a
# conflict), its PreprovisioningImage, its BMC Secret (the Secrets less the
# clusters' pull Secrets)
bmhw=$(r '[.kube.requests[] | select((.resource == "baremetalhosts" or .resource == "preprovisioningimages")
	and .verb != "list" and .verb != "watch") | .count] | add')
sec=$(r '[.kube.requests[] | select(.resource == "secrets" and .verb == "create") | .count] | add')
regets=$(r '[.kube.requests[] | select(.verb == "get") | .count] | add // 0')
rest=$(r '.totals.requests - .kube.requests_total')
dur=$(r .duration_seconds)
cpu=$(printf '%s\n' "$t" | sed -n 's/cpu_user=\([0-9.]*\) cpu_sys=\([0-9.]*\).*/\1 \2/p' | awk '{ print $1 + $2 }')
rss=$(printf '%s\n' "$t" | sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p')
rss0=$(printf '%s\n' "$base" | sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p')
# object sizes on the hub, for the original's lists
ns=$(r '.clusters[0].name')
sz() { curl -sf "http://127.0.0.1:$kport$1" | wc -c; }
s_aci=$(sz "/apis/extensions.hive.openshift.io/v1beta1/namespaces/$ns/agentclusterinstalls/$ns")
s_bmh=$(sz "/apis/metal3.io/v1alpha1/namespaces/$ns/baremetalhosts/$ns-0")
s_ie=$(sz "/apis/agent-install.openshift.io/v1beta1/namespaces/$ns/infraenvs/$ns")
echo "$t"
echo "flow $flow, time scale $scale: $provisioned of $n BMHs provisioned, $installed of $n SNO clusters installed in ${dur}s; $(r .kube.flow.detected) flow detected"
awk -v n="$provisioned" -v k="$kreq" -v pre="$pre" -v e="$events" -v c="$conf" -v b="$bmhw" -v s="$sec" \
    -v g="$regets" -v rest="$rest" -v cpu="$cpu" -v rss="$rss" -v rss0="$rss0" -v N="$n" -v d="$dur" \
    -v sc="$scale" -v a="$s_aci" -v bm="$s_bmh" -v ie="$s_ie" -v flow="$flow" -v cl="$clusters" 'BEGIN {
	if (n == 0) exit 1
	h = (k - pre) / n
	own = (b + s - cl) / n
	printf "kube requests per host lifecycle: %.2f of its own (goal <= 12: BMH create and the operator'"'"'s writes %.2f, of which %.2f re-reads after a conflict; BMC Secret %.2f), %.2f with its single-node cluster'"'"'s objects (Namespace, pull Secret, ClusterDeployment, AgentClusterInstall, InfraEnv: %.2f); the run'"'"'s lists and watches: %d\n", own, b / n, g / n, (s - cl) / n, h, h - own, pre
	printf "watch events per host lifecycle: %.1f; conflicts re-applied per host: %.2f; REST requests per host: %.1f\n", e / n, c / n, rest / n
	printf "swarm CPU per lifecycle (kube + REST, user+sys): %.2f ms; peak RSS %.1f MiB, %.2f KiB per host in flight (%d hosts, one-host run %.1f MiB)\n", 1000 * cpu / n, rss / 1024, (rss - rss0) / N, N, rss0 / 1024
	real = d * sc; polls = real / 5
	# every list returns every object created so far: about half of all on average
	bytes = polls * (N / 2) * (a + bm + ie)
	printf "the original for the same run: %.0f s at real pace -> %.0f polls x 3 oc get -A = %.0f list requests, %.1f GB of JSON (objects: ACI %d B, BMH %d B, InfraEnv %d B), %.0f objects decoded; per host %.1f list requests returning %.0f objects (vs %.2f requests and %.1f watch events)\n", real, polls, 3 * polls, bytes / 1e9, a, bm, ie, polls * 3 * N / 2, 3 * polls / n, polls * 3 * N / 2 / n, h, e / n
	printf "{\"bench\":\"kube_bmh\",\"flow\":\"%s\",\"hosts\":%d,\"provisioned\":%d,\"kube_requests_per_host_own\":%.2f,\"kube_requests_per_host\":%.2f,\"watch_events_per_host\":%.1f,\"cpu_ms_per_lifecycle\":%.3f,\"rss_kib_per_host\":%.2f,\"peak_rss_kib\":%d,\"original_list_requests\":%.0f,\"original_bytes\":%.0f}\n", flow, N, n, own, h, e / n, 1000 * cpu / n, (rss - rss0) / N, rss, 3 * polls, bytes
}'
