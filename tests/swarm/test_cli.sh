#!/bin/sh
# CLI contract of the swarm binary: usage errors exit 2 with a clear message,
# --help/--version exit 0, configuration errors name FILE:LINE:COL, and an
# unreachable service exits 4. Runs the built binary; loopback only.
# With --shared, runs only the cases on the byte-for-byte original example
# files (reference material outside the repository, SWARM_SHARED_DIR or the
# build's SWARM_SHARED_DIR_DEFAULT) and exits 77 (SKIP) when they are absent.
set -u
SWARM="${SWARM_BIN:-$SWARM_BUILD_ROOT/swarm/swarm}"
SRC="${SWARM_SOURCE_ROOT:?}"
SHARED="${SWARM_SHARED_DIR:-${SWARM_SHARED_DIR_DEFAULT:-}}"
ONLY_SHARED=0
[ "${1:-}" = "--shared" ] && ONLY_SHARED=1
ORIG_PLAN="${SHARED:-(SWARM_SHARED_DIR unset)}/reference/assisted-swarm-examples/testplan.example.yaml"
ORIG_SVC="${SHARED:-(SWARM_SHARED_DIR unset)}/reference/assisted-swarm-examples/service_config.example.yaml"
if [ $ONLY_SHARED -eq 1 ]; then
	for f in "$ORIG_PLAN" "$ORIG_SVC"; do
		if [ -z "$SHARED" ] || [ ! -f "$f" ]; then
			echo "SKIP: $f not found: the original example files are reference material" \
				"outside the repository (set SWARM_SHARED_DIR or meson -Dshared_dir)"
			exit 77
		fi
	done
fi
TMP=$(mktemp -d /tmp/swarm-test-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
fails=0
n=0

# expect CODE PATTERN ARGS...: runs swarm ARGS, checks exit code and that
# stdout+stderr contain PATTERN (fixed string).
expect() {
	want=$1; pat=$2; shift 2
	n=$((n + 1))
	( cd "$TMP" && timeout 60 "$SWARM" "$@" ) >"$TMP/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $n: swarm $*: exit $got, want $want"; sed 's/^/    /' "$TMP/out" | head -20
		fails=$((fails + 1)); return
	fi
	if ! grep -qF -- "$pat" "$TMP/out"; then
		echo "FAIL $n: swarm $*: output lacks '$pat'"; sed 's/^/    /' "$TMP/out" | head -20
		fails=$((fails + 1)); return
	fi
	echo "ok $n: swarm $* -> $got"
}

PLAN="$SRC/scenarios/default/plan.yaml"
SVC="$SRC/scenarios/default/service.yaml"
FIX="$SRC/tests/swarm/fixtures"

if [ $ONLY_SHARED -eq 1 ]; then
	# The original files: the plan loads (with the infranev warning), the
	# service config names the author's missing pull secret file.
	expect 2 "key 'pull_secret_file': cannot read '/home/omer/omer-ps'" 10 "$ORIG_PLAN" "$ORIG_SVC"
	expect 2 "warning: key 'clusters[2].infranev_labels'" 10 "$ORIG_PLAN" "$ORIG_SVC"
	echo "$n CLI cases on the original files, $fails failed"
	[ "$fails" -eq 0 ]
	exit
fi

expect 0 "Usage: swarm [OPTIONS] MAX_CONCURRENT PLAN.yaml SERVICE.yaml" --help
expect 0 "Exit codes:" -h
expect 0 "swarm 0." --version
expect 2 "expected 3 arguments (MAX_CONCURRENT PLAN.yaml SERVICE.yaml), got 0"
expect 2 "expected 3 arguments" 10 "$PLAN"
expect 2 "MAX_CONCURRENT: expected a positive integer (hosts in flight), got 'abc'" abc "$PLAN" "$SVC"
expect 2 "MAX_CONCURRENT: expected a positive integer (hosts in flight), got '0'" 0 "$PLAN" "$SVC"
expect 2 "MAX_CONCURRENT: expected a positive integer (hosts in flight), got '-5'" -- -5 "$PLAN" "$SVC"
expect 2 "--threads: expected an integer from 1 to 256, got '0'" --threads 0 10 "$PLAN" "$SVC"
expect 2 "--threads: expected an integer from 1 to 256, got 'x'" --threads=x 10 "$PLAN" "$SVC"
expect 2 "--threads is larger than MAX_CONCURRENT (2)" --threads 4 2 "$PLAN" "$SVC"
expect 2 "--progress: expected auto, live, plain or off, got 'fancy'" --progress=fancy 10 "$PLAN" "$SVC"
expect 2 "--interval: expected a duration from 100ms to 1h (e.g. 10s), got '10'" --interval 10 10 "$PLAN" "$SVC"
expect 2 "--metrics: expected ADDR:PORT" --metrics 9100 10 "$PLAN" "$SVC"
expect 2 "is unknown or needs an argument" --frobnicate 10 "$PLAN" "$SVC"
expect 2 "$TMP/nope.yaml: cannot open: No such file or directory" 10 "$TMP/nope.yaml" "$SVC"
expect 2 "$TMP/nope.yaml: cannot open: No such file or directory" 10 "$PLAN" "$TMP/nope.yaml"

printf 'clusters:\n  - single_node: true\n    num_workers: 0\n    amount: x\n' >"$TMP/bad.yaml"
expect 2 "$TMP/bad.yaml:4:13: key 'clusters[0].amount': expected an integer, got 'x'" 10 "$TMP/bad.yaml" "$SVC"

# A plan without a single cluster is a configuration error, not a pass.
printf 'clusters:\n  - {single_node: true, num_workers: 0, amount: 0}\n' >"$TMP/zero.yaml"
expect 2 "$TMP/zero.yaml:2:3: key 'clusters': every amount is 0: the plan has no cluster to run" \
	10 "$TMP/zero.yaml" "$SVC"
printf 'clusters: []\n' >"$TMP/empty.yaml"
expect 2 "$TMP/empty.yaml:1:11: key 'clusters': empty list: the plan has no cluster to run" \
	10 "$TMP/empty.yaml" "$SVC"

# Files in the original format (fixtures written for this project): the plan
# loads with the infranev warning, the service config too, and the run goes
# as far as the start-up check of the (unresolvable) service: exit 4.
expect 4 "warning: key 'clusters[2].infranev_labels'" --progress=off --results "$TMP/r-fix.json" \
	20 "$FIX/testplan.example.yaml" "$FIX/service_config.example.yaml"
expect 4 "unreachable" --progress=off --results "$TMP/r-fix.json" \
	20 "$FIX/testplan.example.yaml" "$FIX/service_config.example.yaml"

# A cluster that cannot fit in MAX_CONCURRENT / threads is refused up front.
expect 2 "more than the 4 hosts in flight each thread may have" 4 "$PLAN" "$SVC"

# Unreachable service: a port nobody listens on (bound then released).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 1)
cp "$SRC/scenarios/emulator-pull-secret.json" "$TMP/ps.json"
cat >"$TMP/svc.yaml" <<YAML
service_endpoint: "http://127.0.0.1:$PORT"
ssh_pub_key: "ssh-ed25519 AAAA test"
pull_secret_file: ps.json
release_image: "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"
YAML
printf 'clusters:\n  - {single_node: true, num_workers: 0, amount: 1}\nmax_duration: 30s\n' >"$TMP/one.yaml"

# A CA file that does not exist is a configuration error (2), found before
# the service is contacted.
cat >"$TMP/svc-ca.yaml" <<YAML
service_endpoint: "https://127.0.0.1:$PORT"
ssh_pub_key: "ssh-ed25519 AAAA test"
pull_secret_file: ps.json
release_image: "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"
ca_file: /nonexistent/ca.pem
YAML
expect 2 "/nonexistent/ca.pem" --progress=off --results "$TMP/r-ca.json" 10 "$TMP/one.yaml" "$TMP/svc-ca.yaml"

expect 4 "" --progress=off --results "$TMP/r.json" 10 "$TMP/one.yaml" "$TMP/svc.yaml"
if [ -f "$TMP/r.json" ] && grep -q '"exit_code": 4' "$TMP/r.json"; then
	echo "ok: results written with exit_code 4"
else
	echo "FAIL: results file missing or without exit_code 4"; fails=$((fails + 1))
fi

# check NAME CONDITION...: one more case on the last run's output.
check() {
	name=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n: $name"; else
		echo "FAIL $n: $name"; sed 's/^/    /' "$TMP/out" | head -30; fails=$((fails + 1))
	fi
}

# Unreachable: a short summary with the plan's cluster count (not "0 total"),
# no empty tables, and the one-line reason last.
printf 'clusters:\n  - {single_node: true, num_workers: 0, amount: 10}\n' >"$TMP/ten.yaml"
expect 4 "clusters: 10 in the plan, none started" --progress=off --results "$TMP/r10.json" \
	10 "$TMP/ten.yaml" "$TMP/svc.yaml"
check "unreachable: the reason is the last line" \
	sh -c 'tail -n1 "$1" | grep -q "^swarm: service http://127.0.0.1:[0-9]* unreachable: GET "' _ "$TMP/out"
check "unreachable: no empty tables" sh -c '! grep -qE "Clusters by shape|Schedule:|CPU:" "$1"' _ "$TMP/out"
check "unreachable: at most 8 lines" sh -c '[ "$(wc -l <"$1")" -le 8 ]' _ "$TMP/out"
check "unreachable: the reason is in the results" grep -q '"exit_message": "service http://' "$TMP/r10.json"

# insecure_skip_verify: warned once; -q silences it.
cat >"$TMP/svc-insecure.yaml" <<YAML
service_endpoint: "https://127.0.0.1:$PORT"
ssh_pub_key: "ssh-ed25519 AAAA test"
pull_secret_file: ps.json
release_image: "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"
insecure_skip_verify: true
YAML
expect 4 "insecure_skip_verify': the service's TLS certificate is not verified" --progress=off \
	--results "$TMP/r.json" 10 "$TMP/one.yaml" "$TMP/svc-insecure.yaml"
check "insecure: warned once" sh -c '[ "$(grep -c "not verified" "$1")" = 1 ]' _ "$TMP/out"
expect 4 "unreachable" -q --results "$TMP/r.json" 10 "$TMP/one.yaml" "$TMP/svc-insecure.yaml"
check "insecure: -q silences the warning" sh -c '! grep -qi "verif" "$1"' _ "$TMP/out"

# Singular forms: "1 shape, 1 cluster, 1 host", "over 1 thread".
expect 4 "plan $TMP/one.yaml: 1 shape, 1 cluster, 1 host;" -v --progress=off --results "$TMP/r.json" \
	1 "$TMP/one.yaml" "$TMP/svc.yaml"
check "singular: 1 host in flight over 1 thread" grep -q "1 host in flight over 1 thread$" "$TMP/out"
check "singular: 1 host (1 control plane + 0 workers)" grep -q "1 x 1 host (1 control plane + 0 workers)" "$TMP/out"

echo "$n CLI cases, $fails failed"
[ "$fails" -eq 0 ]
