#!/bin/bash
# Randomised differential test: thousands of random operations (pwrite,
# pread, ftruncate, fsync, append, mmap reads and shared writes, reopen,
# drop_caches) on a guard point file and on a plain file, compared after
# every step. The seed is printed at the start and on a failure; replay
# with tests/vm/vm-run.sh -- env TK_RANDOM_SEED=N tests/vm/crypt/02-random.sh
# (TK_RANDOM_OPS=N changes the count). The file's final lower form must
# decrypt with the reference reader to the same bytes.
# vm-timeout: 700
source "$(dirname "$0")/lib/crypt.bash"

OPS=${TK_RANDOM_OPS:-6000}

setup_crypt_env
start_real_agent
if /usr/bin/python3 "$TOOLS/random_ops.py" "$GP/random" "$REF/random" "$OPS"; then
	say "ok: $OPS random operations"
else
	fail "random operations: expected the guard point file to follow the plain one (seed above)"
fi
same random "after the run"
sync
check_stored random "$(stat -c %s "$REF/random")"
stop_real_agent
check "reference reader: key" "key test-key:1" "$(ref_read "$LOWER/random" "$WORK/random.dec")"
expect_ok "reference reader: same bytes" cmp "$REF/random" "$WORK/random.dec"
finish
