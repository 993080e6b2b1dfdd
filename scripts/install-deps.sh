#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks to build and test Takakrypt:
# the kernel image and headers the module is built for and booted in QEMU,
# QEMU itself, and the tools the guest and its disk images need.
# Benchmark-only packages (the peers, fio, MariaDB, gnuplot) are installed
# by `make bench` itself: scripts/install-bench-deps.sh.
set -euo pipefail

packages=(
  build-essential python3 make g++ git
  qemu-system-x86 qemu-utils
  linux-image-amd64 linux-headers-amd64
  busybox-static cpio e2fsprogs kmod xz-utils
  attr util-linux-extra
  openssl
  mariadb-server vim nano rsync sqlite3 bsdutils
)

# With arguments, those packages instead of the list above (make bench
# passes its own: scripts/install-bench-deps.sh).
[ $# -eq 0 ] || packages=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "node (version 20 or later) is required and was not found" >&2
  exit 1
fi
