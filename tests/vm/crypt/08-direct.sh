#!/bin/bash
# Writeback's direct lower writes: runs of 8 units or more go to the
# lower ext4 with direct I/O (counted in lower_direct_runs), shorter runs
# and a short last unit through its page cache. Every file must read back
# as written, decrypt with the reference reader, and a direct write over
# data the lower page cache already holds must not leave the old
# ciphertext there for the next read.
# vm-timeout: 600
source "$(dirname "$0")/lib/crypt.bash"

direct_runs() { sed -n 's/^lower_direct_runs: //p' /proc/takakrypt/status; }

# evict FILE: drops FILE's own (clean) page cache, and only that.
evict() {
	/usr/bin/python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"
}

setup_crypt_env
start_real_agent

# 1 MiB + 5 bytes: 256 whole units in runs of up to 30, then a unit of 5
# bytes. The whole units go direct, the short one through the page cache.
before=$(direct_runs)
make_random "$REF/big" $((1048576 + 5))
cp "$REF/big" "$GP/big"
sync
after=$(direct_runs)
if [ "$after" -ge $((before + 8)) ]; then
	say "ok: a 1 MiB file was written in direct runs ($before -> $after)"
else
	fail "a 1 MiB file: expected at least 8 more lower_direct_runs, got $before -> $after"
fi
drop_caches
same big "after drop_caches"
check_stored big $((1048576 + 5))

# Small files stay below the direct-write threshold.
before=$(direct_runs)
for s in 1 4096 $((7 * UNIT)) $((7 * UNIT + 100)); do
	make_random "$REF/small-$s" "$s"
	cp "$REF/small-$s" "$GP/small-$s"
done
sync
check "files of up to 7 units: no direct run" "$before" "$(direct_runs)"
drop_caches
for s in 1 4096 $((7 * UNIT)) $((7 * UNIT + 100)); do
	same "small-$s" "after drop_caches"
done

# A direct overwrite of data the lower page cache holds: read the file
# (its ciphertext now in the lower page cache), overwrite it in place,
# then drop the guard point's pages only, so that the next read decrypts
# whatever the lower page cache has. It must be the new data.
make_random "$REF/over" $((2 * 1048576))
cp "$REF/over" "$GP/over"
sync
drop_caches
expect_ok "over: first read" cmp "$REF/over" "$GP/over"
lower_cached=$(fincore --noheadings --raw --output PAGES "$LOWER/over")
if [ "${lower_cached:-0}" -gt 0 ]; then
	say "ok: over: the lower page cache holds $lower_cached pages before the overwrite"
else
	fail "over: expected lower pages cached after the read, got '$lower_cached'"
fi
before=$(direct_runs)
make_random "$WORK/new" $((2 * 1048576))
for dir in "$GP" "$REF"; do
	dd if="$WORK/new" of="$dir/over" bs=1M conv=notrunc,fsync status=none ||
		fail "overwrite $dir/over: dd failed"
done
if [ "$(direct_runs)" -gt "$before" ]; then
	say "ok: over: the overwrite went direct"
else
	fail "over: expected the overwrite in direct runs, lower_direct_runs stayed $before"
fi
evict "$GP/over"
expect_ok "over: read after the overwrite, guard point pages dropped" cmp "$REF/over" "$GP/over"

stop_real_agent
for name in big over; do
	check "reference reader: $name: key" "key test-key:1" "$(ref_read "$LOWER/$name" "$WORK/$name.dec")"
	expect_ok "reference reader: $name: same bytes" cmp "$REF/$name" "$WORK/$name.dec"
done
finish
