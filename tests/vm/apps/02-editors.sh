#!/bin/bash
# Editors in a guard point: vim (batch mode, -es) and nano (through a
# pseudo-terminal) create, edit and save files as an authorised user.
# Covered for vim: a new file, the default save path, backupcopy=no (new
# file renamed over the original), backupcopy=yes (in place), a kept
# backup file, and the swap file (written, then used to recover after vim
# was killed). For nano: a new file, an edit, a backup (-B), a lock file
# (--locking). Every saved file is stored encrypted; a process outside
# the policy and root are denied its contents.
# vm-timeout: 480
source "$(dirname "$0")/lib/apps.bash"

VIM_BIN=$(readlink -f /usr/bin/vim)
NANO_BIN=$(readlink -f /usr/bin/nano)
DRIVE=$REPO/tests/vm/apps/lib/pty-drive.py
MARKER="EDITOR-MARKER-$RANDOM-$RANDOM-takakrypt"
AWORK=$WORK/alice
# 'backupskip' skips files under /tmp by default, and the test disk is
# mounted under $TMPDIR: empty it so vim makes backups as it would in
# /home or /srv.
VIM_ARGS=(-N -u NONE -i NONE -es -c 'set backupskip=')
VIM=("${ALICE[@]}" "$VIM_BIN" "${VIM_ARGS[@]}")

write_editors_config() {
	{ config_head; cat; } >"$CONFIG" <<YAML
user_sets:
  - name: alice
    uids: [1000]
process_sets:
  - name: editors
    processes:
      - path: $VIM_BIN
      - path: $NANO_BIN
      - path: /usr/bin/cat
policies:
  - name: editors-policy
    security_rules:
      - user_set: alice
        process_set: editors
        action: all_ops
        effect: permit,applykey
      - action: all_ops
        effect: deny,audit
    key_rules:
      - key: test-key
guard_points:
  - path: $GP
    policy: editors-policy
YAML
}

# vim_edit FILE VIM_COMMAND...: run vim on FILE with the commands, then :w and :q.
vim_edit() {
	local file=$1 c args=()
	shift
	for c in "$@" w q; do args+=(-c "$c"); done
	expect_ok "vim: $* on ${file##*/}" "${VIM[@]}" "${args[@]}" "$file"
}

# same_text NAME EXPECTED_FILE: alice's cat of the guard point file equals it.
same_text() {
	expect_ok "${1}: contents" bash -c "${ALICE[*]} cat '$GP/$1' | cmp '$2' -"
}

inode() { stat -c %i "$LOWER/$1"; }

# nano_both NAME KEYS NANO_ARGS...: drive nano as alice with the same keys
# on the guard point and on a plain directory of alice's (the word @ in
# NANO_ARGS stands for the directory); nano must exit 0 both times. The
# plain result is what the guard point file must then hold.
nano_both() {
	local name=$1 keys=$2 dir arg args out where=""
	shift 2
	for dir in "$GP" "$AWORK"; do
		[ "$dir" = "$AWORK" ] && where=" (plain copy)"
		args=()
		for arg in "$@"; do args+=("${arg//@/$dir}"); done
		out=$(/usr/bin/python3 "$DRIVE" --wait "GNU nano" "$keys" \
			"${ALICE[@]}" env HOME="$AWORK" "$NANO_BIN" "${args[@]}" 2>&1)
		check "nano: $name$where" "exit 0" "$out"
	done
}

record_version vim
record_version nano
setup_crypt_env
write_editors_config
chmod 1777 "$GP"
mkdir -p "$AWORK"
chown 1000:1000 "$AWORK"
start_real_agent
check "vim executable" "/usr/bin/vim.basic" "$VIM_BIN"

# vim writes a new file.
printf '%s\n' "first line $MARKER" "second line" >"$AWORK/doc.ref"
expect_ok "vim: new file" "${VIM[@]}" -c "call setline(1, readfile('$AWORK/doc.ref'))" \
	-c "w $GP/doc.txt" -c q
same_text doc.txt "$AWORK/doc.ref"

# The default save path ('backupcopy' auto, 'writebackup' on).
echo "default save $MARKER" >>"$AWORK/doc.ref"
i0=$(inode doc.txt)
vim_edit "$GP/doc.txt" "call append('\$', 'default save $MARKER')"
same_text doc.txt "$AWORK/doc.ref"
i1=$(inode doc.txt)
say "vim default save: $([ "$i0" = "$i1" ] && echo 'wrote in place' || echo 'wrote a new file and renamed it')"

# backupcopy=no: a new file is written and renamed over the original.
echo "backupcopy=no $MARKER" >>"$AWORK/doc.ref"
vim_edit "$GP/doc.txt" "set backupcopy=no" "call append('\$', 'backupcopy=no $MARKER')"
same_text doc.txt "$AWORK/doc.ref"
check "backupcopy=no: a new inode" "yes" "$([ "$(inode doc.txt)" != "$i1" ] && echo yes || echo no)"

# backupcopy=yes: the original is overwritten in place.
echo "backupcopy=yes $MARKER" >>"$AWORK/doc.ref"
i2=$(inode doc.txt)
vim_edit "$GP/doc.txt" "set backupcopy=yes" "call append('\$', 'backupcopy=yes $MARKER')"
same_text doc.txt "$AWORK/doc.ref"
check "backupcopy=yes: the same inode" "$i2" "$(inode doc.txt)"

# 'backup' keeps the previous version as doc.txt~.
cp "$AWORK/doc.ref" "$AWORK/doc.prev"
echo "with backup $MARKER" >>"$AWORK/doc.ref"
vim_edit "$GP/doc.txt" "set backup" "call append('\$', 'with backup $MARKER')"
same_text doc.txt "$AWORK/doc.ref"
same_text doc.txt~ "$AWORK/doc.prev"

# The swap file: vim preserves a change in it and is killed; vim -r
# recovers the change from the swap file. Started without timeout(1), so
# that $! is vim itself.
setpriv --reuid=1000 --regid=1000 --clear-groups "$VIM_BIN" "${VIM_ARGS[@]}" \
	-c "call append('\$', 'unsaved $MARKER')" -c preserve \
	-c "call writefile([swapname('%')], '$AWORK/swapname')" -c 'sleep 300' \
	"$GP/doc.txt" >/dev/null 2>&1 &
vim_pid=$!
for _ in $(seq 1 240); do [ -s "$AWORK/swapname" ] && break; sleep 0.5; done
check "vim: swap file in the guard point" "$GP/.doc.txt.swp" "$(cat "$AWORK/swapname" 2>/dev/null)"
kill -KILL "$vim_pid" 2>/dev/null
wait "$vim_pid" 2>/dev/null || true
sync
check "swap file: stored encrypted" "$MAGIC_HEX" "$(magic_of "$LOWER/.doc.txt.swp")"
check "swap file: no marker in clear" "0" "$(clear_hits "$MARKER" "$LOWER/.doc.txt.swp")"
cp "$AWORK/doc.ref" "$AWORK/rec.ref"
echo "unsaved $MARKER" >>"$AWORK/rec.ref"
expect_ok "vim -r recovers from the swap file" "${VIM[@]}" -r "$GP/doc.txt" \
	-c "w! $GP/recovered.txt" -c 'qa!'
same_text recovered.txt "$AWORK/rec.ref"
expect_ok "vim: remove the swap file" "${VIM[@]}" \
	-c "call delete('$GP/.doc.txt.swp')" -c 'qa!'

# nano: a new file, an edit, a backup and a lock file.
nano_both "new file" "nano line one $MARKER\r|\x0f|\r|\x18" @/nano.txt
same_text nano.txt "$AWORK/nano.txt"
nano_both "edit" "nano top line $MARKER\r|\x0f|\r|\x18" @/nano.txt
same_text nano.txt "$AWORK/nano.txt"
nano_both "backup (-B)" "backed up $MARKER\r|\x0f|\r|\x18" -B @/nano.txt
same_text nano.txt "$AWORK/nano.txt"
same_text nano.txt~ "$AWORK/nano.txt~"
nano_both "lock file (--locking)" "locked $MARKER\r|\x0f|\r|\x18" --locking @/nano.txt
same_text nano.txt "$AWORK/nano.txt"
check "nano: lock file removed on exit" "no" "$([ -e "$LOWER/.nano.txt.swp" ] && echo yes || echo no)"
check "nano: denials of nano's" "0" "$(grep -F "\"exe\":\"$NANO_BIN\"" "$AUDIT" 2>/dev/null | grep -c denied)"
check "nano: plaintext as typed" "1" "$(grep -cx "nano top line $MARKER" "$AWORK/nano.txt")"

# On disk: every file stored encrypted, no marker in clear.
sync
check "lower files: no marker in clear" "0" "$(clear_hits "$MARKER" "$LOWER")"
check "lower files: stored encrypted" "ok" "$(all_stored "$LOWER")"

# Outside the policy: another program of alice's, and root.
expect_denied "alice's head of a saved file" "${ALICE[@]}" head "$GP/doc.txt"
expect_denied "root's cat of a saved file" cat "$GP/nano.txt"
check "audit: head denied" "yes" "$(audit_has 1000 /usr/bin/head f_rd /doc.txt denied)"
check "audit: root cat denied" "yes" "$(audit_has 0 /usr/bin/cat f_rd /nano.txt denied)"

stop_real_agent
finish
