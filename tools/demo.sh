#!/bin/sh
# The main job: builds swarm and the service emulator, starts the emulator
# on loopback (time-compressed), runs the swarm on the default scenario (a
# mix of single-node, compact and worker clusters) and prints its summary.
# With --kube the emulator also serves the emulated hub (--kube-api) and the
# swarm runs in kube mode (scenarios/kube-mixed by default): BareMetalHosts,
# the BareMetal Operator played by the swarm, progress from watches.
# Usage: tools/demo.sh [--kube] [SCENARIO_DIR] [MAX_CONCURRENT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kube=0
if [ "${1:-}" = --kube ]; then
	kube=1
	shift
fi
default=scenarios/default
[ $kube = 1 ] && default=scenarios/kube-mixed
scenario=${1:-$default}
concurrency=${2:-2000}
port=${SWARM_DEMO_PORT:-8090}
kport=${SWARM_DEMO_KUBE_PORT:-6443}
scale=$(sed -n 's/^# *emulator-time-scale: *\([0-9.]*\).*/\1/p' "$scenario/plan.yaml" | head -n1)
scale=${scale:-60}

if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null

ulimit -n 65536 2>/dev/null || true
log=$(mktemp /tmp/swarm-demo-emulator.XXXXXX)
kube_args=""
[ $kube = 1 ] && kube_args="--kube-api 127.0.0.1:$kport"
# shellcheck disable=SC2086 # kube_args is two words or none
build/tools/assisted-emulator/assisted-emulator --listen "127.0.0.1:$port" $kube_args \
	--time-scale "$scale" --quiet >"$log" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null; rm -f "$log"' EXIT INT TERM
for _ in $(seq 1 50); do
	curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
echo "emulator on http://127.0.0.1:$port (time scale $scale); swarm: $scenario"
[ $kube = 1 ] && echo "emulated hub (kube API) on http://127.0.0.1:$kport"
svc=$(mktemp /tmp/swarm-demo-service.XXXXXX.yaml)
kcfg=$(mktemp /tmp/swarm-demo-kubeconfig.XXXXXX.yaml)
sed "s#^service_endpoint:.*#service_endpoint: \"http://127.0.0.1:$port\"#" \
	"$scenario/service.yaml" >"$svc"
# kube mode: a kubeconfig for the demo's hub port
sed "s#^    server:.*#    server: \"http://127.0.0.1:$kport\"#" scenarios/emulator-hub-kubeconfig.yaml >"$kcfg"
sed -i "s#^kubeconfig:.*#kubeconfig: \"$kcfg\"#" "$svc"
# relative paths in the service config (pull secret) stay valid next to the original
sed -i "s#^pull_secret_file: *\"\{0,1\}\([^/\"][^\"]*\)\"\{0,1\}#pull_secret_file: \"$top/$scenario/\\1\"#" "$svc"
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null; rm -f "$log" "$svc" "$kcfg"' EXIT INT TERM
rc=0
build/swarm/swarm --results swarm-results.json "$concurrency" \
	"$scenario/plan.yaml" "$svc" || rc=$?
echo "results written to swarm-results.json (exit code $rc)"
exit $rc
