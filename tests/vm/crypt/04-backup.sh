#!/bin/bash
# Backup and restore: tar is in a process set with permit and no applykey,
# so it reads and writes the raw lower bytes. Its archive of the guard
# point holds headers and ciphertext (sizes are the lower sizes, the
# format's magic once per file, no marker in clear); the files are
# deleted, tar restores them, and applykey processes read the originals.
# vm-timeout: 700
source "$(dirname "$0")/lib/crypt.bash"

MARKER="BACKUP-MARKER-$RANDOM-$RANDOM-takakrypt"
ARCHIVE=$WORK/backup.tar
TAR=/usr/bin/tar

check "tar is the executable the process set names" "/usr/bin/tar" "$(readlink -f "$TAR")"
setup_crypt_env
start_real_agent

SIZES=(0 1 17 4096 5000 $((200 * 1024 + 3)))
names=()
for s in "${SIZES[@]}"; do
	make_random "$REF/f-$s" "$s"
	cp "$REF/f-$s" "$GP/f-$s"
	names+=("f-$s")
done
mkdir -p "$GP/sub" "$REF/sub"
for i in $(seq 1 200); do echo "$MARKER $i"; done >"$REF/sub/marker.txt"
cp "$REF/sub/marker.txt" "$GP/sub/marker.txt"
names+=(sub/marker.txt)
for n in "${names[@]}"; do same "$n"; done
sync
for n in "${names[@]}"; do sha256sum "$LOWER/$n"; done | sed "s#$LOWER/##" >"$WORK/lower.sums"

# tar sees lower sizes in stat and archives the stored bytes.
expect_ok "tar archives the guard point" "$TAR" -C "$GP" -cf "$ARCHIVE" .
"$TAR" -tvf "$ARCHIVE" >"$WORK/listing"
for n in "${names[@]}"; do
	check "$n: size in the archive is the lower size" \
		"$(($(stat -c %s "$REF/$n") + UNIT))" \
		"$(awk -v n="./$n" '$6 == n {print $3}' "$WORK/listing")"
done
check "archive: magic once per file" "${#names[@]}" \
	"$(/usr/bin/python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\x89TKRYPT\n"))' "$ARCHIVE")"
check "archive: no marker in clear" "0" "$(grep -c -a -F -- "$MARKER" "$ARCHIVE")"

# Delete through the guard point, restore with tar.
for n in "${names[@]}"; do rm "$GP/$n"; done
check "files deleted" "sub" "$(ls "$GP")"
expect_ok "tar restores" "$TAR" -C "$GP" -xpf "$ARCHIVE"
sync
expect_ok "restored lower files are the stored bytes" \
	bash -c "cd '$LOWER' && sha256sum --quiet -c '$WORK/lower.sums'"
for n in "${names[@]}"; do same "$n" "after restore"; done
drop_caches
for n in "${names[@]}"; do same "$n" "after restore and drop_caches"; done

# A second archive of the restored tree is the same stored bytes.
mkdir -p "$WORK/x"
expect_ok "archive again and extract outside" bash -c \
	"'$TAR' -C '$GP' -cf - . | '$TAR' -C '$WORK/x' -xf -"
expect_ok "second backup holds the same stored bytes" \
	bash -c "cd '$WORK/x' && sha256sum --quiet -c '$WORK/lower.sums'"
stop_real_agent
finish
