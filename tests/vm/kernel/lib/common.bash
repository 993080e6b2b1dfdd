# Shared by the kernel module's guest tests (tests/vm/kernel/*.sh): load
# the module, mount a guard point on the test disk, run the fake agent,
# and small assertions that name what was expected and what was found.
# Sourced, not run.
set -euo pipefail

REPO=${TK_REPO:?TK_REPO is not set: run under tests/vm/vm-run.sh}
KO=$REPO/kernel/takakrypt.ko
AGENT=$REPO/tests/vm/tools/fake_agent.py
WORK=${TMPDIR:-/tmp}/tk
DISK_MNT=$WORK/disk
GP=$DISK_MNT/gp
PLAIN=$DISK_MNT/plain
AGENT_LOG=$WORK/agent.log
AGENT_PID=""
failures=0

mkdir -p "$WORK"

say() { echo "tk-test: $*"; }

fail() {
	echo "tk-test: FAIL: $*" >&2
	failures=$((failures + 1))
}

# check NAME EXPECTED FOUND
check() {
	if [ "$2" == "$3" ]; then
		say "ok: $1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# expect_ok NAME CMD...: the command succeeds.
expect_ok() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		say "ok: $name"
	else
		fail "$name: expected success, got: $out"
	fi
}

# expect_denied NAME CMD...: the command fails with EACCES.
expect_denied() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$name: expected Permission denied, got success"
	elif grep -q "Permission denied" <<<"$out"; then
		say "ok: $name denied"
	else
		fail "$name: expected Permission denied, got: $out"
	fi
}

# expect_fail NAME PATTERN CMD...: the command fails with output matching.
expect_fail() {
	local name=$1 pattern=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name: expected failure matching '$pattern', got success"
	elif grep -qE "$pattern" <<<"$out"; then
		say "ok: $name failed as expected"
	else
		fail "$name: expected failure matching '$pattern', got: $out"
	fi
}

# expect_mount_fail NAME KERNEL_MESSAGE MOUNT_ARGS...: mount(8) fails and
# the kernel logged the message (mount(8) itself only says "bad option").
expect_mount_fail() {
	local name=$1 message=$2
	shift 2
	dmesg --clear
	if mount "$@" >/dev/null 2>&1; then
		fail "$name: expected the mount to fail, it succeeded"
	elif dmesg | grep -qF "$message"; then
		say "ok: $name refused: $message"
	else
		fail "$name: expected kernel message '$message', got: $(dmesg | tail -n 3)"
	fi
}

# stat_value FILE KEY: one "key: value" line of a /proc/takakrypt file.
stat_value() {
	sed -n "s/^$2: //p" "/proc/takakrypt/$1" | head -n 1
}

load_module() {
	insmod "$KO" "$@"
}

mount_disk() {
	mkdir -p "$DISK_MNT"
	mount "${TK_DISK:?}" "$DISK_MNT"
	mkdir -p "$GP" "$PLAIN"
}

mount_gp() {
	mount -t takakryptfs -o "policy=${1:-test_policy}" "$GP" "$GP"
}

# start_agent ARGS...: start the fake agent and wait until it registered.
start_agent() {
	local ready=$WORK/agent.ready i
	rm -f "$ready"
	/usr/bin/python3 "$AGENT" --log "$AGENT_LOG" --ready "$ready" "$@" \
		2>>"${TK_RESULTS:-$WORK}/agent.err" &
	AGENT_PID=$!
	for i in $(seq 1 100); do
		[ -s "$ready" ] && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "${TK_RESULTS:-$WORK}/agent.err" >&2 || true
	fail "fake agent did not register"
	return 1
}

stop_agent() {
	if [ -n "$AGENT_PID" ]; then
		kill -"${1:-TERM}" "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
	fi
	AGENT_PID=""
}

# Requests the agent logged for a path inside the guard point, as
# "action verdict" lines.
agent_saw() {
	/usr/bin/python3 - "$AGENT_LOG" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    q = json.loads(line)
    if q.get('path') == sys.argv[2]:
        print(q['action'], q['verdict'])
PY
}

cleanup() {
	[ -r /proc/takakrypt/status ] &&
		cat /proc/takakrypt/status >"${TK_RESULTS:-$WORK}/status.txt" 2>/dev/null
	stop_agent KILL
	umount "$GP" 2>/dev/null || true
	umount "$DISK_MNT" 2>/dev/null || true
	rmmod takakrypt 2>/dev/null || true
	[ -f "$AGENT_LOG" ] && cp "$AGENT_LOG" "${TK_RESULTS:-$WORK}/" 2>/dev/null
	true
}
trap cleanup EXIT

finish() {
	if [ "$failures" -gt 0 ]; then
		say "$failures check(s) failed"
		exit 1
	fi
	say "all checks passed"
	exit 0
}
