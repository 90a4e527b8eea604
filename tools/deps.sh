#!/usr/bin/env bash
# Installs every Debian package that building, the demo, the tests and the benchmarks need.
# --if-missing: do nothing when all are present (what `make check` and `make demo` call).
set -euo pipefail

PKGS=(make gcc clang llvm bpftool libbpf-dev libelf-dev liburing-dev libssl-dev zlib1g-dev liblz4-dev
      libxml2-dev libseccomp-dev libclang-rt-14-dev pkg-config python3 python3-kconfiglib ocserv gnutls-bin openconnect iperf3 jq
      dnsmasq-base bind9-dnsutils curl iproute2 iputils-ping procps util-linux openssl kmod
      nftables ethtool tinyproxy python3-cryptography chromium softhsm2 libengine-pkcs11-openssl p11-kit p11-kit-modules
      gnuplot-nox file zsh bash-completion prometheus lintian debhelper dpkg-dev fakeroot man-db groff-base systemd)

# What plain `make` needs, named so that it can say what to install (Makefile).
BUILD_PKGS=(make gcc clang llvm bpftool libbpf-dev libelf-dev liburing-dev libssl-dev zlib1g-dev
	    liblz4-dev libxml2-dev libseccomp-dev pkg-config python3 python3-kconfiglib)
if [ "${1:-}" = --build-missing ]; then
	command -v dpkg-query >/dev/null || exit 0 # not Debian: the compiler will say
	for p in "${BUILD_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s ' "$p"
	done
	exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${1:-}" = --if-missing ] && [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
[ ${#missing[@]} -eq 0 ] && missing=("${PKGS[@]}")
if [ "$(id -u)" != 0 ]; then
	echo "kslice: missing packages: ${missing[*]}; run tools/deps.sh as root" >&2
	exit 1
fi
echo "kslice: installing ${missing[*]}"
# Packages such as ocserv and dnsmasq would start system services on install; kslice
# only runs them inside its own namespaces, so keep invoke-rc.d from starting them.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
fi
trap '[ $own_policy = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] ||
   ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
