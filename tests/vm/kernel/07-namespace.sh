#!/bin/bash
# Names through the guard point: rename (RENAME_NOREPLACE supported, other
# flags refused), hard and symbolic links, mkdir/rmdir, fifos, names
# reused after unlink, a tree extracted and removed, and extended
# attributes behaving as in a plain directory. Inode numbers are the
# lower ones.
# vm-timeout: 240
source "$(dirname "$0")/lib/common.bash"

IO=(/usr/bin/python3 "$(dirname "$0")/lib/io_check.py")

load_module
mount_disk
mount_gp
start_agent --rule permit --ttl 60000

echo one >"$GP/a"
mv "$GP/a" "$GP/b"
check "rename" "one" "$(cat "$GP/b")"
check "old name gone" "no" "$([ -e "$GP/a" ] && echo yes || echo no)"
echo two >"$GP/c"
check "RENAME_NOREPLACE onto an existing name" "errno 17" \
	"$("${IO[@]}" renameat2 "$GP/b" "$GP/c" 1)"
check "RENAME_NOREPLACE onto a free name" "errno 0" \
	"$("${IO[@]}" renameat2 "$GP/b" "$GP/d" 1)"
check "RENAME_EXCHANGE refused" "errno 22" \
	"$("${IO[@]}" renameat2 "$GP/d" "$GP/c" 2)"
mv "$GP/d" "$GP/c"
check "rename over an existing file" "one" "$(cat "$GP/c")"

ln "$GP/c" "$GP/hard"
check "hard link count" "2" "$(stat -c %h "$GP/c")"
check "hard link shares the inode" "$(stat -c %i "$GP/c")" "$(stat -c %i "$GP/hard")"
echo three >>"$GP/hard"
check "write through one link, read through the other" "one three" \
	"$(tr '\n' ' ' <"$GP/c" | sed 's/ $//')"
ln -s c "$GP/soft"
check "readlink" "c" "$(readlink "$GP/soft")"
check "follow symlink" "one" "$(head -n 1 "$GP/soft")"

mkdir -p "$GP/x/y/z"
rmdir "$GP/x/y/z"
check "rmdir" "no" "$([ -e "$GP/x/y/z" ] && echo yes || echo no)"
expect_fail "rmdir of a non-empty directory" "not empty" rmdir "$GP/x"
mv "$GP/x" "$GP/x2"
check "directory rename keeps contents" "y" "$(ls "$GP/x2")"
mkfifo "$GP/fifo"
check "fifo type" "fifo" "$(stat -c %F "$GP/fifo")"

for i in 1 2 3; do
	echo "round $i" >"$GP/reuse"
	rm "$GP/reuse"
	mkdir "$GP/reuse"
	rmdir "$GP/reuse"
done
echo last >"$GP/reuse"
check "name reused after unlink and rmdir" "last" "$(cat "$GP/reuse")"

tar -C /usr/share/doc -cf "$WORK/tree.tar" bash coreutils
mkdir "$WORK/plain_tree" "$GP/tree"
tar -C "$WORK/plain_tree" -xf "$WORK/tree.tar"
expect_ok "extract a tree" tar -C "$GP/tree" -xf "$WORK/tree.tar"
expect_ok "tree equal" diff -r "$WORK/plain_tree" "$GP/tree"
expect_ok "remove the tree" rm -rf "$GP/tree"

# Extended attributes: the same results as in a plain directory.
xattr_script() (
	set +e +o pipefail
	d=$1
	echo v >"$d/xf"
	mkdir -p "$d/xd"
	setfattr -n user.color -v blue "$d/xf"
	setfattr -n user.size -v 42 "$d/xf"
	setfattr -n user.tag -v dir "$d/xd"
	setfattr -x user.size "$d/xf"
	setfattr -n user.missing -v x "$d/xf"
	setfattr -x user.missing "$d/xf"
	getfattr -d --absolute-names "$d/xf" "$d/xd" | sed "s|$d|D|"
	getfattr -n user.size "$d/xf" 2>&1 | sed "s|${d#/}|D|"
	setfattr -x user.nothing "$d/xf" 2>&1 | sed "s|$d|D|"
	setfattr -n trusted.t -v 1 "$d/xf" 2>&1 | sed "s|$d|D|"
	getfattr -n trusted.t "$d/xf" 2>&1 | sed "s|${d#/}|D|"
)
xattr_script "$PLAIN" >"$WORK/plain.xattr" 2>&1
xattr_script "$GP" >"$WORK/gp.xattr" 2>&1
expect_ok "xattrs as in a plain directory" diff "$WORK/plain.xattr" "$WORK/gp.xattr"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
check "nobody gets the same error as in a plain directory" \
	"$("${NOBODY[@]}" setfattr -n user.x -v 1 "$PLAIN/xf" 2>&1 | sed "s|$PLAIN|D|")" \
	"$("${NOBODY[@]}" setfattr -n user.x -v 1 "$GP/xf" 2>&1 | sed "s|$GP|D|")"

ino_upper=$(stat -c %i "$GP/c")
stop_agent
umount "$GP"
check "inode numbers are the lower ones" "$ino_upper" "$(stat -c %i "$GP/c")"
check "lower link count" "2" "$(stat -c %h "$GP/c")"
finish
