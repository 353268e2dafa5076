#!/bin/sh
# The start-up check and the results file under faults (issue 9, findings 4
# and 5), against the emulator on loopback:
#  - a transient failure of component-versions (503 from --fault-error, a
#    service not listening yet) is retried with back-off; the run goes on;
#  - a persistent one ends with exit 4 once startup_timeout is spent, with
#    the attempts in the message, the results and their retries;
#  - 401 and 404 are not transient: exit 4 at once, one attempt;
#  - SIGINT while retrying: exit 3;
#  - an unwritable --results path is refused before the run (exit 2, the
#    path named); a results file that cannot be written at the end is exit 6.
set -u
. "${SWARM_SOURCE_ROOT:?}/tests/fixtures/swarm_env.sh"
command -v python3 >/dev/null || skip "python3 not found (reads the results files)"
swarm="$build/swarm/swarm"
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $*"; }
bad() { n=$((n + 1)); echo "FAIL $n: $*"; sed 's/^/    /' "$tmp/out" | tail -n 15; fails=$((fails + 1)); }

# run_one CODE ARGS...: swarm ARGS (output in $tmp/out), checks the exit code
run_one() {
	want=$1; shift
	timeout 120 "$swarm" --progress=off "$@" >"$tmp/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] && ok "swarm $* -> $got" || bad "swarm $*: exit $got, want $want"
}

has() { grep -qF -- "$1" "$tmp/out" && ok "output has '$1'" || bad "output lacks '$1'"; }

# json FILE EXPR: a value of a results file (python expression over d)
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

printf 'clusters:\n  - {single_node: true, num_workers: 0, amount: 1}\nmax_duration: 1m\ntimings: {time_scale: 60}\n' \
	>"$tmp/one.yaml"

# --- finding 4: 503s at start are retried, the run goes on ---------------------------
start_emulator --fault-error 'v2ListComponentVersions:0.6:503' --seed 11
service_yaml "$tmp/service.yaml"
run_one 0 --results "$tmp/r1.json" 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "component-versions: answered HTTP 503; retrying in"
inj=$(curl -s "127.0.0.1:$eport/debug/faults" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d["operations"].get("v2ListComponentVersions",{}).get("error",{}).get("injected",0))')
got=$(json "$tmp/r1.json" 'd["endpoints"]["component_versions"]["status_codes"].get("503",0)')
ret=$(json "$tmp/r1.json" 'd["endpoints"]["component_versions"].get("retries",{}).get("http_503",0)')
[ "$inj" -ge 1 ] && [ "$got" = "$inj" ] && [ "$ret" = "$inj" ] &&
	ok "503s injected at start: $inj, in the results: $got, retried: $ret" ||
	bad "503s injected at start: $inj, in the results: $got, retried: $ret"

# --- ... and a service that keeps failing is unreachable after startup_timeout ----
kill $pids; wait 2>/dev/null; pids=""
start_emulator --fault-error 'v2ListComponentVersions:1:503'
service_yaml "$tmp/service.yaml"
run_one 4 --startup-timeout 3s --results "$tmp/r2.json" 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "unreachable: GET /api/assisted-install/v2/component-versions: answered HTTP 503 ("
has "attempts over"
has "startup_timeout 3s)"
att=$(json "$tmp/r2.json" 'd["endpoints"]["component_versions"]["count"]')
ret=$(json "$tmp/r2.json" 'd["endpoints"]["component_versions"]["retries"]["http_503"]')
[ "$att" -ge 3 ] && [ "$ret" -eq $((att - 1)) ] && ok "$att attempts, $ret retries" ||
	bad "attempts $att, retries $ret"
[ "$(json "$tmp/r2.json" 'd["exit_code"]')" = 4 ] && ok "results exit_code 4" || bad "results exit_code"

# --- 404 and 401 are not transient: one attempt --------------------------------------
kill $pids; wait 2>/dev/null; pids=""
start_emulator --fault-error 'v2ListComponentVersions:1:404'
service_yaml "$tmp/service.yaml"
run_one 4 --results "$tmp/r3.json" 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "component-versions: answered HTTP 404"
[ "$(json "$tmp/r3.json" 'd["endpoints"]["component_versions"]["count"]')" = 1 ] &&
	ok "404: one attempt" || bad "404: more than one attempt"
kill $pids; wait 2>/dev/null; pids=""
start_emulator --auth rhsso --pull-secret-token p --user-token right
service_yaml "$tmp/service.yaml"
sed -i 's/^auth:.*/auth: rhsso\nuser_token: wrong/' "$tmp/service.yaml"
run_one 4 --results "$tmp/r4.json" 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "answered HTTP 401 (check auth and user_token)"
[ "$(json "$tmp/r4.json" 'd["endpoints"]["component_versions"]["count"]')" = 1 ] &&
	ok "401: one attempt" || bad "401: more than one attempt"

# --- a service not listening yet: connection refused is retried -------------------
kill $pids; wait 2>/dev/null; pids=""
# Below the ephemeral range: a port in it could become the local end of
# the swarm's own connection attempts (a TCP self-connect).
while :; do
	port=$(( $(od -An -N2 -tu2 /dev/urandom) % 10000 + 20000 ))
	ss -Htln "sport = :$port" 2>/dev/null | grep -q . || break
done
sed -e "s#^service_endpoint:.*#service_endpoint: \"http://127.0.0.1:$port\"#" \
	-e "s#^pull_secret_file:.*#pull_secret_file: \"$src/scenarios/emulator-pull-secret.json\"#" \
	"$src/scenarios/default/service.yaml" >"$tmp/late.yaml"
"$swarm" --progress=off --results "$tmp/r5.json" 10 "$tmp/one.yaml" "$tmp/late.yaml" \
	>"$tmp/out" 2>&1 &
spid=$!
sleep 1.5
"$build/tools/assisted-emulator/assisted-emulator" --listen "127.0.0.1:$port" --time-scale 60 \
	>"$tmp/emu-late.out" 2>&1 &
pids="$pids $!"
wait $spid
rc=$?
[ $rc -eq 0 ] && ok "service up 1.5 s late: exit 0" || bad "service up late: exit $rc"
has "Connection refused"
has "; retrying in"

# --- SIGINT while retrying: aborted (3) ----------------------------------------------
kill $pids; wait 2>/dev/null; pids=""
"$swarm" --progress=off --results "$tmp/r6.json" 10 "$tmp/one.yaml" "$tmp/late.yaml" \
	>"$tmp/out" 2>&1 &
spid=$!
sleep 1
kill -INT $spid
wait $spid
rc=$?
[ $rc -eq 3 ] && ok "SIGINT during the start-up check: exit 3" || bad "SIGINT: exit $rc"
has "interrupted during the start-up check"

# --- finding 5: the results path ------------------------------------------------------
start_emulator
service_yaml "$tmp/service.yaml"
run_one 2 --results "$tmp/no/such/dir/r.json" 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "--results $tmp/no/such/dir/r.json: cannot create files in its directory: No such file or directory"
mkdir -p "$tmp/adir"
run_one 2 --results "$tmp/adir" 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "--results $tmp/adir: is a directory"
run_one 2 --results /proc/swarm-results.json 10 "$tmp/one.yaml" "$tmp/service.yaml"
has "--results /proc/swarm-results.json: cannot create files in its directory"
# no request reached the service for those
reqs=$(curl -s "127.0.0.1:$eport/metrics" | awk '/^emulator_requests_total/ {s += $NF} END {print s + 0}')
[ "$reqs" = 0 ] && ok "refused before any request" || bad "$reqs requests before the refusal"
# the directory goes away during the run: exit 6, the reason on stderr
mkdir -p "$tmp/gone"
"$swarm" --progress=off --results "$tmp/gone/r.json" 10 "$tmp/one.yaml" "$tmp/service.yaml" \
	>"$tmp/out" 2>&1 &
spid=$!
sleep 1
rm -rf "$tmp/gone"
wait $spid
rc=$?
[ $rc -eq 6 ] && ok "results directory removed mid-run: exit 6" || bad "removed results dir: exit $rc"
has "swarm: results not written: $tmp/gone/r.json"
has "ended: installed"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
