#!/bin/sh
# swarm-report on real results: HTML (self-contained: no script, no
# external asset, one <svg> per announced chart), Markdown and JUnit (valid
# XML, failures where the runs failed), an A-vs-B comparison, and the exit
# code and message for every kind of bad input.
set -eu
. "$(dirname "$0")/../fixtures/swarm_env.sh"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
command -v xmllint >/dev/null 2>&1 || skip "xmllint not installed (Debian: libxml2-utils)"
rep="$build/tools/swarm-report/swarm-report"

start_emulator --fault-latency v2GetNextSteps:uniform:1ms:5ms
service_yaml "$tmp/service.yaml"
run_swarm "$tmp/a.json"
[ "$rc" -eq 0 ] || fail "run A exited $rc: $(tail -n 5 "$tmp/a.json.stderr")"
run_swarm "$tmp/b.json" --series-interval 2s
[ "$rc" -eq 0 ] || fail "run B exited $rc: $(tail -n 5 "$tmp/b.json.stderr")"

# --- HTML, one file and two
"$rep" "$tmp/a.json" -o "$tmp/a.html" || fail "swarm-report exited $?"
"$rep" "$tmp/a.json" "$tmp/b.json" -o "$tmp/ab.html" || fail "swarm-report A B exited $?"
for h in a ab; do
	f="$tmp/$h.html"
	n=$(sed -n "s/.*name='swarm-report-charts' content='\([0-9]*\)'.*/\1/p" "$f")
	svgs=$(grep -o "<svg " "$f" | wc -l)
	[ -n "$n" ] && [ "$n" -ge 10 ] && [ "$svgs" -eq "$n" ] || fail "$h.html: $svgs charts, announced $n"
	if grep -qiE "<script|<link|<img|<iframe|@import|url\(|src=|href=" "$f"; then
		fail "$h.html is not self-contained: $(grep -oiE "<script|<link|<img|<iframe|@import|url\(|src=|href=" "$f" | head -n 3)"
	fi
	! grep -o "https\?://[^'\" ]*" "$f" | grep -v "^http://www.w3.org/2000/svg$" | grep -q . ||
		fail "$h.html names an external URL"
	# libxml2's HTML parser predates inline SVG: check the charts as XML.
	{ echo "<charts>"; sed -n "/<svg /,/<\/svg>/p" "$f"; echo "</charts>"; } >"$tmp/svg.xml"
	xmllint --noout "$tmp/svg.xml" || fail "$h.html: the charts are not well-formed SVG"
done
na=$(sed -n "s/.*content='\([0-9]*\)'.*/\1/p" "$tmp/a.html")
nab=$(sed -n "s/.*content='\([0-9]*\)'.*/\1/p" "$tmp/ab.html")
[ "$nab" -eq $((2 * na)) ] || fail "A vs B should hold twice A's charts ($nab vs $na)"
grep -q "Requests per second by operation" "$tmp/a.html" || fail "no request-rate chart"
grep -q "Hosts by phase" "$tmp/a.html" || fail "no hosts-by-phase chart"
grep -q "CDF by shape" "$tmp/a.html" || fail "no install-time CDF"
grep -q "emulator_clusters" "$tmp/a.html" || fail "scraped service metrics not charted"
grep -q "B vs A" "$tmp/ab.html" || fail "no comparison column"
grep -q "p99, all files merged" "$tmp/ab.html" || fail "no merged-histogram column"

# --- Markdown
"$rep" --format markdown "$tmp/a.json" "$tmp/b.json" >"$tmp/ab.md" || fail "markdown exited $?"
grep -q "^## swarm load-test report" "$tmp/ab.md" || fail "markdown title"
inst=$(jq .totals.clusters_installed "$tmp/a.json")
grep -q "^| clusters installed | $inst | " "$tmp/ab.md" || fail "markdown installed row: $(grep installed "$tmp/ab.md")"
grep -q "^| get_next_steps | " "$tmp/ab.md" || fail "markdown has no get_next_steps row"

# --- JUnit: a passing file, and one edited to fail with thresholds
jq '.passed = false | .exit_code = 1 | .shapes[0].failed = 1 |
    .thresholds = [{"name": "p99 get_next_steps", "expression": "p99(get_next_steps) < 1ms", "passed": false, "value": 0.004},
                   {"name": "errors", "expression": "errors == 0", "passed": true, "value": 0}]' \
	"$tmp/b.json" >"$tmp/c.json"
"$rep" -f junit -o "$tmp/junit.xml" "$tmp/a.json" "$tmp/c.json" || fail "junit exited $?"
xmllint --noout "$tmp/junit.xml" || fail "junit output is not well-formed XML"
shapes=$(jq '.shapes | length' "$tmp/a.json")
[ "$(xmllint --xpath 'count(//testsuite[1]/testcase)' "$tmp/junit.xml")" -eq $((1 + shapes)) ] || fail "suite A test cases"
[ "$(xmllint --xpath 'count(//testsuite[1]/testcase/failure)' "$tmp/junit.xml")" -eq 0 ] || fail "suite A should pass"
[ "$(xmllint --xpath 'count(//testsuite[2]/testcase/failure)' "$tmp/junit.xml")" -eq 3 ] || fail "suite C should have 3 failures"
[ "$(xmllint --xpath 'string(//testsuite[2]/@failures)' "$tmp/junit.xml")" = 3 ] || fail "suite C failures attribute"
"$rep" -f markdown "$tmp/c.json" | grep -q "| C\?A\? *| p99 get_next_steps | .*FAIL" ||
	"$rep" -f markdown "$tmp/c.json" | grep -q "p99 get_next_steps.*FAIL" || fail "markdown thresholds"
"$rep" "$tmp/c.json" -o "$tmp/c.html" && grep -q "Thresholds" "$tmp/c.html" || fail "HTML thresholds table"

# --- bad input: exit code and a message naming the file
expect() { # code file-in-message args...
	want=$1; name=$2; shift 2
	got=0
	"$rep" "$@" -o "$tmp/x.html" 2>"$tmp/err" || got=$?
	[ "$got" -eq "$want" ] || fail "swarm-report $*: exit $got, want $want ($(cat "$tmp/err"))"
	[ -z "$name" ] || grep -qF "$name" "$tmp/err" || fail "message does not name $name: $(cat "$tmp/err")"
}
head -c 2000 "$tmp/a.json" >"$tmp/trunc.json"
jq '.schema_version = 1' "$tmp/a.json" >"$tmp/v1.json"
echo '{"hello": "world"}' >"$tmp/other.json"
jq '.endpoints.get_next_steps.service_histogram.b = [0, 5000, 1]' "$tmp/a.json" >"$tmp/hist.json"
jq '.series.intervals[1].operations = 3' "$tmp/a.json" >"$tmp/iv.json"
expect 3 trunc.json "$tmp/trunc.json"
expect 3 missing.json "$tmp/missing.json"
expect 4 v1.json "$tmp/a.json" "$tmp/v1.json"
expect 5 other.json "$tmp/other.json"
expect 5 hist.json "$tmp/hist.json"
expect 5 iv.json "$tmp/iv.json"
expect 2 "" --format pdf "$tmp/a.json"
expect 2 "" 
got=0; "$rep" "$tmp/a.json" -o "$tmp/no/such/dir/r.html" 2>/dev/null || got=$?
[ "$got" -eq 6 ] || fail "unwritable output: exit $got, want 6"
# --- the swarm's observability options refuse bad values (exit 2, naming the option)
sw="$build/swarm/swarm"
for bad in "--series-interval 50ms" "--series-interval 2h" "--series-interval x" "--push ftp://a" \
	"--metrics-linger 2h" "--metrics-linger soon"; do
	got=0
	# shellcheck disable=SC2086
	"$sw" $bad 10 "$src/tests/report/plan.yaml" "$tmp/service.yaml" >/dev/null 2>"$tmp/err" || got=$?
	[ "$got" -eq 2 ] || fail "swarm $bad: exit $got, want 2"
	grep -q -- "${bad%% *}" "$tmp/err" || fail "swarm $bad: message does not name the option: $(cat "$tmp/err")"
done
"$sw" --help | grep -q -- "--series-interval" || fail "swarm --help lacks --series-interval"
"$sw" --help | grep -q "^  5  " || fail "swarm --help lacks exit code 5"
"$rep" --help | grep -q "^  5  not a swarm results file" || fail "swarm-report --help exit codes"
echo "ok: html ($na charts, $nab compared), markdown, junit and 9 bad inputs"
