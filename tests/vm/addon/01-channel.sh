#!/bin/bash
# The addon and its wrapper (dist/kernel/) against the real module: a Node
# agent registers, answers the queries that file access in a guard point
# causes, sees a denied read fail; a second agent is refused, an
# unprivileged one too, and an agent that exits without closing is
# forgotten by the kernel. The checks themselves are in channel-check.js.
# vm-timeout: 300
set -euo pipefail
repo=${TK_REPO:?run under tests/vm/vm-run.sh}
for f in dist/kernel/index.js addon/build/Release/takakrypt.node kernel/takakrypt.ko; do
	[ -f "$repo/$f" ] || { echo "expected $repo/$f, found none: build on the host first (make node module)"; exit 1; }
done
work=${TMPDIR:-/tmp}/addon-test
disk=$work/disk
gp=$disk/gp

cleanup() {
	umount "$gp" 2>/dev/null || true
	umount "$disk" 2>/dev/null || true
	rmmod takakrypt 2>/dev/null || true
}
trap cleanup EXIT

insmod "$repo/kernel/takakrypt.ko"
mkdir -p "$disk"
mount "${TK_DISK:?}" "$disk"
mkdir -p "$gp"
echo secret >"$gp/denied.txt"
mount -t takakryptfs -o policy=addon_test "$gp" "$gp"
node "$repo/tests/vm/addon/channel-check.js" agent "$gp"
