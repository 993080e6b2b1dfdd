#!/bin/bash
# The demo, run inside the QEMU guest by tests/vm/demo.sh: a guard point
# on a real ext4 disk, existing data encrypted in place, an authorised
# editor, an unauthorised reader, a backup program that sees ciphertext,
# the kernel's counters, the audit log and the bytes on disk, each step
# explained.
set -uo pipefail
REPO=${TK_REPO:?run through tests/vm/demo.sh}
RUN=/run/takakrypt-demo
DISK=/tmp/demo-disk
GP=$DISK/guarded
CONFIG=$RUN/config.yaml
tk() { /usr/bin/node "$REPO/dist/cli/main.js" "$@"; }
EDITOR_USER=(setpriv --reuid=1000 --regid=1000 --clear-groups)
OTHER_USER=(setpriv --reuid=1001 --regid=1001 --clear-groups)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$@"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; echo "    (exit status $?)"; }
as_editor() { printf '\033[2m[uid 1000]$ %s\033[0m\n' "$*"; "${EDITOR_USER[@]}" "$@"; echo "    (exit status $?)"; }
as_other() { printf '\033[2m[uid 1001]$ %s\033[0m\n' "$*"; "${OTHER_USER[@]}" "$@"; echo "    (exit status $?)"; }

step "Load the kernel module"
say "takakrypt.ko adds the takakryptfs filesystem type, the TAKAKRYPT netlink" \
    "family the agent registers on, and /proc/takakrypt/."
run insmod "$REPO/kernel/takakrypt.ko"
run grep -E '^(module_version|agent|requests):' /proc/takakrypt/status

step "A directory with data on a real ext4 disk"
mkdir -p "$DISK" "$RUN"
mount "$TK_DISK" "$DISK"
mkdir -p "$GP"
chmod 1777 "$GP"
echo "salary review, not for everyone" >"$GP/hr-notes.txt"
chmod 666 "$GP/hr-notes.txt"
run ls -l "$GP"

step "The configuration: configs/demo.yaml, with paths moved to the guest's writable disk"
say "User 1000 with cat or tee may do everything (permit,applykey,audit);" \
    "every other user or program is denied, and audited."
{
	printf 'agent:\n  audit_file: %s/audit.log\n  log_file: %s/agent.log\n  pid_file: %s/agent.pid\n' "$RUN" "$RUN" "$RUN"
	printf 'key_store:\n  path: %s/keys\n' "$RUN"
	sed "s#path: /srv/guarded#path: $GP#" "$REPO/configs/demo.yaml"
} >"$CONFIG"
grep -v '^\s*#' "$CONFIG" | grep -v '^$'
run tk config validate --config "$CONFIG"

step "Create the AES-256 key the key rule names"
run tk keys create demo-key --store "$RUN/keys"

step "Encrypt the data already there, before guarding it"
run tk transform encrypt "$GP" --key demo-key --store "$RUN/keys"
say "On disk the file now starts with the format's header:"
run od -A d -c -N 16 "$GP/hr-notes.txt"

step "Start the agent"
say "It validates the configuration, checks the key, registers with the module" \
    "and mounts the guard point over the directory itself."
run tk start --config "$CONFIG"
run findmnt -n -o TARGET,FSTYPE,OPTIONS "$GP"
run tk status --config "$CONFIG"

step "The authorised editor (uid 1000) writes and reads through tee and cat"
printf '\033[2m[uid 1000]$ echo "budget 2027: approved" | tee %s/budget.txt\033[0m\n' "$GP"
echo "budget 2027: approved" | "${EDITOR_USER[@]}" tee "$GP/budget.txt"
as_editor cat "$GP/budget.txt"
as_editor cat "$GP/hr-notes.txt"

step "Another user (uid 1001) is denied, even with the same cat"
as_other cat "$GP/budget.txt"
as_other ls "$GP"
say "And the editor's own uid with a program outside the process set:"
as_editor head -n 1 "$GP/budget.txt"

step "A backup program (tar, permit without applykey) gets ciphertext only"
run tar -cf "$DISK/backup.tar" -C "$GP" budget.txt
say "The archived budget.txt is the stored form: header, then ciphertext."
tar -xOf "$DISK/backup.tar" budget.txt | od -A d -c -N 16
say "Occurrences of the text \"budget 2027\" in the archive: $(grep -c 'budget 2027' "$DISK/backup.tar" || true)"

step "Outside the guard point nothing changes, and the agent is not asked"
before=$(sed -n 's/^requests: //p' /proc/takakrypt/status)
echo "public" >"$DISK/public.txt"
as_other cat "$DISK/public.txt"
say "kernel requests before: $before, after: $(sed -n 's/^requests: //p' /proc/takakrypt/status)"

step "The kernel's view: /proc/takakrypt/status and guard_points"
run cat /proc/takakrypt/status
run cat /proc/takakrypt/guard_points

step "The audit log: one JSON line per denial and per audited access"
/usr/bin/python3 - "$RUN/audit.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"    {r['time']}  {r['effect']:9}  uid {r['user']['uid']} ({r['user']['name'] or 'no name'})  "
          f"{r['process']['exe']}  {r['action']}  {r['guardPoint']}{r['path']}  rule {r['rule']}")
PY

step "Stop the agent: it unmounts the guard point and deregisters"
run tk stop --config "$CONFIG"
run grep -E '^agent:' /proc/takakrypt/status
say "On disk, without the guard point, budget.txt is 4096 bytes of header" \
    "followed by the ciphertext of its 22 bytes:"
run stat -c '%n %s bytes' "$GP/budget.txt"
run od -A d -c -N 16 "$GP/budget.txt"
say "Occurrences of \"budget 2027\" on disk: $(grep -c 'budget 2027' "$GP/budget.txt" || true)"
umount "$DISK"
rmmod takakrypt
step "Demo finished"
