#!/bin/bash
# Direct lower I/O (module parameters direct_writes and direct_reads, both
# on by default). Writes: the whole lower blocks of writeback runs of 8
# units or more go to the lower ext4 with direct I/O (counted in
# lower_direct_runs, and leaving the lower page cache without them),
# shorter runs through its page cache. Reads: runs are read from the lower
# disk past its page cache (lower_direct_reads), which then keeps no copy
# of them. With a parameter off, none of its kind.
# Every file must read back as written and decrypt with the reference
# reader; a direct write over data the lower page cache already holds must
# not leave the old ciphertext there for the next read, and a direct read
# of a range whose new ciphertext is still dirty in the lower page cache
# must read the new data, not the disk's old.
# vm-timeout: 600
source "$(dirname "$0")/lib/crypt.bash"

PARAM=/sys/module/takakrypt/parameters/direct_writes
RPARAM=/sys/module/takakrypt/parameters/direct_reads

direct_runs() { sed -n 's/^lower_direct_runs: //p' /proc/takakrypt/status; }
direct_reads() { sed -n 's/^lower_direct_reads: //p' /proc/takakrypt/status; }
# lower_cached NAME: pages of NAME's lower file in the page cache.
lower_cached() { fincore --noheadings --raw --output PAGES "$LOWER/$1"; }

# evict FILE: drops FILE's own (clean) page cache, and only that.
evict() {
	/usr/bin/python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"
}

setup_crypt_env
start_real_agent

check "direct_writes is on by default" "Y" "$(cat "$PARAM")"
check "direct_reads is on by default" "Y" "$(cat "$RPARAM")"

# 1 MiB + 5 bytes: 256 whole units and one of 5 bytes, in runs of 30
# (the last one 17 units). Every run goes direct but for the block that
# holds the last 5 bytes; of the lower file at most the header's page and
# that block's are left in the page cache (258 pages if it had all gone
# there).
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
cached=$(lower_cached big)
if [ "${cached:-999}" -le 40 ]; then
	say "ok: a 1 MiB file: $cached lower pages cached after writeback"
else
	fail "a 1 MiB file: expected at most 40 lower pages cached after writeback (258 if buffered), got '$cached'"
fi
drop_caches
before=$(direct_reads)
same big "after drop_caches"
after=$(direct_reads)
if [ "$after" -ge $((before + 8)) ]; then
	say "ok: a 1 MiB file was read in direct reads ($before -> $after)"
else
	fail "a 1 MiB file: expected at least 8 more lower_direct_reads, got $before -> $after"
fi
cached=$(lower_cached big)
if [ "${cached:-999}" -le 64 ]; then
	say "ok: a 1 MiB file: $cached lower pages cached after the direct read"
else
	fail "a 1 MiB file: expected at most 64 lower pages cached after a direct read (258 if buffered), got '$cached'"
fi
check_stored big $((1048576 + 5))

# direct_reads=0: the same read goes through the lower page cache.
echo 0 >"$RPARAM"
drop_caches
before=$(direct_reads)
same big "direct_reads=0, after drop_caches"
check "direct_reads=0: no direct read" "$before" "$(direct_reads)"
cached=$(lower_cached big)
if [ "${cached:-0}" -ge 200 ]; then
	say "ok: direct_reads=0: $cached lower pages cached after the read"
else
	fail "direct_reads=0: expected the lower file in the page cache after the read, got '$cached' pages"
fi
echo 1 >"$RPARAM"

# A last unit of 1,500 bytes: on a lower filesystem of 1 KiB blocks its
# first block goes direct and the rest of it through the page cache, in
# the same lower page.
make_random "$REF/tail1500" $((1048576 + 1500))
cp "$REF/tail1500" "$GP/tail1500"
sync
drop_caches
same tail1500 "after drop_caches"
check_stored tail1500 $((1048576 + 1500))

# Small files stay below the direct-write threshold; 8 whole units is
# the first run that goes direct.
before=$(direct_runs)
for s in 1 4096 $((7 * UNIT)) $((7 * UNIT + 100)) $((8 * UNIT - 1)); do
	make_random "$REF/small-$s" "$s"
	cp "$REF/small-$s" "$GP/small-$s"
done
sync
check "files of up to 8 units less a byte: no direct run" "$before" "$(direct_runs)"
make_random "$REF/eight" $((8 * UNIT))
cp "$REF/eight" "$GP/eight"
sync
check "a file of 8 units: one direct run" "$((before + 1))" "$(direct_runs)"
drop_caches
for s in 1 4096 $((7 * UNIT)) $((7 * UNIT + 100)) $((8 * UNIT - 1)); do
	same "small-$s" "after drop_caches"
done
same eight "after drop_caches"

# direct_writes=0: the same file goes through the lower page cache.
echo 0 >"$PARAM"
before=$(direct_runs)
cp "$REF/big" "$GP/big-buffered"
sync
check "direct_writes=0: no direct run" "$before" "$(direct_runs)"
cached=$(lower_cached big-buffered)
if [ "${cached:-0}" -ge 200 ]; then
	say "ok: direct_writes=0: $cached lower pages cached after writeback"
else
	fail "direct_writes=0: expected the lower file in the page cache, got '$cached' pages"
fi
echo 1 >"$PARAM"
drop_caches
expect_ok "direct_writes=0: big-buffered reads back" cmp "$REF/big" "$GP/big-buffered"

# A direct overwrite of data the lower page cache holds: with
# direct_reads=0, read the file (its ciphertext now in the lower page
# cache), overwrite it in place, then drop the guard point's pages only,
# so that the next read decrypts whatever the lower page cache has. It
# must be the new data.
make_random "$REF/over" $((2 * 1048576))
cp "$REF/over" "$GP/over"
sync
drop_caches
echo 0 >"$RPARAM"
expect_ok "over: first read" cmp "$REF/over" "$GP/over"
lower_cached=$(lower_cached over)
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
cached=$(lower_cached over)
if [ "${cached:-999}" -le 40 ]; then
	say "ok: over: the overwrite left $cached lower pages cached"
else
	fail "over: expected the direct overwrite to leave at most 40 of its 513 lower pages cached, got '$cached'"
fi
evict "$GP/over"
expect_ok "over: read after the overwrite, guard point pages dropped" cmp "$REF/over" "$GP/over"
echo 1 >"$RPARAM"

# A read of new ciphertext still dirty in the lower page cache: with
# direct_writes=0 and the periodic flusher off, write new data over a
# file already on the disk, write back the guard point's pages only
# (sync_file_range: the lower pages are left dirty), drop them, and read.
# A direct read would have to wait for those pages' writeback, so the read
# takes them from the lower page cache instead; either way it must give
# the new data, not decrypt the disk's old ciphertext.
make_random "$REF/dirty" $((1048576))
cp "$REF/dirty" "$GP/dirty"
sync
echo 0 >"$PARAM"
old_wb=$(cat /proc/sys/vm/dirty_writeback_centisecs)
echo 0 >/proc/sys/vm/dirty_writeback_centisecs
make_random "$WORK/new-dirty" $((1048576))
cp "$WORK/new-dirty" "$REF/dirty"
sync
dirty_before=$(awk '/^Dirty:/ { print $2 }' /proc/meminfo)
/usr/bin/python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
src = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY)
os.pwrite(fd, src, 0)
# SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER
if libc.sync_file_range(fd, ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_uint(7)) != 0:
    sys.exit("sync_file_range: " + os.strerror(ctypes.get_errno()))
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)' "$WORK/new-dirty" "$GP/dirty" || fail "dirty: rewriting the file failed"
dirty_after=$(awk '/^Dirty:/ { print $2 }' /proc/meminfo)
# Dirty: is a global count, updated in per-CPU batches: half of it.
if [ $((dirty_after - dirty_before)) -ge 512 ]; then
	say "ok: dirty: $dirty_before -> $dirty_after kB dirty: the new ciphertext"
else
	fail "dirty: expected about 1 MiB more dirty (the lower pages), got Dirty: $dirty_before -> $dirty_after kB"
fi
check "dirty: the guard point's pages were dropped" "0" "$(fincore --noheadings --raw --output PAGES "$GP/dirty")"
before=$(direct_reads)
expect_ok "dirty: the read gives the new data" cmp "$REF/dirty" "$GP/dirty"
check "dirty: the dirty range read through the lower page cache, not direct" "$before" "$(direct_reads)"
echo "$old_wb" >/proc/sys/vm/dirty_writeback_centisecs
echo 1 >"$PARAM"

# A lower file ext4 cannot read directly (data journalling: chattr +j,
# which ext4 honours without delayed allocation) is read through its page
# cache under the same no-wait flag, and stops short at the first page it
# would wait for: after drop_caches the header's read leaves the first
# units cached and the rest not. The rest must still be read, not taken
# for the end of the file.
make_random "$REF/journal" $((1048576))
cp "$REF/journal" "$GP/journal"
sync
if ! mount -o remount,nodelalloc "$LOWER_MNT"; then
	fail "journal: remount with nodelalloc failed"
elif ! chattr +j "$LOWER/journal"; then
	fail "journal: chattr +j on the lower file failed"
	mount -o remount,delalloc "$LOWER_MNT" || fail "journal: remount with delalloc failed"
else
	check "journal: the lower file has data journalling" "j" \
		"$(lsattr "$LOWER/journal" | cut -c1-22 | tr -cd j)"
	for round in 1 2 3; do
		drop_caches
		same journal "with data journalling on the lower file, round $round"
	done
	check_stored journal 1048576
	chattr -j "$LOWER/journal" || fail "journal: chattr -j on the lower file failed"
	mount -o remount,delalloc "$LOWER_MNT" || fail "journal: remount with delalloc failed"
fi

stop_real_agent
for name in big tail1500 eight big-buffered over dirty journal; do
	check "reference reader: $name: key" "key test-key:1" "$(ref_read "$LOWER/$name" "$WORK/$name.dec")"
	expect_ok "reference reader: $name: same bytes" cmp "$REF/${name%-buffered}" "$WORK/$name.dec"
done
finish
