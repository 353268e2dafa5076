#!/bin/sh
# Fuzz targets under libFuzzer (a build set up with CC=clang and
# -Dfuzzing_engine=libfuzzer: every library instrumented, ASan + UBSan).
#
#   sh bench/fuzz_bench.sh [--smoke] [--runs N] [--max-time S] NAME=BINARY=SEEDS ...
#
# Each NAME=BINARY=SEEDS (SEEDS: a seed corpus folder, or empty) runs once,
# on a fresh corpus folder seeded from SEEDS:
#   default  -runs=N (10^7 unless --runs), at most S seconds per target
#            (--max-time, default 1800: a target slower than ~5,600 execs/s
#            stops there, and its row says "capped"), then prints per target
#            the executions, executions per second, coverage (libFuzzer's
#            "cov:" edges and "ft:" features), corpus size, new units and peak
#            RSS, a Markdown table, and one JSON line;
#   --smoke  -max_total_time=2 per target (CI: the targets build, start and
#            run; any crash, leak or sanitizer report fails).
# meson registers it as the benchmark fuzz_bench and the test fuzz_smoke of
# that configuration (meson.build). Exit 1 when a target fails.
set -u
mode=bench
runs=10000000
maxtime=1800
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) mode=smoke; shift ;;
	--runs) runs=$2; shift 2 ;;
	--max-time) maxtime=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--smoke] [--runs N] NAME=BINARY=SEEDS ..." >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 143' INT TERM
failed=0
rows=""
json=""

for spec in "$@"; do
	name=${spec%%=*}
	rest=${spec#*=}
	bin=${rest%%=*}
	seeds=${rest#*=}
	[ -x "$bin" ] || { echo "$name: $bin is not built" >&2; failed=1; continue; }
	mkdir -p "$tmp/$name"
	if [ "$mode" = smoke ]; then
		limit=-max_total_time=2
	else
		limit="-runs=$runs -max_total_time=$maxtime"
	fi
	# shellcheck disable=SC2086
	"$bin" $limit -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "$tmp/$name" \
		${seeds:+"$seeds"} >"$tmp/$name.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$name: FAILED (exit $rc)"
		grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|Test unit written' "$tmp/$name.log" | head -n 20
		failed=1
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$name.log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$name.log" | tail -n1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$tmp/$name.log" | tail -n1)
	newu=$(sed -n 's/^stat::new_units_added: *//p' "$tmp/$name.log" | tail -n1)
	# the last status line: "#N <EVENT> cov: E ft: F corp: C/..."
	last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$tmp/$name.log" | tail -n1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	note=""
	[ "$mode" = bench ] && [ "${execs:-0}" -lt "$runs" ] && note=" (capped at ${maxtime}s)"
	printf '%-18s %12s execs %9s execs/s  cov %6s  ft %6s  corpus %5s  new %5s  rss %5s MB%s\n' \
		"$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${newu:-?}" "${rss:-?}" "$note"
	rows="$rows| \`$name\` | ${execs:-?}$note | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | ${rss:-?} |
"
	json="$json${json:+,}{\"target\":\"$name\",\"execs\":${execs:-0},\"execs_per_s\":${rate:-0},\"cov\":${cov:-0},\"ft\":${ft:-0},\"corpus\":${corp:-0},\"peak_rss_mb\":${rss:-0}}"
done

if [ "$mode" = bench ]; then
	echo
	echo "| target | executions | execs/s | cov (edges) | ft (features) | corpus | peak RSS (MB) |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	printf '%s' "$rows"
fi
echo "{\"bench\":\"fuzz_bench\",\"mode\":\"$mode\",\"runs\":$runs,\"targets\":[$json]}"
exit $failed
