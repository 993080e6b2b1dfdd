#!/bin/bash
# Fail closed: with no agent, after the agent is killed, when it does not
# answer in time; a request pending when the agent dies fails at once, and
# a task waiting for a decision can be killed.
# vm-timeout: 180
source "$(dirname "$0")/lib/common.bash"

PARAM=/sys/module/takakrypt/parameters/timeout_ms

# ms_since START_NS: milliseconds elapsed.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

load_module timeout_ms=1500
mount_disk
echo secret >"$GP/f"
mkdir "$GP/d"
mount_gp

expect_denied "read with no agent" cat "$GP/f"
expect_denied "stat with no agent" stat "$GP/f"
expect_denied "list with no agent" ls "$GP/d"
expect_denied "create with no agent" touch "$GP/new"
expect_denied "write with no agent" sh -c "echo x >>'$GP/f'"
expect_denied "mkdir with no agent" mkdir "$GP/d2"
[ "$(stat_value status no_agent)" -ge 6 ] && say "ok: no_agent counted" ||
	fail "no_agent: expected >= 6, got $(stat_value status no_agent)"

start_agent --rule permit
check "agent shown as connected" "connected" "$(stat_value status agent)"
check "agent pid" "$AGENT_PID" "$(stat_value status agent_pid)"
check "read with a permitting agent" "secret" "$(cat "$GP/f")"

stop_agent KILL
check "agent shown as gone" "not connected" "$(stat_value status agent)"
expect_denied "read after the agent was killed" cat "$GP/f"

# A request waiting for an agent that dies fails at once, not at timeout.
echo 30000 >"$PARAM"
start_agent --ignore
start=$(date +%s%N)
cat "$GP/f" >/dev/null 2>&1 &
reader=$!
sleep 1
stop_agent KILL
if wait "$reader"; then
	fail "pending read: expected denial when the agent died, got success"
else
	elapsed=$(ms_since "$start")
	[ "$elapsed" -lt 10000 ] && say "ok: pending read failed when the agent died (${elapsed} ms)" ||
		fail "pending read: expected failure well before the 30 s timeout, took ${elapsed} ms"
fi

# No answer within timeout_ms: denied and counted.
echo 1000 >"$PARAM"
start_agent --ignore
before=$(stat_value status timeouts)
expect_denied "read when the agent does not answer" cat "$GP/f"
after=$(stat_value status timeouts)
[ "$after" -gt "$before" ] && say "ok: timeout counted" ||
	fail "timeouts: expected more than $before, got $after"

# Waiting is killable.
echo 30000 >"$PARAM"
start=$(date +%s%N)
cat "$GP/f" >/dev/null 2>&1 &
reader=$!
sleep 1
kill -KILL "$reader"
wait "$reader" 2>/dev/null || true
elapsed=$(ms_since "$start")
[ "$elapsed" -lt 10000 ] && say "ok: waiting task killed (${elapsed} ms)" ||
	fail "killable wait: expected the reader to die at once, took ${elapsed} ms"
stop_agent KILL

check "nothing written while denied" "secret" "$(umount "$GP" && cat "$GP/f")"
finish
