# Sourced by the conformance tests that run validate.js: exits 77 (SKIP) with
# a message naming what is missing -- node, its modules (install.sh), or the
# swagger (reference material outside the repository: SWARM_SHARED_DIR, else
# the build's SWARM_SHARED_DIR_DEFAULT) -- and otherwise sets $spec (the
# swagger) and $conformance (this folder).
conformance=$(cd "$(dirname "${0:-.}")" 2>/dev/null && pwd)
[ -f "$conformance/validate.js" ] || conformance=${SWARM_SOURCE_ROOT:?}/tests/emulator/conformance
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node not found (the conformance validator runs on node)"
	exit 77
fi
for m in @apidevtools/swagger-parser ajv ajv-formats; do
	if [ ! -d "$conformance/node_modules/$m" ]; then
		echo "SKIP: node module $m missing (run $conformance/install.sh)"
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
