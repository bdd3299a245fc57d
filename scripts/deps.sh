#!/bin/bash
# Installs what moat needs to build and test on Debian 12 (bookworm).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
mapfile -t PKGS < <(grep -v '^#' "$(dirname "$0")/packages.txt" | tr ' ' '\n' | grep .)
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
