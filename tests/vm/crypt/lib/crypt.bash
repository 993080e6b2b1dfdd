# Shared by the encrypted data path's guest tests (tests/vm/crypt/*.sh):
# the real module and agent (tests/vm/agent/lib/agent.bash) with a policy
# whose catch-all rule carries applykey, a plain directory on the same
# ext4 for reference copies, a second mount of the test disk to read the
# lower files while the guard point is mounted, and checks of the stored
# form (docs/FORMAT.md). Sourced, not run.
source "$(dirname "${BASH_SOURCE[0]}")/../../agent/lib/agent.bash"

TOOLS=$REPO/tests/vm/tools
CRYPT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The test disk mounted a second time: the same ext4, without the guard
# point on top, so $LOWER_MNT/gp shows the lower files.
LOWER_MNT=$WORK/lower
LOWER=$LOWER_MNT/gp
REF=$PLAIN
MAGIC_HEX=89544b525950540a
UNIT=4096
KEYS=$RUN/keys

# write_crypt_config [BACKUP_EFFECT]: processes of the backup set (tar)
# get BACKUP_EFFECT (default permit: the raw lower bytes); every other
# process of every user gets permit,applykey. One key rule: test-key.
write_crypt_config() {
	cat >"$CONFIG" <<YAML
agent:
  log_file: $AGENT_LOG
  log_level: debug
  audit_file: $AUDIT
  pid_file: $PID_FILE
  decision_cache_ttl: 30
  kernel_timeout: 5
key_store:
  path: $KEYS
process_sets:
  - name: backup
    processes:
      - path: /usr/bin/tar
policies:
  - name: crypt-policy
    security_rules:
      - process_set: backup
        action: all_ops
        effect: ${1:-permit}
      - action: all_ops
        effect: permit,applykey
    key_rules:
      - key: test-key
guard_points:
  - path: $GP
    policy: crypt-policy
YAML
}

# setup_crypt_env: module, disk, plain directory, key, configuration and
# the lower view. Nothing is mounted on the guard point yet.
setup_crypt_env() {
	load_module
	mount_disk
	tk keys create test-key --store "$KEYS" >/dev/null
	write_crypt_config "$@"
	mkdir -p "$LOWER_MNT"
	mount "$TK_DISK" "$LOWER_MNT"
}

stop_real_agent() {
	local out
	out=$(tk stop --config "$CONFIG" 2>&1) || fail "agent stop: expected success, got: $out"
}

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# magic_of FILE: the first 8 bytes in hex.
magic_of() { od -An -tx1 -N8 "$1" | tr -d ' \n'; }

# check_stored NAME PLAIN_SIZE [MARKER]: the lower file of NAME starts
# with the magic, is 4096 bytes longer than the plaintext and holds no
# MARKER in clear.
check_stored() {
	local name=$1 size=$2 marker=${3:-}
	check "$name: lower magic" "$MAGIC_HEX" "$(magic_of "$LOWER/$name")"
	check "$name: lower size" "$((size + UNIT))" "$(stat -c %s "$LOWER/$name")"
	if [ -n "$marker" ]; then
		check "$name: marker not in the lower file" "0" "$(grep -c -a -F -- "$marker" "$LOWER/$name")"
	fi
}

# same NAME: the guard point file equals its plain copy (size and bytes).
same() {
	local name=$1 what=${2:-}
	check "$name${what:+ $what}: size" "$(stat -c %s "$REF/$name")" "$(stat -c %s "$GP/$name")"
	expect_ok "$name${what:+ $what}: contents" cmp "$REF/$name" "$GP/$name"
}

# both CMD... : run the command on the guard point file and on the plain
# copy; the word @ in CMD stands for the file (e.g. both truncate -s 5 @/f).
both() {
	local dir arg args out
	for dir in "$GP" "$REF"; do
		args=()
		for arg in "$@"; do args+=("${arg//@/$dir}"); done
		out=$("${args[@]}" 2>&1) || fail "${args[*]}: expected success, got: $out"
	done
}

# make_random FILE SIZE: SIZE random bytes.
make_random() { head -c "$2" /dev/urandom >"$1"; }

# ref_read LOWER_FILE OUT: decrypt with the reference reader; prints the
# header's key name and version.
ref_read() {
	/usr/bin/node "$CRYPT_LIB/ref-read.js" "$KEYS" "$1" "$2"
}

# audit_reasons PATH: the reason of every audit record for PATH (the path
# inside the guard point), one per line.
audit_reasons() {
	/usr/bin/python3 - "$AUDIT" "$1" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    r = json.loads(line)
    if r.get('path') == sys.argv[2]:
        print(r.get('reason', ''))
PY
}

# expect_eio NAME FILE: reading FILE through the guard point fails with
# EIO (at open or at read) and yields not a single byte.
expect_eio() {
	local name=$1 file=$2 out
	out=$(/usr/bin/python3 "$TOOLS/crypt_io.py" expect-eio "$file" 2>&1)
	if [ "$out" = "eio" ]; then
		say "ok: $name: EIO, no data"
	else
		fail "$name: expected EIO and no data, got: $out"
	fi
}

crypt_cleanup() {
	umount "$LOWER_MNT" 2>/dev/null || true
	agent_cleanup
}
trap crypt_cleanup EXIT
