#!/bin/sh
# The whole test suite: a normal build with warnings as errors, an
# AddressSanitizer + UndefinedBehaviorSanitizer build (leaks are failures)
# and a clang build, each running every meson test; then a ThreadSanitizer
# build running the multi-shard tests (meson suite "threads"). Skipped tests
# (exit 77: a tool or the reference material outside the repository is
# missing) are counted and listed with their reason. Ends with one line
# "N passed, N failed".
# Usage: tools/test.sh   (run from anywhere; TEST_ARGS adds meson test args;
# SWARM_SHARED_DIR points the reference tests at the reference material)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Node modules for the API conformance test (npm registry only).
if [ -x tests/emulator/conformance/install.sh ]; then
	sh tests/emulator/conformance/install.sh || echo "warning: conformance test modules not installed" >&2
fi

passed=0
failed=0
skipped=0
status=0

# run_suite NAME BUILDDIR MESON-SETUP-ARGS...; $cc (compiler) and $suite (one
# meson suite instead of all) apply when set.
cc=
suite=
run_suite() {
	name=$1; dir=$2; shift 2
	echo "=== $name build ($dir) ==="
	t0=$(date +%s)
	if [ ! -f "$dir/build.ninja" ]; then
		env ${cc:+CC=$cc} meson setup "$dir" --werror "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; failed=$((failed + 1)); status=1; return; }
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		tail -n 60 "$dir.build.log"
		echo "$name: build failed"
		failed=$((failed + 1)); status=1; return
	fi
	# shellcheck disable=SC2086
	meson test -C "$dir" --print-errorlogs --num-processes 2 ${suite:+--suite $suite} \
		${TEST_ARGS:+$TEST_ARGS} >"$dir.test.log" 2>&1
	rc=$?
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log" | sed "s/^/[$name] /"
	[ $rc -eq 0 ] || { grep -A40 -E 'FAIL|TIMEOUT' "$dir.test.log" | tail -n 120; status=1; }
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n1)
	xf=$(sed -n 's/^Expected Fail: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n1)
	fl=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n1)
	up=$(sed -n 's/^Unexpected Pass: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n1)
	to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n1)
	sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n1)
	passed=$((passed + ${ok:-0} + ${xf:-0}))
	failed=$((failed + ${fl:-0} + ${up:-0} + ${to:-0}))
	skipped=$((skipped + ${sk:-0}))
	# A skipping test says why in a "SKIP: reason" line (tests/README.md),
	# else its first line of output is shown.
	[ "${sk:-0}" -eq 0 ] || awk -v n="$name" '
		function flush() { if (skip) printf "[%s] SKIP %s: %s\n", n, t, why != "" ? why : first }
		/^test: / { flush(); t = $NF; skip = 0; out = 0; why = ""; first = "" ; next }
		/^result: *exit status 77/ { skip = 1; next }
		/^-+ std(out|err) -+$/ { out = 1; next }
		/^=+( [0-9]+\/[0-9]+ =+)?$/ { out = 0; next }
		out && /^SKIP: / && why == "" { why = substr($0, 7) }
		out && first == "" && NF { first = $0 }
		END { flush() }' "$dir/meson-logs/testlog.txt"
	if [ -z "$ok" ]; then
		tail -n 40 "$dir.test.log"
		failed=$((failed + 1)); status=1
	fi
	echo "[$name] $(( $(date +%s) - t0 ))s"
}

run_suite normal build-test
run_suite sanitize build-test-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all
# The second compiler: clang's warnings as errors too, every test.
if command -v clang >/dev/null 2>&1; then
	cc=clang
	run_suite clang build-test-clang
	cc=
else
	echo "=== clang build: SKIP (clang not installed; tools/deps/install.sh installs it) ==="
	skipped=$((skipped + 1))
fi
# Data races between the shard threads and the main thread.
suite=threads
run_suite tsan build-test-tsan -Db_sanitize=thread -Db_lundef=false
suite=

echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
