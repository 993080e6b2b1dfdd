#!/bin/bash
# Permit and deny end to end, what a request carries, and which action
# each operation asks for (docs/PROTOCOL.md, "Action mapping").
# vm-timeout: 180
source "$(dirname "$0")/lib/common.bash"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

load_module
mount_disk
mkdir -p "$GP/pub" "$GP/secret" "$GP/ops/dir" "$GP/ops/sub"
echo public >"$GP/pub/file"
echo hidden >"$GP/secret/file"
chmod 666 "$GP/pub/file"
cp /usr/bin/true "$GP/pub/true"
for f in read append trunc chmod xattr rename link symlink rm size; do
	echo "$f" >"$GP/ops/$f"
done
mount_gp

start_agent \
	--rule 'deny;path=/secret*' \
	--rule 'deny;uid=65534;action=f_wr,f_wr_app,f_cre,f_chg_att,f_rd_sec' \
	--rule 'permit'

check "root reads a permitted file" "public" "$(cat "$GP/pub/file")"
expect_denied "root reads a denied file" cat "$GP/secret/file"
expect_denied "root lists a denied directory" ls "$GP/secret"
check "nobody reads" "public" "$("${NOBODY[@]}" cat "$GP/pub/file")"
expect_denied "nobody writes despite mode 666" \
	"${NOBODY[@]}" sh -c "echo x >>'$GP/pub/file'"
check "the denied write left the file alone" "public" "$(cat "$GP/pub/file")"
expect_denied "nobody reads an xattr" "${NOBODY[@]}" getfattr -n user.k "$GP/pub/file"
# Exec reads security.capability itself; that read needs no f_rd_sec.
expect_ok "root runs a program from the guard point" "$GP/pub/true"
expect_ok "nobody runs it without f_rd_sec" "${NOBODY[@]}" "$GP/pub/true"

# What the first request for /pub/file carried.
/usr/bin/python3 - "$AGENT_LOG" "$GP" >"$WORK/fields" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    q = json.loads(line)
    if q.get('path') == '/pub/file' and q['action'] == 'f_rd' and q['uid'] == 0:
        print(q['gp'] == sys.argv[2], q['policy'], q['exe'], q['gid'],
              q['dir'], q['inode'] > 0, q['pid'] > 0)
        break
PY
check "request fields" "True test_policy /usr/bin/cat 0 False True True" \
	"$(cat "$WORK/fields")"

O=$GP/ops
cat "$O/read" >/dev/null
echo more >>"$O/append"
echo new >"$O/trunc"
touch "$O/created"
chmod 600 "$O/chmod"
chmod 700 "$O/dir"
setfattr -n user.k -v v "$O/xattr"
getfattr -n user.k "$O/xattr" >/dev/null
setfattr -n user.k -v v "$O/dir"
getfattr -n user.k "$O/dir" >/dev/null
mv "$O/rename" "$O/renamed"
ln "$O/link" "$O/hardlink"
ln -s link "$O/symlinked"
rm "$O/rm"
truncate -s 1 "$O/size"
stat "$O/read" >/dev/null
stat "$O/dir" >/dev/null
ls "$O/sub" >/dev/null
mkdir "$O/newdir"
rmdir "$O/newdir"
mv "$O/sub" "$O/sub2"
mkfifo "$O/fifo"

# expect_action PATH ACTION: the agent was asked ACTION for PATH.
expect_action() {
	if agent_saw "$1" | grep -q "^$2 "; then
		say "ok: $1 asked $2"
	else
		fail "$1: expected a $2 request, saw: $(agent_saw "$1" | tr '\n' ' ')"
	fi
}
expect_action /ops/read f_rd
expect_action /ops/append f_wr_app
expect_action /ops/trunc f_wr
expect_action /ops/created f_cre
expect_action /ops/chmod f_chg_att
expect_action /ops/dir d_chg_att
expect_action /ops/xattr f_chg_sec
expect_action /ops/xattr f_rd_sec
expect_action /ops/dir d_chg_sec
expect_action /ops/dir d_rd_sec
expect_action /ops/rename f_ren
expect_action /ops/renamed f_ren
expect_action /ops/link f_link
expect_action /ops/hardlink f_link
expect_action /ops/symlinked f_link
expect_action /ops/rm f_rm
expect_action /ops/size f_wr
expect_action /ops/read f_rd_att
expect_action /ops/dir d_rd_att
expect_action /ops/sub d_rd
expect_action /ops/newdir d_mkdir
expect_action /ops/newdir d_rmdir
expect_action /ops/sub d_ren
expect_action /ops/fifo d_mknod

# A denied action leaves nothing behind.
expect_denied "nobody creates" "${NOBODY[@]}" touch "$GP/pub/nobody"
check "no file created" "no" "$([ -e "$GP/pub/nobody" ] && echo yes || echo no)"
expect_denied "rename into a denied directory" mv "$GP/pub/file" "$GP/secret/moved"
check "file still in place" "public" "$(cat "$GP/pub/file")"
finish
