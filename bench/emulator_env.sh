# Sourced by the swarm benchmarks: starts the emulator on CPU 0 and writes a
# service config for it. Needs $top set by the caller.
#   emu_start BUILD TMPDIR TIME_SCALE   -> sets $emu (pid) and $port
#   emu_service TMPDIR                  -> writes TMPDIR/service.yaml (h2c, shared)
# SWARM_BENCH_EMULATOR names another emulator binary (before/after
# comparisons of two swarm builds against the same emulator);
# SWARM_BENCH_EMU_ARGS adds emulator options.
emu_start() {
	# shellcheck disable=SC2086
	taskset -c 0 "${SWARM_BENCH_EMULATOR:-$1/tools/assisted-emulator/assisted-emulator}" \
		--listen 127.0.0.1:0 --time-scale "$3" --quiet ${SWARM_BENCH_EMU_ARGS:-} >"$2/emu.out" 2>&1 &
	emu=$!
	_i=0
	until grep -qs "listening on" "$2/emu.out"; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { echo "emulator did not start: $(cat "$2/emu.out")" >&2; exit 1; }
		sleep 0.05
	done
	port=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\) .*/\1/p' "$2/emu.out")
}

emu_service() {
	cat >"$1/service.yaml" <<EOC
service_endpoint: "http://127.0.0.1:$port"
ssh_pub_key: "ssh-ed25519 AAAA swarm@bench"
pull_secret_file: "$top/scenarios/emulator-pull-secret.json"
release_image: "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"
http: h2
connections: shared
EOC
}
