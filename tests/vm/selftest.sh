#!/usr/bin/env bash
# Checks the VM harness itself (run by hand after changing tests/vm/lib or
# run-all.sh; it boots four guests): runs the fixture areas of
# tests/vm/fixtures/harness/ and compares each test's verdict with the one
# it was written to get.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
kver=$("$repo/scripts/kernel-version.sh")
mod=$repo/build/vm/selftest
fixtures=tests/vm/fixtures/harness

mkdir -p "$mod"
cp "$repo/$fixtures/module/"{tk_selftest.c,Kbuild} "$mod/"
make -s -C "/lib/modules/$kver/build" M="$mod" modules >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$here/run-all.sh" "$fixtures/one" "$fixtures/two" >"$log" 2>&1 || true
expected=(
	"PASS $fixtures/one/a-leaves-mess.sh"
	"FAIL $fixtures/one/b-sees-clean-guest.sh (exit status 7;"
	"FAIL $fixtures/one/c-warns.sh (kernel reported: WARNING:"
	"FAIL $fixtures/one/d-oopses.sh (guest died or timed out during this test;"
	"FAIL $fixtures/one/e-hangs.sh (timed out after 5 s;"
	"PASS $fixtures/two/f-not-executable.sh"
	"PASS $fixtures/two/g-guest-env.sh"
	"---- $fixtures/one/b-sees-clean-guest.sh: last lines of its output"
	"---- $fixtures/one/c-warns.sh: the kernel's first report"
	"3 passed, 4 failed"
)
bad=0
for line in "${expected[@]}"; do
	if grep -qF -- "$line" "$log"; then
		echo "selftest: ok: $line"
	else
		echo "selftest: FAIL: expected a line starting '$line'"
		bad=1
	fi
done
[ "$bad" = 0 ] || { tail -n 20 "$log"; exit 1; }
# --guest-avx2 leaves the guest's programs their AVX2 routines.
if "$here/vm-run.sh" --quiet --disk-mb 0 --guest-avx2 -- /bin/bash -c \
	'[ -z "${GLIBC_TUNABLES:-}" ] && [ -z "${GODEBUG:-}" ] &&
	/lib64/ld-linux-x86-64.so.2 --list-diagnostics |
		grep -q "^x86.cpu_features.preferred.AVX_Fast_Unaligned_Load=0x1$"' >"$log" 2>&1; then
	echo "selftest: ok: --guest-avx2 sets no tunables; glibc keeps its AVX routines"
else
	echo "selftest: FAIL: expected no GLIBC_TUNABLES or GODEBUG and glibc's AVX_Fast_Unaligned_Load=0x1 with --guest-avx2"
	tail -n 20 "$log"
	exit 1
fi
echo "selftest: the harness behaves"
