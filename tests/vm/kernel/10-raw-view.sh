#!/bin/bash
# The two views of one file: a process permitted with applykey reads and
# writes plaintext; a process permitted without it (backup software) reads
# and writes the stored bytes, header and all, and sees the lower size. A
# restore of those bytes gives back the plaintext; the plaintext cache
# never serves stale data after one.
# vm-timeout: 180
source "$(dirname "$0")/lib/common.bash"

USER1=(timeout -k 2 60 setpriv --reuid=1000 --regid=1000 --clear-groups)
REF=$WORK/ref
mkdir -p "$REF"

load_module
mount_disk
chmod 0777 "$GP"
mount_gp
start_agent --crypt --ttl 60000 --rule 'permit,applykey;uid=1000' \
	--rule 'permit;uid=0'

dd if=/dev/urandom of="$REF/doc" bs=1000 count=37 status=none
expect_ok "user writes plaintext" "${USER1[@]}" cp "$REF/doc" "$GP/doc"
check "user sees the plaintext size" "37000" \
	"$("${USER1[@]}" stat -c %s "$GP/doc")"
check "backup sees the stored size" "41096" "$(stat -c %s "$GP/doc")"
check "backup reads the header" " 89 54 4b 52 59 50 54 0a" \
	"$(head -c 8 "$GP/doc" | od -An -tx1)"
expect_ok "backup copies the stored bytes" cp "$GP/doc" "$REF/doc.stored"
check "stored copy has the stored size" "41096" \
	"$(stat -c %s "$REF/doc.stored")"
expect_fail "stored bytes are not the plaintext" "differ" \
	cmp "$REF/doc" "$REF/doc.stored"
expect_ok "user still reads the plaintext" "${USER1[@]}" cmp "$REF/doc" "$GP/doc"

# Restore: delete, write the stored bytes back as backup, read as user.
rm "$GP/doc"
expect_ok "backup restores the stored bytes" cp "$REF/doc.stored" "$GP/doc"
chown 1000:1000 "$GP/doc"
expect_ok "user reads the restored plaintext" "${USER1[@]}" cmp "$REF/doc" "$GP/doc"

# Overwrite in place while the user's plaintext is cached: the cache goes.
dd if=/dev/urandom of="$REF/two" bs=5000 count=3 status=none
expect_ok "user writes a second file" "${USER1[@]}" cp "$REF/two" "$GP/two"
expect_ok "backup copies it" cp "$GP/two" "$REF/two.stored"
expect_ok "user reads the first file (cached)" "${USER1[@]}" cmp "$REF/doc" "$GP/doc"
expect_ok "backup overwrites the first with the second's bytes" \
	dd if="$REF/two.stored" of="$GP/doc" conv=notrunc status=none
truncate -s "$(stat -c %s "$REF/two.stored")" "$GP/doc"
expect_ok "user reads the new contents, not the cached ones" \
	"${USER1[@]}" cmp "$REF/two" "$GP/doc"

# Dirty plaintext is written before the backup looks.
"${USER1[@]}" python3 -c '
import sys
f = open(sys.argv[1], "r+b"); f.seek(100); f.write(b"fresh"); f.flush()
import time; time.sleep(0.1)
' "$GP/two"
printf 'fresh' | dd of="$REF/two" bs=1 seek=100 conv=notrunc status=none
expect_ok "backup copy after a plaintext write" cp "$GP/two" "$REF/two.stored2"
rm "$GP/two"
cp "$REF/two.stored2" "$GP/two"
chown 1000:1000 "$GP/two"
expect_ok "restored copy holds the plaintext write" "${USER1[@]}" cmp "$REF/two" "$GP/two"

# Mappings of the stored bytes: read-only works, shared writable is refused.
expect_ok "backup maps the stored bytes read-only" python3 -c '
import mmap, sys
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
assert m[:8] == b"\x89TKRYPT\n", m[:8]
' "$GP/two"
expect_fail "shared writable mapping of stored bytes refused" "Permission denied" \
	python3 -c '
import mmap, sys
f = open(sys.argv[1], "r+b")
mmap.mmap(f.fileno(), 0)
' "$GP/two"

# Truncating as backup cuts stored bytes; as user, plaintext.
expect_ok "user truncates plaintext" "${USER1[@]}" truncate -s 10 "$GP/two"
check "user sees 10 bytes" "10" "$("${USER1[@]}" stat -c %s "$GP/two")"
check "backup sees header + 10" "4106" "$(stat -c %s "$GP/two")"
head -c 10 "$REF/two" >"$REF/two10"
expect_ok "user reads the 10 bytes" "${USER1[@]}" cmp "$REF/two10" "$GP/two"

# A file without a header is refused to the plaintext view.
printf 'plain text' >"$GP/plain"
chown 1000:1000 "$GP/plain"
expect_fail "user cannot read a file without a header" "Input/output error" \
	"${USER1[@]}" cat "$GP/plain"
finish
