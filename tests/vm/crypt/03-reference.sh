#!/bin/bash
# Differential against the reference code (dist/crypto, the agent's own
# reader and writer): lower files the kernel wrote decrypt with the
# reference reader to the plaintext written, byte for byte; files made by
# `transform encrypt` read back through the guard point as the original
# plaintext; `transform decrypt` turns kernel-written files back into it.
# The raw lower files are kept in $TK_RESULTS/lower/ (no key is).
# vm-timeout: 700
source "$(dirname "$0")/lib/crypt.bash"

SIZES=(0 1 15 16 17 4095 4096 4097 $((3 * UNIT + 17)) $((256 * 1024 + 5)))

setup_crypt_env

# Plaintext files put in the guard point directory before it is mounted,
# then converted offline.
for s in "${SIZES[@]}"; do make_random "$REF/t-$s" "$s"; cp "$REF/t-$s" "$GP/t-$s"; done
out=$(tk transform encrypt "$GP" --key test-key --store "$KEYS" 2>&1) ||
	fail "transform encrypt: expected success, got: $out"
for s in "${SIZES[@]}"; do
	check "t-$s: transformed magic" "$MAGIC_HEX" "$(magic_of "$GP/t-$s")"
done

start_real_agent
for s in "${SIZES[@]}"; do same "t-$s" "(made by transform, read through the guard point)"; done

# Files written through the kernel: whole, rewritten in parts, truncated,
# sparse, appended.
for s in "${SIZES[@]}"; do make_random "$REF/k-$s" "$s"; cp "$REF/k-$s" "$GP/k-$s"; done
make_random "$WORK/chunk" 70000
make_random "$REF/k-edit" 50000
cp "$REF/k-edit" "$GP/k-edit"
both dd if="$WORK/chunk" of=@/k-edit bs=1000 count=7 seek=9 conv=notrunc status=none
both truncate -s 30001 @/k-edit
both truncate -s 45000 @/k-edit
both bash -c "head -c 6000 '$WORK/chunk' >>@/k-edit"
both dd if="$WORK/chunk" of=@/k-sparse bs=4096 count=2 seek=100 status=none
both truncate -s 1000000 @/k-sparse
names=(k-edit k-sparse)
for s in "${SIZES[@]}"; do names+=("k-$s"); done
for n in "${names[@]}"; do same "$n"; done
stop_real_agent

mkdir -p "$TK_RESULTS/lower"
for n in "${names[@]}"; do
	cp --sparse=always "$GP/$n" "$TK_RESULTS/lower/$n"
	check "$n: reference reader key" "key test-key:1" "$(ref_read "$GP/$n" "$WORK/$n.dec")"
	expect_ok "$n: reference reader gives the plaintext" cmp "$REF/$n" "$WORK/$n.dec"
done

# transform decrypt: kernel-written files back to plaintext.
out=$(tk transform decrypt "$GP" --store "$KEYS" 2>&1) ||
	fail "transform decrypt: expected success, got: $out"
for n in "${names[@]}"; do
	expect_ok "$n: transform decrypt gives the plaintext" cmp "$REF/$n" "$GP/$n"
done
finish
