#!/usr/bin/env bash
# `make demo`: boot the QEMU guest and show Takakrypt on real files, with
# a narration. Needs the module, the addon and dist/ built (make all).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
for built in kernel/takakrypt.ko dist/cli/main.js; do
	[ -e "$built" ] || { echo "demo: $built is missing; run 'make all' first" >&2; exit 1; }
done
exec "$here/vm-run.sh" --name demo --timeout 400 -- tests/vm/demo-guest.sh
