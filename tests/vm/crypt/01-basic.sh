#!/bin/bash
# The encrypted data path with the real agent: files of many sizes, writes
# in the middle, appends (also from two processes at once), truncate down
# and up, holes, fallocate, concurrent writers; every file equals a plain
# copy on the same ext4, after dropping caches and after a remount, and
# its lower file is the header plus ciphertext of the plaintext's size.
# vm-timeout: 900
source "$(dirname "$0")/lib/crypt.bash"

IO=(/usr/bin/python3 "$TOOLS/crypt_io.py")
SIZES=(0 1 15 16 17 4095 4096 4097 $((3 * UNIT + 17)) $((1048576 + 5)))
MARKER="CLEAR-MARKER-$RANDOM-$RANDOM-takakrypt"

# put NAME OFFSET COUNT: write COUNT bytes of $WORK/chunk at OFFSET of
# NAME, in the guard point and in the plain copy.
put() {
	both dd if="$WORK/chunk" of="@/$1" bs=65536 count="$3" seek="$2" \
		iflag=count_bytes oflag=seek_bytes conv=notrunc status=none
}

setup_crypt_env
start_real_agent
check "guard point mounted" "takakryptfs" "$(findmnt -n -o FSTYPE "$GP")"

# A new empty file is its header alone.
: >"$GP/empty"
: >"$REF/empty"
sync
check_stored empty 0

for s in "${SIZES[@]}"; do
	make_random "$REF/size-$s" "$s"
	expect_ok "write $s bytes" cp "$REF/size-$s" "$GP/size-$s"
	same "size-$s"
done

# Plaintext that must not reach the lower file.
for i in $(seq 1 300); do echo "$MARKER line $i"; done >"$REF/marker"
cp "$REF/marker" "$GP/marker"
same marker

# Overwrite in the middle: inside a unit, across a unit boundary, a whole
# unit, at the last byte.
make_random "$REF/mid" $((5 * UNIT + 300))
cp "$REF/mid" "$GP/mid"
make_random "$WORK/chunk" 9000
for spec in 100:10 4090:20 8192:4096 9000:9000 $((5 * UNIT + 299)):1; do
	put mid "${spec%%:*}" "${spec#*:}"
	same mid "after writing ${spec#*:} bytes at ${spec%%:*}"
done

# Append, short and long, and with O_APPEND from two processes at once.
cp "$REF/size-17" "$REF/app"
cp "$REF/size-17" "$GP/app"
for n in 1 4000 5000 3; do
	head -c "$n" "$WORK/chunk" >"$WORK/piece"
	both bash -c "cat '$WORK/piece' >>@/app"
	same app "after appending $n bytes"
done
check "O_APPEND from two processes" "ok append2 1000 records" \
	"$("${IO[@]}" append2 "$GP/app2" 500 2>&1)"

# Truncate down and up, to mid-unit and unit boundaries.
cp "$REF/size-$((1048576 + 5))" "$REF/trunc"
cp "$REF/trunc" "$GP/trunc"
for s in 20000 16384 5000 4096 4095 17 15 1 0 10 4096 $((2 * UNIT + 100)) 40000 $((12 * UNIT)); do
	both truncate -s "$s" @/trunc
	same trunc "truncated to $s"
done

# Holes: a write far beyond the end leaves zeros between, and the lower
# file stays sparse.
put hole $((10 * 1048576 + 7)) 5
same hole
check "hole reads as zeros" "0" "$(head -c $((10 * 1048576)) "$GP/hole" | tr -d '\0' | wc -c)"
sync
check "lower file of the hole stays sparse" "yes" \
	"$([ "$(($(stat -c %b "$LOWER/hole") * 512))" -lt 1048576 ] && echo yes || echo no)"

# fallocate: default, keep size, punch hole (unaligned too), zero range.
both fallocate -l 100000 @/falloc
same falloc "after fallocate"
make_random "$REF/fa" $((6 * UNIT + 123))
cp "$REF/fa" "$GP/fa"
both fallocate -n -o $((6 * UNIT)) -l 65536 @/fa
same fa "after fallocate --keep-size"
both fallocate -p -o $((2 * UNIT)) -l $((2 * UNIT)) @/fa
same fa "after punching two whole units"
both fallocate -p -o 1000 -l 5000 @/fa
same fa "after punching an unaligned range"
both fallocate -z -o 300 -l 10000 @/fa
same fa "after zero range"
both fallocate -z -o $((6 * UNIT)) -l 200 @/fa
same fa "after zero range over the end"

# Writers to disjoint ranges of one file, at once.
check "concurrent writers" "ok disjoint 6 writers" "$("${IO[@]}" disjoint "$GP/disjoint" 6 2>&1)"

# Sizes through stat and ls are plaintext sizes.
names=(empty marker mid app trunc hole falloc fa)
for s in "${SIZES[@]}"; do names+=("size-$s"); done
for n in "${names[@]}"; do
	check "$n: ls size" "$(stat -c %s "$REF/$n")" "$(ls -l "$GP/$n" | awk '{print $5}')"
done

# The same bytes after dropping caches and after a remount.
drop_caches
for n in "${names[@]}"; do same "$n" "after drop_caches"; done
stop_real_agent
check "guard point unmounted by stop" "" "$(findmnt -n -o FSTYPE "$GP" || true)"
start_real_agent
for n in "${names[@]}"; do same "$n" "after remount"; done
# Those reads went to a fresh agent: the first file's header was opened
# by the agent, which let the addon open the others (same key) itself;
# their data units were decrypted by the addon on its own.
line=$(tk status --config "$CONFIG" | grep '^data path: ')
served=$(sed -nE 's/^data path: [0-9]+ files open, ([0-9]+) requests answered in the addon, [0-9]+ headers opened there$/\1/p' <<<"$line")
opened=$(sed -nE 's/^data path: .*, ([0-9]+) headers opened there$/\1/p' <<<"$line")
check "data requests answered in the addon after the remount" "yes" "$([ "${served:-0}" -gt 0 ] && echo yes || echo "no (status said '${line}')")"
check "headers opened in the addon after the remount" "yes" "$([ "${opened:-0}" -gt 1 ] && echo yes || echo "no (status said '${line}')")"

# New files take ready-made headers: the addon answers their NEW_HEADERs
# and tells the agent when a pool runs low (its debug line "header pool
# low"), so that the agent stocks it before it is empty. The first file
# finds the pool empty and reaches the agent (debug line "crypt header
# request"), which stocks it; then 480 files from one shell loop (under a
# second here, within the headers' 2 s in the pool). With the pool stocked
# only once empty, 15-16 of such 480 reached the agent (measured).
mkdir "$GP/pool"
agent_new_headers() { grep -F 'crypt header request' "$AGENT_LOG" | grep -c -F 'NEW_HEADER' || true; }
pool_low_lines() { grep -F 'header pool low' "$AGENT_LOG" | grep -F "\"$GP\"" | grep -c -F '"crypt-policy"' || true; }
echo first >"$GP/pool/first"
sleep 0.3
before=$(agent_new_headers)
low_before=$(pool_low_lines)
for i in $(seq 1 480); do echo "$i" >"$GP/pool/$i"; done
sleep 0.3
after=$(agent_new_headers)
check "NEW_HEADERs for 480 new files that reached the agent" "at most 4" \
	"$([ $((after - before)) -le 4 ] && echo "at most 4" || echo "$((after - before))")"
check "the addon reported the pool low to the agent" "yes" \
	"$([ $(($(pool_low_lines) - low_before)) -ge 1 ] && echo yes || echo "no 'header pool low' line for $GP")"
check "a file made from the pool reads back" "480" "$(cat "$GP/pool/480")"
rm -r "$GP/pool"

# The stored form: magic, header + plaintext size, no marker in clear.
sync
check "marker in the plain copy (sanity)" "300" "$(grep -c -a -F -- "$MARKER" "$REF/marker")"
for n in "${names[@]}"; do check_stored "$n" "$(stat -c %s "$REF/$n")" "$MARKER"; done
check "agent saw no errors" "0" "$(stat_value status errors)"
stop_real_agent
finish
