#!/bin/bash
# The data path through the guard point's own page cache: large and
# unaligned writes and reads, truncate, sparse files, append, mmap,
# O_DIRECT, fallocate, copies; and the lower file holds the same bytes
# (identity transform) with the same size after unmount.
# vm-timeout: 240
source "$(dirname "$0")/lib/common.bash"

IO=(/usr/bin/python3 "$(dirname "$0")/lib/io_check.py")
REF=$WORK/ref
mkdir -p "$REF"

load_module
mount_disk
mount_gp
start_agent --rule permit --ttl 60000

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

stop_agent
umount "$GP"
for f in big rand trunc sparse punch; do
	expect_ok "lower $f equals what was written" cmp "$REF/$f" "$GP/$f"
done
check "lower truncated size" "0" "$(stat -c %s "$GP/trunc")"
check "lower sparse size" "10000003" "$(stat -c %s "$GP/sparse")"
finish
