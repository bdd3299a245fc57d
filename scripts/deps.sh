#!/bin/bash
# Installs what moat needs to build and test on Debian 12 (bookworm).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
PKGS=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev
      libcmocka-dev libsqlite3-dev libsystemd-dev libsodium-dev libpcre2-dev
      libjansson-dev libyaml-dev zlib1g-dev libcurl4-openssl-dev libnftables-dev
      sqlite3 jq python3 valgrind gzip iproute2 util-linux)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "moat: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
