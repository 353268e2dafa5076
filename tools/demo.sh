#!/bin/sh
# The main job: builds swarm and the service emulator, starts the emulator
# on loopback (time-compressed), runs the swarm on the default scenario (a
# mix of single-node, compact and worker clusters) and prints its summary.
# Usage: tools/demo.sh [SCENARIO_DIR] [MAX_CONCURRENT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scenario=${1:-scenarios/default}
concurrency=${2:-2000}
port=${SWARM_DEMO_PORT:-8090}
scale=$(sed -n 's/^# *emulator-time-scale: *\([0-9.]*\).*/\1/p' "$scenario/plan.yaml" | head -n1)
scale=${scale:-60}

if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null

ulimit -n 65536 2>/dev/null || true
log=$(mktemp /tmp/swarm-demo-emulator.XXXXXX)
build/tools/assisted-emulator/assisted-emulator --listen "127.0.0.1:$port" \
	--time-scale "$scale" --quiet >"$log" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null; rm -f "$log"' EXIT INT TERM
for _ in $(seq 1 50); do
	curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
echo "emulator on http://127.0.0.1:$port (time scale $scale); swarm: $scenario"
svc=$(mktemp /tmp/swarm-demo-service.XXXXXX.yaml)
sed "s#^service_endpoint:.*#service_endpoint: \"http://127.0.0.1:$port\"#" \
	"$scenario/service.yaml" >"$svc"
# relative paths in the service config (pull secret) stay valid next to the original
sed -i "s#^pull_secret_file: *\"\{0,1\}\([^/\"][^\"]*\)\"\{0,1\}#pull_secret_file: \"$top/$scenario/\\1\"#" "$svc"
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null; rm -f "$log" "$svc"' EXIT INT TERM
rc=0
build/swarm/swarm --results swarm-results.json "$concurrency" \
	"$scenario/plan.yaml" "$svc" || rc=$?
echo "results written to swarm-results.json (exit code $rc)"
exit $rc
