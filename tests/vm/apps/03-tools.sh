#!/bin/bash
# Everyday tools as permitted (applykey) processes in two guard points
# with different keys: cp of a sparse file over 2 GiB, cp --reflink, mv
# within a guard point and across the two (re-encrypted with the target's
# key), tar create and extract, rsync -a, find, du, sha256sum, sqlite3 in
# WAL mode, git, hard links, 255-byte names, names with spaces and
# non-ASCII characters. Every result is compared with a plain copy on the
# same ext4, and the lower files hold no marker in clear.
# vm-timeout: 600
source "$(dirname "$0")/lib/apps.bash"

GP2=$DISK_MNT/gp2
LOWER2=$LOWER_MNT/gp2
MARKER="TOOLS-MARKER-$RANDOM-$RANDOM-takakrypt"
SPARSE_SIZE=$((2100 * 1048576))
SPARSE_SAME=$REPO/tests/vm/apps/lib/sparse-same.py

write_tools_config() {
	{ config_head; cat; } >"$CONFIG" <<YAML
policies:
  - name: policy-a
    security_rules:
      - action: all_ops
        effect: permit,applykey
    key_rules:
      - key: key-a
  - name: policy-b
    security_rules:
      - action: all_ops
        effect: permit,applykey
    key_rules:
      - key: key-b
guard_points:
  - path: $GP
    policy: policy-a
  - path: $GP2
    policy: policy-b
YAML
}

# timed NAME CMD...: expect_ok, and print how long the command took.
timed() {
	local t0
	t0=$(date +%s%N)
	expect_ok "$@"
	say "figure: $1: $((($(date +%s%N) - t0) / 1000000)) ms"
}

# key_of LOWER_FILE PLAIN: the key its header names, after checking that
# the reference reader decrypts it to the plain copy.
key_of() {
	local out
	out=$(ref_read "$1" "$WORK/ref.out") || { echo "$out"; return; }
	cmp -s "$WORK/ref.out" "$2" || { echo "decrypts to other bytes"; return; }
	echo "${out#key }"
}

for p in coreutils tar rsync findutils sqlite3 git; do record_version "$p"; done
setup_crypt_env
tk keys create key-a --store "$KEYS" >/dev/null
tk keys create key-b --store "$KEYS" >/dev/null
mkdir -p "$GP2"
write_tools_config
start_real_agent
check "second guard point mounted" "takakryptfs" "$(findmnt -n -o FSTYPE "$GP2")"

# A small tree of plain reference files.
mkdir -p "$REF/tree/sub dir" "$REF/tree/ünïcødé ✓"
for i in $(seq 1 40); do echo "$MARKER file $i"; done >"$REF/tree/notes.txt"
make_random "$REF/tree/random.bin" $((300 * 1024 + 7))
: >"$REF/tree/empty"
echo "$MARKER spaces" >"$REF/tree/sub dir/name with  spaces.txt"
echo "$MARKER utf8" >"$REF/tree/ünïcødé ✓/日本語のファイル名 – naïve.txt"
long=$(printf 'L%.0s' $(seq 1 251)).txt
echo "$MARKER long ascii" >"$REF/tree/$long"
# 255 bytes of UTF-8: 85 three-byte characters.
longu=$(printf '語%.0s' $(seq 1 85))
echo "$MARKER long utf8" >"$REF/tree/$longu"
check "long names are 255 bytes" "255 255" "$(printf '%s' "$long" | wc -c) $(printf '%s' "$longu" | wc -c)"

# cp -a of the tree, sha256sum, find, du.
timed "cp -a a tree in" cp -a "$REF/tree" "$GP/tree"
expect_ok "tree equals the plain copy" diff -r "$REF/tree" "$GP/tree"
check "sha256sum" "$(cd "$REF/tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum)" \
	"$(cd "$GP/tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum)"
check "find lists the same names" "$(cd "$REF/tree" && find . | sort)" "$(cd "$GP/tree" && find . | sort)"
check "du --apparent-size shows plaintext sizes" "$(du -sb --apparent-size "$REF/tree" | cut -f1)" \
	"$(du -sb --apparent-size "$GP/tree" | cut -f1)"
say "du -sk: plain $(du -sk "$REF/tree" | cut -f1) KiB, guard point $(du -sk "$GP/tree" | cut -f1) KiB"
expect_ok "a 255-byte name can be renamed" mv "$GP/tree/$long" "$GP/tree/${long%.txt}.txT"
check "255-byte name reads back" "$MARKER long ascii" "$(cat "$GP/tree/${long%.txt}.txT")"
expect_fail "a 256-byte name is refused" "File name too long" touch "$GP/tree/x$long"

# A sparse file over 2 GiB, copied in from a plain file and then within
# the guard point; the copies stay sparse below. cp finds the holes with
# SEEK_DATA/SEEK_HOLE: without them it would read every zero (2 GiB take
# minutes under TCG).
expect_ok "make a sparse file" truncate -s "$SPARSE_SIZE" "$REF/sparse"
for off in 0 1024 2099; do
	dd if="$REF/tree/random.bin" of="$REF/sparse" bs=1M seek="$off" conv=notrunc status=none
done
timed "cp a sparse 2.1 GiB file in" cp "$REF/sparse" "$GP/sparse"
sync
check "sparse copy: size" "$SPARSE_SIZE" "$(stat -c %s "$GP/sparse")"
# Compared where either file holds data; holes read as zeros.
out=$(/usr/bin/python3 "$SPARSE_SAME" "$REF/sparse" "$GP/sparse" "$REF/sparse" "$LOWER/sparse" 2>&1)
say "sparse compare: $out"
check "sparse copy equals the original" "same" "${out%% *}"
blocks=$(($(stat -c %b "$LOWER/sparse") * 512))
say "sparse copy: lower file allocates $blocks bytes"
check "sparse copy: lower file under 64 MiB allocated" "yes" "$([ "$blocks" -lt $((64 * 1048576)) ] && echo yes || echo no)"
check "sparse copy: lower size" "$((SPARSE_SIZE + UNIT))" "$(stat -c %s "$LOWER/sparse")"
hole=$(/usr/bin/python3 -c 'import os, sys; print(os.lseek(os.open(sys.argv[1], os.O_RDONLY), 0, os.SEEK_HOLE))' "$GP/sparse")
say "guard point: SEEK_HOLE from 0 gives $hole (size $SPARSE_SIZE)"
check "guard point reports the first hole" "yes" "$([ "$hole" -lt $((2 * 1048576)) ] && echo yes || echo no)"
timed "cp a sparse 2.1 GiB file within the guard point" cp "$GP/sparse" "$GP/sparse.copy"
sync
out=$(/usr/bin/python3 "$SPARSE_SAME" "$GP/sparse" "$GP/sparse.copy" "$LOWER/sparse" "$LOWER/sparse.copy" 2>&1)
say "sparse compare: $out"
check "sparse copy within equals the original" "same" "${out%% *}"
blocks=$(($(stat -c %b "$LOWER/sparse.copy") * 512))
check "sparse copy within: lower file under 64 MiB allocated" "yes" "$([ "$blocks" -lt $((64 * 1048576)) ] && echo yes || echo no)"
rm -f "$GP/sparse" "$GP/sparse.copy" "$REF/sparse"

# cp --reflink: auto falls back to a copy; always cannot clone.
expect_ok "cp --reflink=auto" cp --reflink=auto "$GP/tree/random.bin" "$GP/reflinked.bin"
expect_ok "reflink copy equals" cmp "$REF/tree/random.bin" "$GP/reflinked.bin"
expect_fail "cp --reflink=always cannot clone" "Operation not supported|Invalid argument" \
	cp --reflink=always "$GP/tree/random.bin" "$GP/cloned.bin"

# mv within a guard point is a rename: same lower inode and bytes.
sync
i0=$(stat -c %i "$LOWER/reflinked.bin")
s0=$(sha256sum <"$LOWER/reflinked.bin")
expect_ok "mv within a guard point" mv "$GP/reflinked.bin" "$GP/tree/moved.bin"
check "mv within: same lower inode" "$i0" "$(stat -c %i "$LOWER/tree/moved.bin")"
check "mv within: same stored bytes" "$s0" "$(sha256sum <"$LOWER/tree/moved.bin")"
expect_ok "mv within: contents" cmp "$REF/tree/random.bin" "$GP/tree/moved.bin"

# mv across guard points re-encrypts with the target's key.
check "before the move: key-a" "key-a:1" "$(key_of "$LOWER/tree/moved.bin" "$REF/tree/random.bin")"
timed "mv across guard points" mv "$GP/tree/moved.bin" "$GP2/moved.bin"
sync
expect_ok "mv across: contents" cmp "$REF/tree/random.bin" "$GP2/moved.bin"
check "mv across: gone from the source" "no" "$([ -e "$GP/tree/moved.bin" ] && echo yes || echo no)"
check "mv across: stored with key-b" "key-b:1" "$(key_of "$LOWER2/moved.bin" "$REF/tree/random.bin")"
check "mv across: not the old stored bytes" "yes" "$([ "$(sha256sum <"$LOWER2/moved.bin")" != "$s0" ] && echo yes || echo no)"
timed "mv a directory across guard points" mv "$GP/tree/sub dir" "$GP2/sub dir"
sync
expect_ok "moved directory equals" diff -r "$REF/tree/sub dir" "$GP2/sub dir"
check "moved directory: stored with key-b" "key-b:1" \
	"$(key_of "$LOWER2/sub dir/name with  spaces.txt" "$REF/tree/sub dir/name with  spaces.txt")"
mv "$GP2/sub dir" "$GP/tree/sub dir"

# Hard links: one inode, two names, writes seen through both.
expect_ok "ln" ln "$GP/tree/notes.txt" "$GP/tree/notes.link"
check "hard link: link count" "2" "$(stat -c %h "$GP/tree/notes.txt")"
check "hard link: same inode" "$(stat -c %i "$GP/tree/notes.txt")" "$(stat -c %i "$GP/tree/notes.link")"
echo "$MARKER appended via link" >>"$GP/tree/notes.link"
echo "$MARKER appended via link" >>"$REF/tree/notes.txt"
expect_ok "hard link: write seen through the other name" cmp "$REF/tree/notes.txt" "$GP/tree/notes.txt"
rm "$GP/tree/notes.link"
cp "$REF/tree/notes.txt" "$REF/notes.saved"

# tar as an applykey process: archive the guard point (plaintext) and
# extract an archive into the other guard point.
timed "tar create from a guard point" tar -C "$GP" -cf "$WORK/tree.tar" tree
check "tar archive holds plaintext" "yes" "$(grep -q -a -F -- "$MARKER file 7" "$WORK/tree.tar" && echo yes || echo no)"
timed "tar extract into a guard point" tar -C "$GP2" -xf "$WORK/tree.tar"
expect_ok "extracted tree equals" diff -r "$GP/tree" "$GP2/tree"
expect_ok "tar archive written into a guard point" tar -C "$REF" -cf "$GP/ref.tar" tree
expect_ok "and listed from it" tar -tf "$GP/ref.tar"

# rsync -a in, across and out.
rm -rf "$GP2/tree"
timed "rsync -a into a guard point" rsync -a "$REF/tree/" "$GP2/rsynced/"
expect_ok "rsync: equals" diff -r "$REF/tree" "$GP2/rsynced"
expect_ok "rsync -a again (nothing to do)" rsync -a "$REF/tree/" "$GP2/rsynced/"
echo "$MARKER changed" >>"$REF/tree/notes.txt"
expect_ok "rsync -a after a change" rsync -a "$REF/tree/" "$GP2/rsynced/"
expect_ok "rsync: change arrived" cmp "$REF/tree/notes.txt" "$GP2/rsynced/notes.txt"
expect_ok "rsync -a out of a guard point" rsync -a "$GP2/rsynced/" "$WORK/out/"
expect_ok "rsync out: equals" diff -r "$REF/tree" "$WORK/out"
check "rsync: modes and times kept" "$(stat -c '%a %Y' "$REF/tree/random.bin")" "$(stat -c '%a %Y' "$GP2/rsynced/random.bin")"

# sqlite3 in WAL mode (its -shm file is a shared writable mapping).
DB=$GP/app.db
timed "sqlite3: WAL database" sqlite3 "$DB" "PRAGMA journal_mode=WAL;
	CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
	WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000)
	INSERT INTO t SELECT i, '$MARKER row ' || i FROM s;"
check "sqlite3: WAL mode kept" "wal" "$(sqlite3 "$DB" 'PRAGMA journal_mode;')"
expect_ok "sqlite3: more rows from a second connection" sqlite3 "$DB" \
	"INSERT INTO t (v) SELECT v || ' again' FROM t WHERE id <= 1000;"
check "sqlite3: rows" "6000" "$(sqlite3 "$DB" 'SELECT count(*) FROM t;')"
check "sqlite3: integrity_check" "ok" "$(sqlite3 "$DB" 'PRAGMA integrity_check;')"
drop_caches
check "sqlite3: rows after drop_caches" "6000|$MARKER row 4242" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM t; SELECT v FROM t WHERE id = 4242;" | paste -sd '|')"
expect_ok "sqlite3: checkpoint" sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);'

# git in a guarded repository.
G=(git -c user.name=Tk -c user.email=tk@example.invalid -c init.defaultBranch=main)
expect_ok "git init" "${G[@]}" init -q "$GP/repo"
cp -a "$REF/tree/." "$GP/repo/"
expect_ok "git add" "${G[@]}" -C "$GP/repo" add -A
expect_ok "git commit" "${G[@]}" -C "$GP/repo" commit -q -m "first $MARKER"
echo "$MARKER second" >>"$GP/repo/notes.txt"
expect_ok "git commit -a" "${G[@]}" -C "$GP/repo" commit -q -a -m "second"
check "git log" "second|first $MARKER" "$("${G[@]}" -C "$GP/repo" log --format=%s | paste -sd '|')"
expect_ok "git gc" "${G[@]}" -C "$GP/repo" gc -q
expect_ok "git fsck" "${G[@]}" -C "$GP/repo" fsck --strict
expect_ok "git clone out" "${G[@]}" clone -q "$GP/repo" "$WORK/clone"
expect_ok "clone equals" cmp "$GP/repo/notes.txt" "$WORK/clone/notes.txt"

# On disk: no marker in clear, every file stored encrypted.
sync
check "lower files: no marker in clear" "0" "$(clear_hits "$MARKER" "$LOWER" "$LOWER2")"
check "lower files: stored encrypted (first guard point)" "ok" "$(all_stored "$LOWER")"
check "lower files: stored encrypted (second guard point)" "ok" "$(all_stored "$LOWER2")"

stop_real_agent
finish
