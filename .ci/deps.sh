#!/usr/bin/env bash
# Install the Debian packages packwin needs to build and test, when missing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config zlib1g-dev libssl-dev libcmocka-dev
      libgit2-dev libdeflate-dev git curl valgrind time clang libclang-rt-14-dev
      python3 procps go-md2man man-db varnish)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
