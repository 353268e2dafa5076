#!/bin/sh
# Meson test wrapper: runs the end-to-end driver with --record, then
# validates every recorded exchange against the swagger.
# usage: run.sh E2E_DRIVER EMULATOR
# Exit 77 (skip) when node or the npm modules are absent, or when the
# swagger (reference material outside the repository: SWARM_SHARED_DIR, else
# the build's default SWARM_SHARED_DIR_DEFAULT) is not found.
set -u
here=$(cd "$(dirname "$0")" && pwd)
driver=$1
emulator=$2
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node not found (the conformance validator runs on node)"
	exit 77
fi
for m in @apidevtools/swagger-parser ajv ajv-formats; do
	if [ ! -d "$here/node_modules/$m" ]; then
		echo "SKIP: node module $m missing (run $here/install.sh)"
		exit 77
	fi
done
shared=${SWARM_SHARED_DIR:-${SWARM_SHARED_DIR_DEFAULT:-}}
spec=${shared:-(SWARM_SHARED_DIR unset)}/reference/assisted-service-swagger.yaml
if [ -z "$shared" ] || [ ! -f "$spec" ]; then
	echo "SKIP: $spec not found: the conformance test needs the assisted-service swagger" \
		"(reference material outside the repository; set SWARM_SHARED_DIR or meson -Dshared_dir)"
	exit 77
fi
# The validator must be able to fail: known-bad exchanges are refused.
if node "$here/validate.js" --spec "$spec" "$here/selftest.jsonl" >/dev/null 2>&1; then
	echo "conformance: the validator accepted selftest.jsonl (known-bad exchanges)" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/emu-conformance-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rc=0
for variant in "--proto h2" "--proto h1 --auth local"; do
	# shellcheck disable=SC2086
	"$driver" "$emulator" $variant --no-faults --record "$tmp/record.jsonl" || rc=1
done
[ $rc -eq 0 ] || { echo "conformance: the driver failed" >&2; exit 1; }
node "$here/validate.js" --spec "$spec" "$tmp/record.jsonl"
