#!/usr/bin/env bash
# Print the version of the Debian kernel whose headers and image are
# installed (the kernel the module is built for and booted in QEMU). The
# running kernel is deliberately not consulted: it may not be the target.
set -euo pipefail
best=""
for build in /lib/modules/*/build; do
  [ -e "$build/Makefile" ] || continue
  v=$(basename "$(dirname "$build")")
  [ -e "/boot/vmlinuz-$v" ] || continue
  best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n 1)
done
if [ -z "$best" ]; then
  echo "no installed kernel with both headers and image under /lib/modules and /boot; install linux-image-amd64 and linux-headers-amd64" >&2
  exit 1
fi
echo "$best"
