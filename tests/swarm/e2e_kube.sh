#!/bin/sh
# Kube mode end to end: the swarm binary against the emulator's hub
# (assisted-emulator --kube-api, with its assisted-service controllers) and
# REST API, time-compressed 60x. One case per invocation:
#
#   sno        2 single-node clusters, non-converged flow, auth none: every
#              object as the original's templates (fixed), statuses, the run's
#              ClusterImageSet, results and /metrics
#   mixed      every shape (SNO, compact + nmstate, workers + infraenv_labels,
#              just_infraenv), converged flow, auth local, cleanup: the
#              namespaces, the ClusterImageSet and the service emptied
#   http1      the mixed plan, non-converged flow, HTTP/1.1 to the hub
#   tls        the hub over TLS with a bearer token (CA as kubeconfig data)
#   incluster  no kubeconfig: a pod's service account (token, ca.crt, env)
#   drop       the hub drops every connection during the run: watches resume
#   expired    ... with a watch window of 3 events: 410, relist
#   faults     503s, resets and latency on kube calls: everything installs,
#              the swarm counts exactly the faults the hub injected
#
# usage: e2e_kube.sh CASE
set -u
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/kube_env.sh"
case=${1:?case}
plan_sno="$tmp/sno.yaml"
cat >"$plan_sno" <<'EOP'
clusters:
  - {single_node: true, num_workers: 0, amount: 2, name: sno}
mode: kube
max_duration: 2m
timings: {time_scale: 60, jitter: 0.1}
EOP
plan_mixed="$src/scenarios/kube-mixed/plan.yaml"

# the run installed every cluster of the plan
installed() {
	[ "$rc" -eq 0 ] || fail "swarm exit code $rc"
	[ "$(r '.totals.clusters_failed')" = 0 ] || fail "failed clusters: $(r '[.clusters[] | select(.failed) | .failure]')"
	[ "$(r '.totals.clusters_installed')" = "$1" ] || fail "installed $(r .totals.clusters_installed), want $1"
	[ "$(r '.kube.bmh.provisioned')" = "$(r '.kube.bmh.created')" ] || fail "not every BMH was provisioned"
	[ "$(r '.kube.bmh.agents_registered')" = "$(r '.kube.bmh.created')" ] || fail "not every Agent appeared"
}

# the results file is valid against scenarios/results.schema.json (when Ajv is there)
schema_ok() {
	command -v node >/dev/null 2>&1 && [ -d "$src/tests/emulator/conformance/node_modules/ajv" ] || {
		echo "(results schema not checked: Ajv not installed)"; return 0; }
	node "$src/tests/report/results_schema.js" "$src/scenarios/results.schema.json" "$tmp/results.json" >/dev/null ||
		fail "results not valid against the schema: $(node "$src/tests/report/results_schema.js" \
			"$src/scenarios/results.schema.json" "$tmp/results.json" 2>&1 | head -n 5)"
}

# every cluster of the run is gone from the hub and the service
emptied() {
	run_id=$(r .run_id)
	[ "$(r '.kube.cleanup.namespaces_deleted')" = "$(r '.totals.clusters_total')" ] ||
		fail "cleanup: $(r '.kube.cleanup')"
	n=$(hub "/api/v1/namespaces?labelSelector=swarm.openshift.io%2Frun%3D$run_id" | jq '.items | length')
	[ "$n" = 0 ] || fail "$n namespaces of the run left"
	n=$(hub "/apis/hive.openshift.io/v1/clusterimagesets" | jq '.items | length')
	[ "$n" = 0 ] || fail "the ClusterImageSet was not deleted"
	curl -sf "http://127.0.0.1:$eport/debug/state" >"$tmp/state.json" || fail "/debug/state"
	[ "$(jq '(.clusters | length) + (.infra_envs | length) + (.hosts | length)' "$tmp/state.json")" = 0 ] ||
		fail "the service still has clusters, infra-envs or hosts"
}

case $case in
sno)
	start_hub --time-scale 60 --no-converged-flow
	kubeconfig "$tmp/kubeconfig"
	service_yaml "$tmp/service.yaml" none
	mport=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 10000 )) # below the ephemeral ports
	rc=0
	timeout 170 "$build/swarm/swarm" --progress=off --results "$tmp/results.json" \
		--metrics "127.0.0.1:$mport" --metrics-linger 3s 100 "$plan_sno" "$tmp/service.yaml" \
		>"$tmp/swarm.out" 2>"$tmp/swarm.err" &
	spid=$!
	i=0
	until [ -s "$tmp/results.json" ] || [ $i -ge 1700 ]; do sleep 0.1; i=$((i + 1)); done
	curl -sf "http://127.0.0.1:$mport/metrics" >"$tmp/metrics" || fail "no /metrics after the run"
	wait $spid || rc=$?
	installed 2
	schema_ok
	[ "$(r .exit_code)" = 0 ] || fail "results exit code $(r .exit_code)"
	[ "$(r '.kube.flow.detected')" = non-converged ] || fail "flow: $(r .kube.flow)"
	[ "$(r '.kube.bmh.preprovisioning_images')" = 0 ] || fail "PreprovisioningImages in the non-converged flow"
	r '.clusters[] | .id' | grep -qv '^[0-9a-f-]\{36\}$' && fail "a cluster without its service id"
	r '.clusters[] | .kube.bmh_to_provisioned_slowest_host_seconds' | grep -q null && fail "no BMH time"
	for f in swarm_kube_requests_total swarm_kube_request_duration_seconds_bucket \
	         swarm_kube_watch_events_total swarm_kube_bmhs swarm_kube_bmh_provisioned_seconds_count \
	         swarm_kube_agent_registered_seconds_count; do
		grep -q "^$f" "$tmp/metrics" || fail "/metrics has no $f"
	done
	grep -q 'swarm_kube_requests_total{verb="create",resource="baremetalhosts",code="201"} 2' "$tmp/metrics" ||
		fail "/metrics: BMH creates not counted"
	grep -q '^Kube API (hub)' "$tmp/swarm.out" || fail "no kube section in the summary"
	# the objects as the original created them, its template defects fixed
	run_id=$(r .run_id)
	c=$(r '.clusters[0].name')
	hub "/apis/agent-install.openshift.io/v1beta1/namespaces/$c/infraenvs/$c" >"$tmp/ie.json" || fail "InfraEnv $c"
	jq -e '.spec.sshAuthorizedKey | startswith("ssh-ed25519")' "$tmp/ie.json" >/dev/null ||
		fail "InfraEnv: sshAuthorizedKey not in spec"
	jq -e --arg c "$c" '.spec.clusterRef.name == $c and .spec.pullSecretRef.name == ($c + "-pull")' \
		"$tmp/ie.json" >/dev/null || fail "InfraEnv refs"
	jq -e --arg r "$run_id" '.metadata.labels["swarm.openshift.io/run"] == $r and
		.spec.agentLabels["swarm.openshift.io/run"] == $r' "$tmp/ie.json" >/dev/null || fail "InfraEnv run labels"
	hub "/apis/extensions.hive.openshift.io/v1beta1/namespaces/$c/agentclusterinstalls/$c" >"$tmp/aci.json"
	jq -e --arg r "$run_id" '.spec.sshPublicKey != null and .spec.imageSetRef.name == $r and
		.spec.provisionRequirements.controlPlaneAgents == 1 and
		(.status.conditions[] | select(.type == "Completed") | .status) == "True"' "$tmp/aci.json" >/dev/null ||
		fail "AgentClusterInstall: $(jq -c '{spec: .spec.provisionRequirements, ref: .spec.imageSetRef}' "$tmp/aci.json")"
	hub "/apis/hive.openshift.io/v1/clusterimagesets/$run_id" | jq -e '.spec.releaseImage | endswith("4.16.0-x86_64")' \
		>/dev/null || fail "the run's ClusterImageSet"
	[ "$(hub /apis/hive.openshift.io/v1/clusterimagesets | jq '.items | length')" = 1 ] ||
		fail "one ClusterImageSet per run"
	hub "/apis/metal3.io/v1alpha1/namespaces/$c/baremetalhosts/$c-0" >"$tmp/bmh.json" || fail "BMH $c-0"
	jq -e --arg c "$c" '.metadata.labels["infraenvs.agent-install.openshift.io"] == $c and
		.metadata.annotations["bmac.agent-install.openshift.io/role"] == "master" and
		(.spec.bootMACAddress | test("^02(:[0-9a-f]{2}){5}$")) and .spec.bmc.credentialsName == ($c + "-0-bmh") and
		(.metadata.finalizers | index("baremetalhost.metal3.io")) != null and
		.status.provisioning.state == "provisioned" and .status.poweredOn == true and
		.status.operationalStatus == "detached" and .status.hardware.ramMebibytes == 32768' "$tmp/bmh.json" \
		>/dev/null || fail "BMH: $(jq -c '{m: .metadata.finalizers, s: .status.provisioning, o: .status.operationalStatus}' "$tmp/bmh.json")"
	mac=$(jq -r .spec.bootMACAddress "$tmp/bmh.json")
	hub "/apis/agent-install.openshift.io/v1beta1/namespaces/$c/agents" >"$tmp/agents.json"
	jq -e --arg m "$mac" --arg c "$c" '.items[0].status.inventory.interfaces[0].macAddress == $m and
		.items[0].metadata.labels["agent-install.openshift.io/bmh"] == ($c + "-0") and .items[0].spec.approved' \
		"$tmp/agents.json" >/dev/null || fail "the Agent is not the BMH's host"
	hub "/api/v1/namespaces/$c/secrets/$c-0-bmh" | jq -e '.data.username == "YWRtaW4="' >/dev/null || fail "BMC Secret"
	;;
mixed)
	start_hub --time-scale 60 --converged-flow --auth local
	kubeconfig "$tmp/kubeconfig"
	service_yaml "$tmp/service.yaml" local
	run_swarm "$plan_mixed"
	installed 9
	schema_ok
	[ "$(r '.kube.flow.detected')" = converged ] || fail "flow: $(r .kube.flow)"
	[ "$(r '.kube.bmh.preprovisioning_images')" = "$(r '.kube.bmh.created')" ] || fail "one PreprovisioningImage per BMH"
	emptied
	rbac_covers
	;;
http1)
	start_hub --time-scale 60 --no-converged-flow
	kubeconfig "$tmp/kubeconfig"
	service_yaml "$tmp/service.yaml" none
	sed -i 's/^kube_http: h2/kube_http: http1.1/' "$tmp/service.yaml"
	sed 's/^cleanup: true/cleanup: false/' "$plan_mixed" >"$tmp/mixed.yaml"
	run_swarm "$tmp/mixed.yaml"
	installed 9
	[ "$(r '.kube.flow.detected')" = non-converged ] || fail "flow: $(r .kube.flow)"
	ie=$(r '[.clusters[] | select(.name | startswith("infraenv-"))][0].name')
	hub "/apis/agent-install.openshift.io/v1beta1/namespaces/$ie/infraenvs/$ie" >"$tmp/ie.json"
	jq -e '.metadata.labels["agentclusterinstalls.extensions.hive.openshift.io/location"] == "Moon" and
		.spec.clusterRef == null and .spec.nmStateConfigLabelSelector.matchLabels["cluster-name"] != null' \
		"$tmp/ie.json" >/dev/null || fail "just_infraenv InfraEnv: $(jq -c .spec "$tmp/ie.json")"
	hub "/apis/extensions.hive.openshift.io/v1beta1/namespaces/$ie/agentclusterinstalls" | jq -e '.items == []' \
		>/dev/null || fail "an AgentClusterInstall for just_infraenv"
	hub "/apis/agent-install.openshift.io/v1beta1/namespaces/$ie/nmstateconfigs/$ie-nmstate" | jq -e \
		'.spec.interfaces | length == 2' >/dev/null || fail "NMStateConfig"
	[ "$(hub "/apis/agent-install.openshift.io/v1beta1/namespaces/$ie/agents" | jq '[.items[] |
		select(.spec.approved)] | length')" = 3 ] || fail "just_infraenv: not 3 approved Agents"
	;;
tls)
	command -v openssl >/dev/null 2>&1 || skip "openssl not found"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/key.pem" \
		-out "$tmp/cert.pem" -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" \
		>/dev/null 2>&1 || fail "openssl req"
	start_hub --time-scale 60 --no-converged-flow --kube-tls-cert "$tmp/cert.pem" --kube-tls-key "$tmp/key.pem" \
		--kube-token e2e-hub-token
	kubeconfig "$tmp/kubeconfig" "{token: e2e-hub-token}"
	ca=$(base64 -w0 "$tmp/cert.pem")
	sed -i "s|^    server: .*|&\n    certificate-authority-data: $ca|" "$tmp/kubeconfig"
	service_yaml "$tmp/service.yaml" none
	sed -i 's/^kube_http: h2/kube_http: auto/' "$tmp/service.yaml"
	sed 's/amount: 2/amount: 1/' "$plan_sno" >"$tmp/one.yaml"
	run_swarm "$tmp/one.yaml"
	installed 1
	;;
incluster)
	command -v openssl >/dev/null 2>&1 || skip "openssl not found"
	mkdir -p "$tmp/sa" "$tmp/home"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/key.pem" \
		-out "$tmp/sa/ca.crt" -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" \
		>/dev/null 2>&1 || fail "openssl req"
	printf 'pod-token\n' >"$tmp/sa/token"
	start_hub --time-scale 60 --no-converged-flow --kube-tls-cert "$tmp/sa/ca.crt" --kube-tls-key "$tmp/key.pem" \
		--kube-token pod-token
	service_yaml "$tmp/service.yaml" none
	sed -i '/^kubeconfig:/d; s/^kube_http: h2/kube_http: auto/' "$tmp/service.yaml"
	sed 's/amount: 2/amount: 1/' "$plan_sno" >"$tmp/one.yaml"
	rc=0
	env -u KUBECONFIG HOME="$tmp/home" KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$kport" \
		SWARM_SERVICEACCOUNT_DIR="$tmp/sa" timeout 170 "$build/swarm/swarm" --progress=off \
		--results "$tmp/results.json" 100 "$tmp/one.yaml" "$tmp/service.yaml" >"$tmp/swarm.out" \
		2>"$tmp/swarm.err" || rc=$?
	installed 1
	grep -q "in-cluster service account" "$tmp/swarm.err" || fail "not the in-cluster account"
	;;
drop|expired)
	window=10000
	[ "$case" = expired ] && window=3
	start_hub --time-scale 60 --no-converged-flow --kube-watch-window $window
	kubeconfig "$tmp/kubeconfig"
	service_yaml "$tmp/service.yaml" none
	sed 's/amount: 2/amount: 4/' "$plan_sno" >"$tmp/four.yaml"
	# the hub drops every connection, watches included, every 0.7 s
	( while :; do sleep 0.7; curl -s -XPOST "http://127.0.0.1:$kport/debug/restart" >/dev/null 2>&1; done ) &
	pids="$pids $!"
	run_swarm "$tmp/four.yaml"
	installed 4
	[ "$(r '.kube.watch.failures')" -gt 0 ] || fail "no dropped watch: $(r .kube.watch)"
	if [ "$case" = expired ]; then
		[ "$(r '.kube.watch.relists_expired')" -gt 0 ] || fail "no relist after 410: $(r .kube.watch)"
	fi
	;;
faults)
	start_hub --time-scale 60 --no-converged-flow --seed 5 --fault-error 'kube:*:0.05:503' \
		--fault-reset 'kube:*:0.02' --fault-latency 'kube:*:uniform:1ms:20ms'
	kubeconfig "$tmp/kubeconfig"
	service_yaml "$tmp/service.yaml" none
	sed 's/^cleanup: true/cleanup: false/' "$plan_mixed" >"$tmp/mixed.yaml"
	run_swarm "$tmp/mixed.yaml"
	installed 9
	curl -sf "http://127.0.0.1:$eport/metrics" >"$tmp/emu.metrics" || fail "emulator /metrics"
	injected() { # KIND: faults of that kind the hub injected on kube calls
		awk -v k="$1" '$1 ~ "^emulator_faults_injected_total" && $1 ~ "kind=\"" k "\"" &&
			$1 ~ "operation=\"kube:" { s += $2 } END { print s + 0 }' "$tmp/emu.metrics"
	}
	e=$(injected error) x=$(injected reset)
	seen503=$(r '[.kube.requests[].codes["503"] // 0] | add')
	seen0=$(r '[.kube.requests[].codes["0"] // 0] | add')
	[ "$e" -gt 0 ] && [ "$seen503" = "$e" ] || fail "503s: the hub injected $e, the swarm saw $seen503"
	[ "$x" -gt 0 ] && [ "$seen0" = "$x" ] || fail "resets: the hub injected $x, the swarm saw $seen0 transport errors"
	[ "$(r '.kube.conflicts_retried')" -gt 0 ] || fail "no conflict re-applied under concurrent BMAC writes"
	;;
*)
	fail "unknown case $case"
	;;
esac
echo "e2e_kube $case: ok ($(r '.totals.clusters_installed') clusters, $(r '.kube.requests_total') kube requests, $(r '.kube.watch_events_total') watch events)"
