#!/bin/sh
# gen_check: the generated emulator tables (tools/emulator-model/emu_schema.c,
# request bodies, and emu_opmeta.c, media types and parameters per operation)
# are what gen_schema.py makes of the swagger today. SKIP (77) when the
# swagger (reference material outside the repository: SWARM_SHARED_DIR) or
# python3 with PyYAML is missing.
set -u
S=${SWARM_SOURCE_ROOT:?}
shared=${SWARM_SHARED_DIR:-${SWARM_SHARED_DIR_DEFAULT:-}}
spec=${shared:-(SWARM_SHARED_DIR unset)}/reference/assisted-service-swagger.yaml
if [ -z "$shared" ] || [ ! -f "$spec" ]; then
	echo "SKIP: $spec not found (reference material outside the repository; set SWARM_SHARED_DIR)"
	exit 77
fi
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3 with PyYAML (python3-yaml) not found"; exit 77; }
gen=$S/tools/emulator-model/gen_schema.py
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rc=0
python3 "$gen" "$spec" >"$tmp/emu_schema.c" || exit 1
python3 "$gen" --ops "$spec" >"$tmp/emu_opmeta.c" || exit 1
for f in emu_schema.c emu_opmeta.c; do
	if ! cmp -s "$tmp/$f" "$S/tools/emulator-model/$f"; then
		echo "FAIL: tools/emulator-model/$f differs from what gen_schema.py makes of the swagger:" >&2
		diff -u "$S/tools/emulator-model/$f" "$tmp/$f" | head -n 40 >&2
		rc=1
	fi
done
[ $rc -eq 0 ] && echo "ok: emu_schema.c and emu_opmeta.c match the swagger"
exit $rc
