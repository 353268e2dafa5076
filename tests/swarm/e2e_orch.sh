#!/bin/sh
# e2e_orch: the pipeline commands end to end against the emulator (README
# "Pipelines and scale-out"):
#  - check: passes and creates nothing; exits 2 for a bad plan, a version
#    the service does not offer, kube mode; 4 for an unreachable service and
#    refused credentials;
#  - thresholds: pass (0), fail at the end (99), abortOnFail (99, reason
#    thresholds), and the precedence of a signal (3) over a failed threshold;
#  - cleanup: SIGKILL the swarm mid-run, `swarm cleanup` from its journal:
#    nothing of the run is left in the emulator's /debug/state; again: all
#    already gone; from a results file; every malformed journal refused
#    with its exit code (a table);
#  - scale-out: 3 processes with --shard I/3 (and one through
#    JOB_COMPLETION_INDEX + --shards) merged equal a single process on the
#    same plan and seed (same clusters, shapes, hosts, totals and
#    deterministic call counts), thresholds evaluated on the merge; the
#    merged file and the shards validate against the JSON Schema; every
#    malformed merge input refused with its exit code (a table);
#  - publish: the _bulk NDJSON is pairs of action and document lines, every
#    line JSON, its counts those of the results; the report is written;
#    bad publish inputs refused.
# Bounded: every run has a timeout and a time-scaled emulator.
set -eu
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/swarm_env.sh"
SW=$build/swarm/swarm
SCALE=60
command -v jq >/dev/null 2>&1 || skip "jq is needed"

# start_emu [ARGS...]: one more emulator (time scale 60); sets PORT
start_emu() {
	rm -f "$tmp/emu.out"
	start_emulator --seed 3 "$@"
	PORT=$eport
}

svc() { # svc FILE [extra lines]
	f=$1; shift
	{
		echo "service_endpoint: \"http://127.0.0.1:$PORT\""
		echo "ssh_pub_key: \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheSwarmEndToEndTestOnly swarm@e2e\""
		echo "pull_secret_file: \"$src/scenarios/emulator-pull-secret.json\""
		echo "release_image: \"quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64\""
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

state() { curl -fsS "http://127.0.0.1:$PORT/debug/state" >"$tmp/state.json" || fail "/debug/state"; }
# left RUN: clusters, infra-envs and hosts of run RUN in the emulator
left() {
	state
	jq --arg r "$1" '([.clusters[] | select(.name | contains($r))] | length) +
	  ([.infra_envs[] | select(.name | contains($r))] | length) +
	  ([.hosts[] | select((.requested_hostname // "") | contains($r))] | length)' "$tmp/state.json"
}

expect_rc() { # expect_rc WANT WHAT CMD...
	want=$1 what=$2; shift 2
	rc=0
	"$@" >"$tmp/out.log" 2>"$tmp/cmd.err" || rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want: $(cat "$tmp/cmd.err")"
}

plan() { # plan FILE AMOUNT_SNO AMOUNT_MULTI [extra lines]
	f=$1 a=$2 m=$3; shift 3
	{
		echo "clusters:"
		echo "  - {single_node: true, num_workers: 0, amount: $a}"
		echo "  - {single_node: false, num_workers: 1, amount: $m}"
		echo "seed: 7"
		echo "max_duration: 200s"
		echo "timings: {time_scale: $SCALE}"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

start_emu
svc "$tmp/svc.yaml"

# ---------------------------------------------------------------- check
plan "$tmp/p-check.yaml" 3 1 "arrival: {kind: rate, clusters_per_minute: 120}"
state; before=$(jq '.clusters | length' "$tmp/state.json")
expect_rc 0 "check" "$SW" check 20 "$tmp/p-check.yaml" "$tmp/svc.yaml"
grep -q '^model: peak [0-9]* hosts in flight' "$tmp/out.log" || fail "check: no schedule model: $(cat "$tmp/out.log")"
grep -q 'openshift version 4.16: offered' "$tmp/out.log" || fail "check: versions not checked"
expect_rc 0 "--check" "$SW" --check 20 "$tmp/p-check.yaml" "$tmp/svc.yaml"
state; [ "$(jq '.clusters | length' "$tmp/state.json")" = "$before" ] || fail "check created clusters"
printf 'clusters:\n  - {single_node: true, num_workers: 0, amont: 1}\n' >"$tmp/p-bad.yaml"
expect_rc 2 "check bad plan" "$SW" check 20 "$tmp/p-bad.yaml" "$tmp/svc.yaml"
grep -q "p-bad.yaml:2:41: key 'clusters\[0\].amont'" "$tmp/cmd.err" || fail "check bad plan message: $(cat "$tmp/cmd.err")"
plan "$tmp/p-ver.yaml" 1 0 'openshift_version: "4.9"'
expect_rc 2 "check version" "$SW" check 20 "$tmp/p-ver.yaml" "$tmp/svc.yaml"
grep -q "openshift_version '4.9' is not offered" "$tmp/cmd.err" || fail "check version message: $(cat "$tmp/cmd.err")"
plan "$tmp/p-kube.yaml" 1 0 "mode: kube"
# kube mode without a hub: no kubeconfig is exit 4 (as a run), a malformed one 2
expect_rc 4 "check kube without a kubeconfig" env KUBECONFIG=$tmp/no-such-kubeconfig "$SW" check 20 \
	"$tmp/p-kube.yaml" "$tmp/svc.yaml"
printf 'apiVersion: v1\nkind: Config\nclusters: [unclosed\n' >"$tmp/kc-bad.yaml"
expect_rc 2 "check kube with a malformed kubeconfig" env KUBECONFIG=$tmp/kc-bad.yaml "$SW" check 20 \
	"$tmp/p-kube.yaml" "$tmp/svc.yaml"
grep -q 'kc-bad.yaml:[0-9]*:[0-9]*: YAML syntax error' "$tmp/cmd.err" || fail "check kube malformed: $(cat "$tmp/cmd.err")"
sed "s#127.0.0.1:$PORT#127.0.0.1:1#" "$tmp/svc.yaml" >"$tmp/svc-down.yaml"
expect_rc 4 "check unreachable" "$SW" check 20 "$tmp/p-check.yaml" "$tmp/svc-down.yaml"
echo "ok check: 0 (nothing created), 2 (plan, version, malformed kubeconfig), 4 (unreachable, no kubeconfig)"

# ----------------------------------------------------------- thresholds
plan "$tmp/p-thr.yaml" 2 1 \
	"thresholds:" \
	"  request_duration{operation:get_next_steps}: [\"p(99) < 10s\", \"count > 0\"]" \
	"  request_errors: [\"rate < 1%\"]" \
	"  cluster_install_duration{shape:sno}: [\"p(90) < 20m\"]" \
	"  clusters_failed: [\"count == 0\"]"
expect_rc 0 "thresholds pass" timeout 120 "$SW" --progress off -r "$tmp/thr.json" 20 "$tmp/p-thr.yaml" "$tmp/svc.yaml"
[ "$(jq '[.thresholds[] | select(.passed)] | length' "$tmp/thr.json")" = 5 ] || fail "thresholds: not all passed"
grep -q '5 of 5 thresholds passed' "$tmp/out.log" || fail "thresholds: summary table missing"
plan "$tmp/p-thr99.yaml" 2 0 "thresholds:" "  request_duration: [\"p(50) < 1us\"]" "  clusters_failed: [\"count == 0\"]"
expect_rc 99 "threshold fails" timeout 120 "$SW" --progress off -r "$tmp/thr99.json" 20 "$tmp/p-thr99.yaml" "$tmp/svc.yaml"
jq -e '.exit_code == 99 and .passed == false and .exit_reason == "installed" and
       .thresholds[0].passed == false and .thresholds[1].passed == true' "$tmp/thr99.json" >/dev/null ||
	fail "threshold fails: results $(jq -c '{exit_code, exit_reason, thresholds}' "$tmp/thr99.json")"
plan "$tmp/p-abort.yaml" 2 1 "thresholds:" \
	"  request_duration: [{threshold: \"p(50) < 1us\", abortOnFail: true, delayAbortEval: 1s}]"
expect_rc 99 "abortOnFail" timeout 120 "$SW" --progress off -r "$tmp/abort.json" 20 "$tmp/p-abort.yaml" "$tmp/svc.yaml"
jq -e '.exit_reason == "thresholds" and .thresholds[0].aborted == true and .totals.clusters_failed > 0' \
	"$tmp/abort.json" >/dev/null || fail "abortOnFail: $(jq -c '{exit_reason, thresholds}' "$tmp/abort.json")"
# A signal outranks a failed threshold (precedence 4 > 3 > 99 > 1 > 5).
plan "$tmp/p-sig.yaml" 4 2 "arrival: {kind: rate, clusters_per_minute: 60}" "thresholds:" \
	"  request_duration: [\"p(50) < 1us\"]"
"$SW" --progress off -r "$tmp/sig.json" 20 "$tmp/p-sig.yaml" "$tmp/svc.yaml" >/dev/null 2>"$tmp/sig.err" &
pid=$!
sleep 1.5
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ "$rc" = 3 ] || fail "SIGTERM with a failed threshold: exit $rc, want 3"
jq -e '.exit_code == 3 and .thresholds[0].passed == false' "$tmp/sig.json" >/dev/null || fail "SIGTERM: results"
echo "ok thresholds: pass 0, fail 99, abortOnFail 99 (thresholds), signal 3 over 99"

# -------------------------------------------------------------- cleanup
cat >"$tmp/p-kill.yaml" <<PLAN
clusters:
  - {single_node: true, num_workers: 0, amount: 24}
  - {single_node: false, num_workers: 1, amount: 6}
  - {single_node: false, num_workers: 0, just_infraenv: true, amount: 6}
seed: 9
shuffle: true
arrival: {kind: rate, clusters_per_minute: 900}
timings: {time_scale: $SCALE}
PLAN
"$SW" --progress off -q -r "$tmp/kill.json" 40 "$tmp/p-kill.yaml" "$tmp/svc.yaml" >/dev/null 2>&1 &
pid=$!
i=0 # until some clusters are mid-install (or 8 s), then SIGKILL
while [ $i -lt 80 ]; do
	sleep 0.1; i=$((i + 1))
	[ -f "$tmp/kill.json.journal" ] && [ "$(grep -c '"type":"infra_env"' "$tmp/kill.json.journal")" -ge 12 ] && break
done
kill -KILL $pid; wait $pid 2>/dev/null || true
[ ! -f "$tmp/kill.json" ] || fail "a SIGKILLed run wrote results"
run=$(head -n1 "$tmp/kill.json.journal" | jq -r .run_id)
n=$(left "$run")
[ "$n" -gt 0 ] || fail "nothing of run $run in the emulator before cleanup"
jrec=$(grep -c '"type":"cluster"' "$tmp/kill.json.journal" || true)
expect_rc 0 "cleanup" "$SW" cleanup --json "$tmp/svc.yaml" "$tmp/kill.json.journal"
n2=$(left "$run")
[ "$n2" = 0 ] || fail "cleanup left $n2 objects of run $run: $(cat "$tmp/out.log")"
jq -e '.clusters.deleted > 0 and .clusters.failed == 0 and .infra_envs.failed == 0' "$tmp/out.log" >/dev/null ||
	fail "cleanup: $(cat "$tmp/out.log")"
expect_rc 0 "cleanup again" "$SW" cleanup --json "$tmp/svc.yaml" "$tmp/kill.json.journal"
jq -e '.clusters.deleted == 0 and .infra_envs.deleted == 0 and .clusters.already_gone > 0 and
       .found_by_name == 0' "$tmp/out.log" >/dev/null || fail "cleanup again: $(cat "$tmp/out.log")"
echo "ok cleanup after SIGKILL: $n objects of run $run ($jrec clusters journaled), none left; again: all already gone"
# From a results file: a finished run cleaned through its results, from
# another directory (the results name their journal relative to the run's).
plan "$tmp/p-res.yaml" 2 1
mkdir -p "$tmp/wd"
(cd "$tmp/wd" && timeout 120 "$SW" --progress off -q -r res.json 20 "$tmp/p-res.yaml" "$tmp/svc.yaml" >/dev/null 2>&1) ||
	fail "run for cleanup"
run=$(jq -r .run_id "$tmp/wd/res.json")
[ "$(jq -r .journal "$tmp/wd/res.json")" = res.json.journal ] || fail "results do not name their journal"
[ "$(left "$run")" -gt 0 ] || fail "results run left nothing to clean"
expect_rc 0 "cleanup from results" "$SW" cleanup -q --no-sweep "$tmp/svc.yaml" "$tmp/wd/res.json"
[ "$(left "$run")" = 0 ] || fail "cleanup from results left objects"
echo "ok cleanup from a results file"

# Malformed inputs: each refused with its exit code, nothing deleted.
J=$tmp/kill.json.journal
printf '{"journal":2,"type":"run","run_id":"x"}\n' >"$tmp/j-version"
printf 'hello\n' >"$tmp/j-text"
printf '{"a": 1}\n' >"$tmp/j-json"
{ head -n1 "$J"; echo '{"type":"cluster","id":"../../etc"}'; } >"$tmp/j-badid"
{ head -n2 "$J"; echo 'not json'; tail -n1 "$J"; } >"$tmp/j-mid"
{ head -n1 "$J" | sed 's/"run_id":"[^"]*"/"run_id":"other-run"/'; } >"$tmp/j-other"
{ head -n1 "$J"; echo '{"type":"kube","api_version":"v1","resource":"namespaces","namespace":null,"name":"ns-1"}'; } >"$tmp/j-kube"
printf '{"schema_version": 2, "tool": {"name": "swarm"' >"$tmp/r-trunc.json"
for c in "3 missing $tmp/none.journal" "4 version $tmp/j-version" "3 text $tmp/j-text" "5 json $tmp/j-json" "5 badid $tmp/j-badid" \
	"5 mid $tmp/j-mid" "7 mixed $J $tmp/j-other" "2 kube $tmp/j-kube" "3 trunc-results $tmp/r-trunc.json"; do
	set -- $c
	want=$1 what=$2; shift 2
	expect_rc "$want" "cleanup $what" "$SW" cleanup "$tmp/svc.yaml" "$@"
done
sed "s#127.0.0.1:$PORT#127.0.0.2:$PORT#" "$tmp/svc.yaml" >"$tmp/svc-other.yaml"
expect_rc 2 "cleanup endpoint mismatch" "$SW" cleanup "$tmp/svc-other.yaml" "$J"
grep -q 'was against' "$tmp/cmd.err" || fail "endpoint mismatch message"
expect_rc 9 "cleanup unreachable" "$SW" cleanup --force "$tmp/svc-down.yaml" "$J"
echo "ok cleanup bad inputs: 3 4 3 5 5 5 7 2 3, endpoint 2, unreachable 9"

# ------------------------------------------------------------ scale-out
cat >"$tmp/p-sh.yaml" <<PLAN
clusters:
  - {single_node: true, num_workers: 0, amount: 7}
  - {single_node: false, num_workers: 1, amount: 3}
  - {single_node: false, num_workers: 0, amount: 2, name: compact}
seed: 21
shuffle: true
arrival: {kind: rate, clusters_per_minute: 300, poisson: true}
timings: {time_scale: $SCALE}
thresholds:
  request_duration{operation:get_next_steps}: ["p(99) < 10s"]
  cluster_install_duration{shape:sno}: ["p(90) < 20m"]
  clusters_failed: ["count == 0"]
  requests{operation:register_host}: ["count >= 25"]
PLAN
at=$(( $(date +%s) + 2 ))
shard_pids=
for i in 0 1; do
	timeout 150 "$SW" --progress off -q --series-interval 1s --shard $i/3 --run-id e2e-sh --start-at $at \
		-r "$tmp/sh$i.json" 30 "$tmp/p-sh.yaml" "$tmp/svc.yaml" >/dev/null 2>"$tmp/sh$i.err" &
	shard_pids="$shard_pids $!"
done
# the third shard as a Kubernetes Indexed Job pod would start it
rc=0
JOB_COMPLETION_INDEX=2 SWARM_RUN_ID=e2e-sh SWARM_START_AT=$at timeout 150 "$SW" --progress off -q --series-interval 1s \
	--shards 3 -r "$tmp/sh2.json" 30 "$tmp/p-sh.yaml" "$tmp/svc.yaml" >/dev/null 2>"$tmp/sh2.err" || rc=$?
for p in $shard_pids; do wait "$p" || true; done
# Each shard fails "register_host count >= 25" on its own share (exit 99):
# the verdict that counts is the merged one.
[ "$rc" = 99 ] || fail "shard 2: exit $rc, want 99 (its share fails the global threshold)"
for i in 0 1 2; do jq -e ".exit_code == 99 and .totals.clusters_failed == 0 and .shard.index == $i and .shard.count == 3" \
	"$tmp/sh$i.json" >/dev/null || fail "shard $i: $(jq -c '{exit_code, shard}' "$tmp/sh$i.json")"; done
expect_rc 0 "single" timeout 150 "$SW" --progress off -q --series-interval 1s --run-id e2e-one \
	-r "$tmp/one.json" 30 "$tmp/p-sh.yaml" "$tmp/svc.yaml"
expect_rc 0 "merge" "$SW" merge --verdict -o "$tmp/merged.json" "$tmp/sh2.json" "$tmp/sh0.json" "$tmp/sh1.json"
clusters() { jq -r '.clusters[] | "\(.name | sub("^(compact-)?e2e-[a-z]+-"; "")) \(.shape) \(.hosts) \(.status)"' "$1" | sort -n; }
clusters "$tmp/merged.json" >"$tmp/c-merged"
clusters "$tmp/one.json" >"$tmp/c-one"
cmp -s "$tmp/c-merged" "$tmp/c-one" || fail "merged clusters differ from the single run: $(diff "$tmp/c-merged" "$tmp/c-one")"
[ "$(wc -l <"$tmp/c-one")" = 12 ] || fail "single run: not 12 clusters"
same='{t: (.totals | {clusters_total, clusters_started, clusters_installed, clusters_failed, hosts, hosts_by_phase}),
       ops: (.endpoints | {register_host: .register_host.count, register_cluster: .register_cluster.count,
                           register_infraenv: .register_infraenv.count, install_cluster: .install_cluster.count}),
       shapes: [.shapes[] | {l: .label, clusters, installed, failed}], th: [.thresholds[] | .passed], exit_code, passed}'
a=$(jq -c "$same" "$tmp/merged.json") && b=$(jq -c "$same" "$tmp/one.json") && [ -n "$a" ] || fail "jq: $same"
[ "$a" = "$b" ] ||
	fail "merged != single: $(jq -c "$same" "$tmp/merged.json") vs $(jq -c "$same" "$tmp/one.json")"
# Exactness: the merged histograms hold every shard's samples; the series adds up to the totals.
jq -e '[.endpoints[] | .count == .service_histogram.count] | all' "$tmp/merged.json" >/dev/null || fail "histogram counts"
tot=$(jq '[.series.intervals[].requests] | add' "$tmp/merged.json")
[ "$tot" = "$(jq '.totals.requests' "$tmp/merged.json")" ] || fail "merged series requests $tot != totals"
sum=$(jq -s '[.[].totals.requests] | add' "$tmp/sh0.json" "$tmp/sh1.json" "$tmp/sh2.json")
[ "$sum" = "$(jq '.totals.requests' "$tmp/merged.json")" ] || fail "merged requests != sum of shards"
jq -e '.merge.alignment == "start_at" and .merge.shards == 3 and (.thresholds | length) == 4' "$tmp/merged.json" \
	>/dev/null || fail "merge member: $(jq -c .merge "$tmp/merged.json")"
# A threshold is a global verdict: register_host count == 25 fails on every shard, passes merged.
for i in 0 1 2; do jq -e '.thresholds[3].passed == false' "$tmp/sh$i.json" >/dev/null || fail "shard $i threshold"; done
echo "ok scale-out: 3 shards merged = one process (12 clusters, totals, call counts, thresholds)"
node_ok=0
if command -v node >/dev/null 2>&1 && [ -d "$src/tests/emulator/conformance/node_modules/ajv" ]; then
	node "$src/tests/report/results_schema.js" "$src/scenarios/results.schema.json" "$tmp/merged.json" "$tmp/sh0.json" \
		"$tmp/thr.json" "$tmp/abort.json" >"$tmp/schema.log" 2>&1 || fail "schema: $(cat "$tmp/schema.log")"
	node_ok=1
fi
[ $node_ok = 1 ] && echo "ok merged and shard results valid against the JSON Schema" ||
	echo "note: Ajv not installed, schema validation of the merge skipped"

# Malformed merge inputs: each refused with its exit code, no output written.
jq '.schema_version = 3' "$tmp/sh1.json" >"$tmp/m-version.json"
jq '.tool.name = "k6"' "$tmp/sh1.json" >"$tmp/m-notswarm.json"
head -c 2000 "$tmp/sh1.json" >"$tmp/m-trunc.json"
jq '.run_id = "other"' "$tmp/sh1.json" >"$tmp/m-mixed.json"
jq '.plan.seed = 22' "$tmp/sh1.json" >"$tmp/m-plan.json"
jq 'del(.shard)' "$tmp/sh1.json" >"$tmp/m-noshard.json"
jq '.endpoints.get_cluster.service_histogram.count += 1' "$tmp/sh1.json" >"$tmp/m-hist.json"
jq '.series.interval_seconds = 2' "$tmp/sh1.json" >"$tmp/m-interval.json"
for c in "3 missing $tmp/none.json" "3 truncated $tmp/sh0.json $tmp/m-trunc.json $tmp/sh2.json" \
	"4 version $tmp/sh0.json $tmp/m-version.json $tmp/sh2.json" "5 notswarm $tmp/m-notswarm.json" \
	"5 histogram $tmp/sh0.json $tmp/m-hist.json $tmp/sh2.json" "7 mixed $tmp/sh0.json $tmp/m-mixed.json $tmp/sh2.json" \
	"7 plan $tmp/sh0.json $tmp/m-plan.json $tmp/sh2.json" "7 interval $tmp/sh0.json $tmp/m-interval.json $tmp/sh2.json" \
	"8 duplicate $tmp/sh0.json $tmp/sh1.json $tmp/sh1.json" "8 missing-shard $tmp/sh0.json $tmp/sh2.json" \
	"8 not-a-shard $tmp/sh0.json $tmp/m-noshard.json $tmp/sh2.json"; do
	set -- $c
	want=$1 what=$2; shift 2
	rm -f "$tmp/bad-merge.json"
	expect_rc "$want" "merge $what" "$SW" merge -o "$tmp/bad-merge.json" "$@"
	[ ! -e "$tmp/bad-merge.json" ] || fail "merge $what wrote a partial result"
done
expect_rc 0 "merge partial" "$SW" merge --allow-partial -o "$tmp/partial.json" "$tmp/sh0.json" "$tmp/sh2.json"
jq -e '.merge.partial == true' "$tmp/partial.json" >/dev/null || fail "partial merge not marked"
echo "ok merge bad inputs: 3 3 4 5 5 7 7 7 8 8 8; --allow-partial marked"

# ---------------------------------------------------------------- publish
expect_rc 0 "publish" "$SW" publish --bulk "$tmp/bulk.ndjson" --index swarm-e2e --report "$tmp/report.html" "$tmp/merged.json"
[ -s "$tmp/report.html" ] || fail "publish: no report"
lines=$(wc -l <"$tmp/bulk.ndjson")
[ $((lines % 2)) = 0 ] || fail "publish: odd number of lines"
jq -e . "$tmp/bulk.ndjson" >/dev/null 2>&1 || fail "publish: a line is not JSON"
# odd lines are actions, even lines documents
awk 'NR % 2 == 1' "$tmp/bulk.ndjson" | jq -e -s 'all(.[]; (keys == ["index"]) and .index._index == "swarm-e2e" and (.index._id | type) == "string")' \
	>/dev/null || fail "publish: an action line is wrong"
awk 'NR % 2 == 0' "$tmp/bulk.ndjson" | jq -e -s 'all(.[]; .uuid == "e2e-sh" and (.metricName | type) == "string" and (.timestamp | type) == "string")' \
	>/dev/null || fail "publish: a document lacks uuid/metricName/timestamp"
[ "$(awk 'NR % 2 == 1' "$tmp/bulk.ndjson" | jq -r .index._id | sort -u | wc -l)" = $((lines / 2)) ] || fail "publish: _id not unique"
want=$(jq '1 + ([.series.intervals[] | 4 * (.operations | length) + 15] | add) + (.endpoints | length) +
           (.shapes | length) + (.thresholds | length)' "$tmp/merged.json")
[ $((lines / 2)) = "$want" ] || fail "publish: $((lines / 2)) documents, the results make $want"
docs() { awk 'NR % 2 == 0' "$tmp/bulk.ndjson" | jq -s "$1"; }
[ "$(docs '[.[] | select(.metricName == "swarm_http_requests") | .value] | add')" = \
  "$(jq '.totals.requests | . + 0.0' "$tmp/merged.json")" ] || fail "publish: request samples do not add up to the totals"
[ "$(docs '[.[] | select(.metricName == "jobSummary")] | length')" = 1 ] || fail "publish: jobSummary"
[ "$(docs '[.[] | select(.metricName == "threshold")] | length')" = 4 ] || fail "publish: threshold documents"
expect_rc 3 "publish truncated" "$SW" publish --bulk "$tmp/b2.ndjson" "$tmp/m-trunc.json"
expect_rc 4 "publish version" "$SW" publish --bulk "$tmp/b2.ndjson" "$tmp/m-version.json"
expect_rc 5 "publish not swarm" "$SW" publish --bulk "$tmp/b2.ndjson" "$tmp/m-notswarm.json"
expect_rc 2 "publish nothing to do" "$SW" publish "$tmp/merged.json"
expect_rc 6 "publish unwritable" "$SW" publish --bulk "$tmp/no/such/dir/b.ndjson" "$tmp/merged.json"
expect_rc 9 "publish push refused" "$SW" publish --push "http://127.0.0.1:1" "$tmp/merged.json"
echo "ok publish: $((lines / 2)) _bulk documents (= results), report written; bad inputs 3 4 5 2 6 9"

# Publish to a real Pushgateway: what it holds equals the results.
if command -v prometheus-pushgateway >/dev/null 2>&1; then
	start_pushgateway
	expect_rc 0 "publish --push" "$SW" publish --push "http://127.0.0.1:$gport" --job e2e "$tmp/merged.json"
	curl -fsS "http://127.0.0.1:$gport/metrics" >"$tmp/pgw.txt"
	kill $gpid; wait $gpid 2>/dev/null || true
	pushed=$(awk '/^swarm_http_requests_total\{.*instance="e2e-sh".*job="e2e"/ { n += $2 } END { print n + 0 }' "$tmp/pgw.txt")
	[ "$pushed" = "$(jq '.totals.requests' "$tmp/merged.json")" ] || fail "pushed $pushed requests, the results hold $(jq '.totals.requests' "$tmp/merged.json")"
	grep -q '^swarm_run_exit_code{.*instance="e2e-sh".*} 0$' "$tmp/pgw.txt" || fail "swarm_run_exit_code not pushed"
	echo "ok publish --push: the Pushgateway holds the run's $pushed requests"
else
	echo "note: prometheus-pushgateway not installed (tools/deps/install.sh): publish --push checked only against a refused port"
fi

# Cleanup of kube objects from a journal, against the emulator's kube API
# (the records the kube-api mode appends): namespaced, cluster-scoped, namespace.
start_emu --kube-api 127.0.0.1:0
KPORT=$(sed -n 's/.*kube-api listening on [a-z]*:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/emu.out" | head -n1)
[ -n "$KPORT" ] || fail "no kube-api port"
svc "$tmp/svc-k.yaml"
K=http://127.0.0.1:$KPORT
# check in kube mode: the hub's checks pass, nothing is created on it
sed "s#^    server:.*#    server: \"$K\"#" "$src/scenarios/emulator-hub-kubeconfig.yaml" >"$tmp/kc.yaml"
expect_rc 0 "check kube" env KUBECONFIG=$tmp/kc.yaml "$SW" check 20 "$tmp/p-kube.yaml" "$tmp/svc-k.yaml"
grep -q "^hub $K (.*): reachable" "$tmp/out.log" || fail "check kube: $(cat "$tmp/out.log")"
[ "$(curl -s "$K/apis/hive.openshift.io/v1/clusterimagesets" | jq '.items | length')" = 0 ] ||
	fail "check kube created a ClusterImageSet"
echo "ok check kube: the hub checked, nothing created"
curl -fsS -H 'content-type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"e2e-kube-0"}}' \
	"$K/api/v1/namespaces" >/dev/null || fail "create namespace"
curl -fsS -H 'content-type: application/json' -d '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"e2e-kube-0-pull","namespace":"e2e-kube-0"},"type":"Opaque"}' \
	"$K/api/v1/namespaces/e2e-kube-0/secrets" >/dev/null || fail "create secret"
curl -fsS -H 'content-type: application/json' -d '{"apiVersion":"hive.openshift.io/v1","kind":"ClusterImageSet","metadata":{"name":"e2e-kube-0"},"spec":{"releaseImage":"quay.io/x:1"}}' \
	"$K/apis/hive.openshift.io/v1/clusterimagesets" >/dev/null || fail "create clusterimageset"
{
	echo "{\"journal\":1,\"type\":\"run\",\"run_id\":\"e2e-kube\",\"mode\":\"kube\",\"service\":\"http://127.0.0.1:$PORT\",\"shard\":0,\"shards\":1}"
	echo '{"type":"kube","api_version":"v1","resource":"namespaces","namespace":null,"name":"e2e-kube-0","t":0.1}'
	echo '{"type":"kube","api_version":"v1","resource":"secrets","namespace":"e2e-kube-0","name":"e2e-kube-0-pull","t":0.1}'
	echo '{"type":"kube","api_version":"hive.openshift.io/v1","resource":"clusterimagesets","namespace":null,"name":"e2e-kube-0","t":0.1}'
} >"$tmp/kube.journal"
mkdir -p "$tmp/home"
expect_rc 2 "kube cleanup without a hub" env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST HOME="$tmp/home" \
	"$SW" cleanup "$tmp/svc-k.yaml" "$tmp/kube.journal"
grep -q "no hub was found" "$tmp/cmd.err" || fail "kube cleanup without a hub: $(cat "$tmp/cmd.err")"
# the hub of the kubeconfig the run used (no --kube-server)
expect_rc 0 "kube cleanup" env KUBECONFIG="$tmp/kc.yaml" "$SW" cleanup --json "$tmp/svc-k.yaml" "$tmp/kube.journal"
jq -e '.kube.deleted == 2 and .kube.failed == 0' "$tmp/out.log" >/dev/null || fail "kube cleanup: $(cat "$tmp/out.log")"
curl -s -o /dev/null -w '%{http_code}' "$K/apis/hive.openshift.io/v1/clusterimagesets/e2e-kube-0" | grep -q 404 ||
	fail "the ClusterImageSet is still there"
# the Secret went with its namespace (the kube mode's role cannot delete Secrets)
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$K/api/v1/namespaces/e2e-kube-0/secrets/e2e-kube-0-pull")" = 404 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "the Secret outlived its namespace"; sleep 0.1
done
expect_rc 0 "kube cleanup again" "$SW" cleanup --json --kube-server "$K" "$tmp/svc-k.yaml" "$tmp/kube.journal"
jq -e '.kube.deleted == 0 and .kube.already_gone == 2' "$tmp/out.log" >/dev/null || fail "kube cleanup again: $(cat "$tmp/out.log")"
echo "ok cleanup of kube objects: deleted on the kubeconfig's hub, then already gone (--kube-server)"
echo "all orchestration cases passed"
