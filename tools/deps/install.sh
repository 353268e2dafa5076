#!/bin/sh
# Installs everything swarm needs to build, test and benchmark, on Debian/Ubuntu
# (apt-get) or Fedora/RHEL (dnf). Idempotent; uses sudo only when not root.
# Never starts any service: tests start their own servers on loopback.
set -eu

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if command -v apt-get >/dev/null 2>&1; then
	pkgs="build-essential pkg-config meson ninja-build clang libclang-rt-14-dev
	      libevent-dev libssl-dev libnghttp2-dev libjansson-dev libyaml-dev zlib1g-dev
	      libcmocka-dev nginx-light nghttp2-client curl openssl ca-certificates
	      procps iproute2 prometheus time util-linux jq python3-jinja2 python3-yaml
	      prometheus-pushgateway chromium fonts-dejavu-core libxml2-utils"
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
	missing=""
	for p in $pkgs; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
	fi
elif command -v dnf >/dev/null 2>&1; then
	as_root dnf install -y -q gcc make pkgconf-pkg-config meson ninja-build clang \
		compiler-rt libasan libubsan libtsan libevent-devel openssl-devel libnghttp2-devel \
		jansson-devel libyaml-devel zlib-devel libcmocka-devel nginx nghttp2 curl openssl \
		procps-ng iproute time util-linux jq python3-pyyaml nodejs npm golang-github-prometheus \
		golang-github-prometheus-pushgateway chromium dejavu-sans-fonts libxml2 >/dev/null ||
	as_root dnf install -y -q gcc make pkgconf-pkg-config meson ninja-build clang \
		compiler-rt libasan libubsan libtsan libevent-devel openssl-devel libnghttp2-devel \
		jansson-devel libyaml-devel zlib-devel libcmocka-devel nginx nghttp2 curl openssl \
		procps-ng iproute time util-linux jq python3-pyyaml nodejs npm chromium dejavu-sans-fonts libxml2 >/dev/null
else
	echo "tools/deps/install.sh: neither apt-get nor dnf found; install the packages listed in README.md by hand" >&2
	exit 2
fi
# Debian's kubectl 1.20 (package kubernetes-client) for the emulated hub's kubectl
# test, unpacked into a private folder: installing it would conflict with (or
# replace) another kubectl. Tests find it there (or through SWARM_KUBECTL).
kc_dir=/var/cache/swarm/kubernetes-client
if command -v apt-get >/dev/null 2>&1 && [ ! -x "$kc_dir/usr/bin/kubectl" ]; then
	kc_tmp=$(mktemp -d)
	chmod 755 "$kc_tmp"
	if (cd "$kc_tmp" && apt-get download kubernetes-client >/dev/null 2>&1) &&
	   as_root mkdir -p "$kc_dir" && as_root dpkg-deb -x "$kc_tmp"/kubernetes-client_*.deb "$kc_dir"; then
		echo "kubectl $("$kc_dir/usr/bin/kubectl" version --client --short 2>/dev/null) in $kc_dir"
	else
		echo "note: Debian's kubernetes-client could not be fetched; the kubectl test will be skipped" >&2
	fi
	rm -rf "$kc_tmp"
fi
# Debian's nginx package may start a system nginx on port 80; it is not ours
# and tests never use it, so it is left alone.
echo "dependencies ready"
