#!/bin/sh
# The HTML report of a real run, rendered by a real headless Chromium: the
# screenshot is decoded and every chart's plot area must be present and
# show data (png_check). Skips when Chromium is not installed.
# SWARM_REPORT_SHOT=FILE keeps a small screenshot (the README's picture).
set -eu
. "$(dirname "$0")/../fixtures/swarm_env.sh"
chrome=""
for c in chromium chromium-browser google-chrome; do
	command -v "$c" >/dev/null 2>&1 && { chrome=$c; break; }
done
[ -n "$chrome" ] || skip "chromium not installed (Debian package chromium; tools/deps/install.sh installs it)"
png_check=${1:?usage: report_chromium.sh PNG_CHECK}

start_emulator --fault-error v2GetNextSteps:0.05:503 --fault-latency v2GetNextSteps:uniform:1ms:5ms
service_yaml "$tmp/service.yaml"
run_swarm "$tmp/r.json"
[ "$rc" -eq 0 ] || fail "swarm exited $rc: $(tail -n 5 "$tmp/r.json.stderr")"
"$build/tools/swarm-report/swarm-report" "$tmp/r.json" -o "$tmp/report.html" || fail "swarm-report exited $?"
n=$(sed -n "s/.*name='swarm-report-charts' content='\([0-9]*\)'.*/\1/p" "$tmp/report.html")

shot() { # out.png width height [scale]
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --force-color-profile=srgb --hide-scrollbars \
		--force-device-scale-factor="${4:-1}" --user-data-dir="$tmp/profile" \
		--screenshot="$1" --window-size="$2,$3" "file://$tmp/report.html" >"$tmp/chrome.log" 2>&1 ||
		fail "chromium failed: $(tail -n 5 "$tmp/chrome.log")"
	[ -s "$1" ] || fail "chromium wrote no screenshot: $(tail -n 5 "$tmp/chrome.log")"
}
shot "$tmp/shot.png" 1220 4200
"$png_check" "$tmp/shot.png" "$n" 100 || fail "a chart is missing or blank in the screenshot"
if [ -n "${SWARM_REPORT_SHOT:-}" ]; then
	shot "$SWARM_REPORT_SHOT" 1220 1450 0.6
fi
echo "ok: $n charts rendered by $($chrome --version 2>/dev/null | head -n1)"
