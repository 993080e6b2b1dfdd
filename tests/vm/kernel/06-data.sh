#!/bin/bash
# The data path through the guard point's own page cache with applykey:
# large and unaligned writes and reads, truncate, sparse files, append,
# mmap, O_DIRECT, fallocate, copies. The fake agent's toy transform stands
# in for encryption, so after unmount each lower file must be the 4096-byte
# header followed by exactly the toy transform of what was written.
# vm-timeout: 240
source "$(dirname "$0")/lib/common.bash"

IO=(/usr/bin/python3 "$(dirname "$0")/lib/io_check.py")
REF=$WORK/ref
mkdir -p "$REF"

load_module
mount_disk
mount_gp
start_agent --rule permit,applykey --crypt --ttl 60000

dd if=/dev/urandom of="$REF/big" bs=1M count=8 status=none
expect_ok "copy 8 MiB in" cp "$REF/big" "$GP/big"
expect_ok "read back equal" cmp "$REF/big" "$GP/big"
expect_ok "random unaligned I/O" "${IO[@]}" random "$GP/rand" "$REF/rand" 1 400

printf 'abc' >"$GP/app"
printf 'def' >>"$GP/app"
check "append" "abcdef" "$(cat "$GP/app")"

dd if=/dev/urandom of="$REF/trunc" bs=10000 count=3 status=none
cp "$REF/trunc" "$GP/trunc"
truncate -s 12345 "$GP/trunc" "$REF/trunc"
expect_ok "truncate down" cmp "$REF/trunc" "$GP/trunc"
truncate -s 50000 "$GP/trunc" "$REF/trunc"
expect_ok "truncate up reads zeros" cmp "$REF/trunc" "$GP/trunc"
truncate -s 0 "$GP/trunc" "$REF/trunc"
check "truncate to zero" "0" "$(stat -c %s "$GP/trunc")"

printf 'end' | dd of="$GP/sparse" bs=1 seek=10000000 status=none
printf 'end' | dd of="$REF/sparse" bs=1 seek=10000000 status=none
check "sparse size" "10000003" "$(stat -c %s "$GP/sparse")"
expect_ok "sparse contents" cmp "$REF/sparse" "$GP/sparse"

expect_ok "holes seen through SEEK_DATA and SEEK_HOLE" python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"x" * 100, 0)
os.pwrite(fd, b"y" * 100, 1 << 20)
os.fsync(fd)
got = (os.lseek(fd, 0, os.SEEK_HOLE), os.lseek(fd, 4096, os.SEEK_DATA),
       os.lseek(fd, (1 << 20) + 1, os.SEEK_HOLE))
want = (4096, 1 << 20, (1 << 20) + 100)
assert got == want, "expected %r, got %r" % (want, got)
try:
    os.lseek(fd, (1 << 20) + 100, os.SEEK_DATA)
    sys.exit("SEEK_DATA at the end: expected ENXIO")
except OSError as e:
    assert e.errno == 6, e
' "$GP/holes"
expect_ok "mmap shared, private and read-only" "${IO[@]}" mmap "$GP/mapped"
expect_ok "O_DIRECT accepted" "${IO[@]}" odirect "$GP/direct"

fallocate -l 1M "$GP/falloc"
check "fallocate size" "1048576" "$(stat -c %s "$GP/falloc")"
dd if=/dev/urandom of="$REF/punch" bs=64K count=2 status=none
cp "$REF/punch" "$GP/punch"
fallocate -p -o 4096 -l 8192 "$GP/punch"
fallocate -p -o 4096 -l 8192 "$REF/punch"
expect_ok "punch hole" cmp "$REF/punch" "$GP/punch"
expect_fail "collapse range refused" "Operation not supported" \
	fallocate -c -o 0 -l 65536 "$GP/punch"

expect_ok "copy inside the guard point" cp "$GP/big" "$GP/big.copy"
expect_ok "copy equal" cmp "$REF/big" "$GP/big.copy"
expect_ok "reflink refused, copied by read and write" \
	cp --reflink=auto "$GP/big" "$GP/big.auto"
expect_fail "reflink=always refused" "Operation not supported|clone" \
	cp --reflink=always "$GP/big" "$GP/big.clone"

sync
echo 3 >/proc/sys/vm/drop_caches
expect_ok "read equal after dropping caches" cmp "$REF/big" "$GP/big"
expect_ok "random file equal after dropping caches" cmp "$REF/rand" "$GP/rand"

# Opened for reading only, a file costs no header request: its header goes
# with the first read's request, which names the file (should the agent
# refuse the header, its audit says which file). Opened for writing, the
# header is verified at open, unless a read had it accepted already.
# crypt_ops OP: how many requests of OP the agent logged since the reset.
crypt_ops() { grep -c "\"crypt\": \"$1\"" "$AGENT_LOG" || true; }
# first_decrypt_path: the path the first DECRYPT named.
first_decrypt_path() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    q = json.loads(line)
    if q.get("crypt") == "decrypt":
        print(q["path"] or "(none)")
        break' "$AGENT_LOG"
}
echo 3 >/proc/sys/vm/drop_caches
: >"$AGENT_LOG"
expect_ok "read-only open and read" cmp "$REF/rand" "$GP/rand"
check "read-only: no header request" "0" "$(crypt_ops open_header)"
check "read-only: the first read named the file" "/rand" "$(first_decrypt_path)"
echo 1 >/proc/sys/vm/drop_caches	# the page cache; the inode stays
: >"$AGENT_LOG"
expect_ok "read-only again" cmp "$REF/rand" "$GP/rand"
check "read-only again: the header accepted, reads name none" "0 (none)" \
	"$(crypt_ops open_header) $(first_decrypt_path)"
open_rw() { /usr/bin/python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR))' "$1"; }
expect_ok "open for writing after reads" open_rw "$GP/rand"
check "open for writing after reads: accepted already" "0" "$(crypt_ops open_header)"
echo 3 >/proc/sys/vm/drop_caches
: >"$AGENT_LOG"
expect_ok "open for writing first" open_rw "$GP/rand"
expect_ok "open for writing again" open_rw "$GP/rand"
expect_ok "then read" cmp "$REF/rand" "$GP/rand"
check "written-first: verified at open, once; reads name none" "1 (none)" \
	"$(crypt_ops open_header) $(first_decrypt_path)"

# syncfs(2) of the guard point (sync -f) also syncs the lower filesystem:
# the ciphertext writeback put in its page cache is on the disk after it,
# and nothing is left dirty (tmpfs pages do not count as dirty).
dd if=/dev/urandom of="$GP/durable" bs=1M count=8 status=none
expect_ok "syncfs of the guard point" sync -f "$GP/durable"
dirty_kb=$(awk '/^Dirty:/ {print $2}' /proc/meminfo)
check "syncfs leaves under 2 MiB dirty (found $dirty_kb kB)" "yes" \
	"$([ "$dirty_kb" -lt 2048 ] && echo yes || echo no)"

# Spare headers: a NEW_HEADER reply may bring some for the next new files,
# which then cost no request; each file still gets a header of its own.
# They last 1 s and go at SET_GENERATION; a reply with more than 15 is
# refused.
stop_agent
start_agent --rule permit,applykey --crypt --ttl 60000 --spares 3
used0=$(stat_value status crypt_spare_headers_used)
: >"$AGENT_LOG"
# Shell builtins only: the spares last 1 s.
for i in 1 2 3 4 5 6 7; do printf 'spare %s' "$i" >"$REF/spare$i"; done
for i in 1 2 3 4 5; do printf 'spare %s' "$i" >"$GP/spare$i"; done
check "5 new files, 3 spares per reply: 2 requests" "2" "$(crypt_ops new_header)"
check "3 spare headers used" "3" \
	"$(( $(stat_value status crypt_spare_headers_used) - used0 ))"
check "3 spare headers kept" "3" "$(stat_value guard_points spare_headers)"
kill -USR1 "$AGENT_PID"
for i in $(seq 1 50); do
	[ "$(stat_value guard_points spare_headers)" = 0 ] && break
	sleep 0.1
done
check "SET_GENERATION drops them" "0" "$(stat_value guard_points spare_headers)"
printf 'spare 6' >"$GP/spare6"
check "the next new file asks again" "3" "$(crypt_ops new_header)"
sleep 1.2
printf 'spare 7' >"$GP/spare7"
check "a spare kept over 1 s is not used" "4" "$(crypt_ops new_header)"
check "spare files read back" "spare 1|spare 4|spare 5|spare 7" \
	"$(for i in 1 4 5 7; do cat "$GP/spare$i"; [ "$i" = 7 ] || printf '|'; done)"
stop_agent
start_agent --rule permit,applykey --crypt --ttl 60000 --spares 15
printf 'spare 8' >"$GP/spare8"
check "a reply with 15 spares: all kept" "15" "$(stat_value guard_points spare_headers)"
stop_agent
start_agent --rule permit,applykey --crypt --ttl 60000 --spares 16
errors0=$(stat_value status errors)
expect_fail "a NEW_HEADER reply with 16 spares is refused" "Input/output error" \
	sh -c "printf x >'$GP/spare-many'"
check "the refused reply counted as an error" "1" \
	"$(( $(stat_value status errors) - errors0 ))"
check "none of its headers kept" "0" "$(stat_value guard_points spare_headers)"
expect_ok "the spare files stored" sync -f "$GP/spare1"

stop_agent
umount "$GP"
# lower_is FILE REF: FILE is the header with the magic, then the toy
# transform of REF unit by unit.
lower_is() {
	/usr/bin/python3 - "$1" "$2" "$(dirname "$AGENT")" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
from fake_agent import MAGIC, toy_unit
lower = open(sys.argv[1], 'rb').read()
ref = open(sys.argv[2], 'rb').read()
if lower[:8] != MAGIC:
    sys.exit('no header magic: %r' % lower[:8])
data = lower[4096:]
if len(data) != len(ref):
    sys.exit('expected %d data bytes, got %d' % (len(ref), len(data)))
for i in range(0, len(ref), 4096):
    if toy_unit(i // 4096, data[i:i + 4096]) != ref[i:i + 4096]:
        sys.exit('unit %d differs' % (i // 4096))
if ref and data == ref:
    sys.exit('stored in clear')
PY
}
for f in big rand trunc sparse punch spare1 spare2 spare3 spare4 spare5 spare6 spare7; do
	expect_ok "lower $f is the header and the stored form" lower_is "$GP/$f" "$REF/$f"
done
check "lower truncated size (header only)" "4096" "$(stat -c %s "$GP/trunc")"
check "every new file has a header of its own" "7" \
	"$(for i in 1 2 3 4 5 6 7; do head -c 4096 "$GP/spare$i" | md5sum; done | sort -u | wc -l)"
check "lower sparse size" "10004099" "$(stat -c %s "$GP/sparse")"
finish
