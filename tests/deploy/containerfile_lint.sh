#!/bin/sh
# containerfile_lint: tools/deploy/Containerfile cannot be built here (no
# container engine in the test environment), so it is checked as far as a
# file can be: every COPY source of the build context exists in the
# repository; it is multi-stage with a named build stage that the final
# stage copies from; the final stage runs as a numeric non-root USER with an
# ENTRYPOINT; the binaries it copies out of the build are the meson targets
# this build produces (swarm, swarm-report, assisted-emulator, at those
# paths); the build stage disables the tests (no cmocka in the image); and,
# on a Debian 12 host, every package the stages install exists in apt.
set -eu
S=${SWARM_SOURCE_ROOT:?}
B=${SWARM_BUILD_ROOT:?}
F=$S/tools/deploy/Containerfile
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$F" ] || fail "no $F"
# Continuation lines joined, comments dropped.
sed -e 's/#.*$//' "$F" | awk '{ if (sub(/\\$/, "")) { line = line $0 } else { print line $0; line = "" } }' >"${TMPDIR:-/tmp}/cf.$$"
trap 'rm -f "${TMPDIR:-/tmp}/cf.$$"' EXIT
C=${TMPDIR:-/tmp}/cf.$$
stages=$(grep -c '^FROM ' "$C")
[ "$stages" -ge 2 ] || fail "not multi-stage"
grep -q '^FROM .*debian.* AS build$' "$C" || fail "the first stage is a Debian image named 'build'"
tail_from=$(grep '^FROM ' "$C" | tail -n1)
case "$tail_from" in *debian*) ;; *) fail "the final stage is not Debian: $tail_from" ;; esac
# COPY sources from the build context (not --from) must exist.
grep '^COPY ' "$C" | grep -v -- '--from=' | while read -r _ rest; do
	set -- $rest
	while [ $# -gt 1 ]; do
		[ -e "$S/$1" ] || fail "COPY source $1 does not exist in the repository"
		shift
	done
done
# What the final stage copies out of the build stage is what meson builds.
grep '^COPY --from=build ' "$C" | grep -o '/build/[^ ]*' | while read -r p; do
	rel=${p#/build/}
	[ -e "$B/$rel" ] || fail "the Containerfile copies $p, but this build has no $rel"
done
grep -q 'ninja -C /build swarm/swarm tools/swarm-report/swarm-report tools/assisted-emulator/assisted-emulator' "$C" ||
	fail "the build stage builds the three executables"
grep -q -- '-Dtests=disabled' "$C" || fail "the image build disables the tests"
user=$(grep '^USER ' "$C" | tail -n1 | awk '{print $2}')
case "$user" in ''|0|root) fail "the final stage must run as a non-root user (USER $user)" ;; esac
case "$user" in *[!0-9]*) fail "USER must be numeric (runAsNonRoot checks it): $user" ;; esac
grep -q "useradd .*--uid $user" "$C" || fail "USER $user is created with useradd"
grep -q '^ENTRYPOINT \["/usr/local/bin/swarm"\]' "$C" || fail "ENTRYPOINT is the swarm"
# The job manifests run the same user.
grep -q "runAsUser: $user" "$S/tools/deploy/kustomize/base/job-shards.yaml" || fail "job-shards.yaml runs another user"
if [ -r /etc/os-release ] && . /etc/os-release && [ "${VERSION_CODENAME:-}" = bookworm ] && command -v apt-cache >/dev/null; then
	pkgs=$(grep 'apt-get install' "$C" | sed 's/.*--no-install-recommends//; s/&&.*//')
	n=0
	for p in $pkgs; do
		apt-cache show "$p" >/dev/null 2>&1 || fail "package $p does not exist in Debian 12"
		n=$((n + 1))
	done
	echo "ok: $n packages exist in Debian 12 (bookworm)"
else
	echo "note: not a Debian 12 host: package names not checked"
fi
echo "containerfile_lint: ok ($stages stages, USER $user; not built: no container engine here)"
