#!/bin/bash
# mount(2)/umount2(2) through the addon (dist/kernel/mount.js) as the agent
# uses them for guard points: flags reach the kernel, a busy unmount
# fails with EBUSY, an unknown filesystem type with ENODEV, and an
# unprivileged caller with EPERM. The checks are in mount-check.js.
# vm-timeout: 120
set -euo pipefail
repo=${TK_REPO:?run under tests/vm/vm-run.sh}
[ -f "$repo/dist/kernel/index.js" ] || { echo "expected $repo/dist/kernel/index.js, found none: run npm run build on the host"; exit 1; }
node "$repo/tests/vm/addon/mount-check.js" check "${TMPDIR:-/tmp}/mount-test"
