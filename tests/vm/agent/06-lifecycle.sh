#!/bin/bash
# Lifecycle: start refused without the module; start, status, stop,
# restart; a busy guard point at stop; kill -9 of the agent fails closed
# and a new start restores access. /proc/takakrypt/status shows each state.
# vm-timeout: 900
source "$(dirname "$0")/lib/agent.bash"

mount_disk
chmod 1777 "$GP"
echo "existing contents" >"$GP/existing.txt"
chmod 666 "$GP/existing.txt"
tk keys create test-key --store "$RUN/keys" >/dev/null
tk transform encrypt "$GP" --key test-key --store "$RUN/keys" >/dev/null
write_config
expect_fail "start without the module" \
	"kernel module takakrypt is not loaded; run insmod takakrypt.ko" tk start --config "$CONFIG"
check "nothing mounted after the failed start" "" "$(findmnt -n -o FSTYPE "$GP" || true)"
load_module

# A broken configuration is refused with every problem and exit status 3.
cp "$CONFIG" "$RUN/good.yaml"
sed -i 's/effect: deny,audit$/effect: allow/' "$CONFIG"
rc=0; out=$(tk start --config "$CONFIG" 2>&1) || rc=$?
check "invalid configuration: exit status" "3" "$rc"
check "invalid configuration: each problem listed" "2" "$(grep -c 'unknown effect "allow"' <<<"$out")"
cp "$RUN/good.yaml" "$CONFIG"

# A missing guard point directory: nothing left mounted.
sed "s#path: $GP\$#path: $DISK_MNT/missing#" "$RUN/good.yaml" >"$RUN/missing.yaml"
expect_fail "start with a missing guard point" "guard point $DISK_MNT/missing: expected an existing directory" \
	tk start --config "$RUN/missing.yaml"
check "no agent left registered" "not connected" "$(stat_value status agent)"

start_real_agent
pid=$(agent_pid)
check "status file: connected" "connected" "$(stat_value status agent)"
check "status file: agent pid" "$pid" "$(stat_value status agent_pid)"
rc=0; out=$(tk status --config "$CONFIG") || rc=$?
check "status: exit 0" "0" "$rc"
check "status: pid" "pid: $pid" "$(grep '^pid:' <<<"$out")"
check "status: guard point mounted" "1" "$(grep -c "$GP  policy=test-policy  mode=auto  mounted" <<<"$out")"
check "status: kernel counters" "1" "$(grep -c '^kernel (/proc/takakrypt/status):' <<<"$out")"
expect_fail "second start refused" "already running \\(pid $pid\\)" tk start --config "$CONFIG"
check "alice reads" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

# restart: the guard point stays mounted throughout; a new agent serves it.
out=$(tk restart --config "$CONFIG" 2>&1) || fail "restart: $out"
check "restart: new pid" "yes" "$([ "$(agent_pid)" != "$pid" ] && [ -n "$(agent_pid)" ] && echo yes || echo no)"
check "restart: guard point mounted" "takakryptfs" "$(findmnt -n -o FSTYPE "$GP")"
check "alice reads after restart" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

# A busy guard point at stop is named with its holder and stays mounted.
"${ALICE[@]}" bash -c "exec 3<'$GP/existing.txt'; sleep 60" &
holder=$!
sleep 1
rc=0; out=$(tk stop --config "$CONFIG" 2>&1) || rc=$?
check "busy stop: exit 1" "1" "$rc"
check "busy stop: names the guard point" "1" "$(grep -c "guard point $GP is busy, held by" <<<"$out")"
check "busy stop: names the holder" "1" "$(grep -c "(fd 3)" <<<"$out")"
check "busy: still mounted" "takakryptfs" "$(findmnt -n -o FSTYPE "$GP")"
check "busy: agent gone" "not connected" "$(stat_value status agent)"
expect_denied "busy: fails closed" "${ALICE[@]}" cat "$GP/existing.txt"
kill "$holder"; wait "$holder" 2>/dev/null || true
rc=0; out=$(tk status --config "$CONFIG") || rc=$?
check "status when stopped: exit 5" "5" "$rc"
check "status when stopped" "agent: not running" "$(head -n 1 <<<"$out")"

# start adopts the guard point left mounted.
start_real_agent
check "alice reads after adoption" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

# kill -9: the module forgets the agent at once and denies.
pid=$(agent_pid)
kill -KILL "$pid"
sleep 0.5
check "after kill -9: not connected" "not connected" "$(stat_value status agent)"
# Denied at once because no agent is registered (no_agent), not after
# waiting out the timeout (timeouts): the counters say which.
timeouts=$(stat_value status timeouts)
no_agent=$(stat_value status no_agent)
start=$(date +%s%N)
expect_denied "after kill -9: fails closed" "${ALICE[@]}" cat "$GP/existing.txt"
say "denied after $((($(date +%s%N) - start) / 1000000)) ms, process start included (timeout 3000 ms)"
check "denied as no agent, not by timeout" "$timeouts yes" \
	"$(stat_value status timeouts) $([ "$(stat_value status no_agent)" -gt "$no_agent" ] && echo yes || echo no)"
expect_fail "stop of a killed agent" "takakrypt-agent is not running" tk stop --config "$CONFIG"
start_real_agent
check "restart after kill -9 restores access" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

expect_ok "stop" tk stop --config "$CONFIG"
check "stop unmounts" "" "$(findmnt -n -o FSTYPE "$GP" || true)"
check "stop removes the pid file" "no" "$([ -e "$PID_FILE" ] && echo yes || echo no)"
check "status file after stop" "not connected" "$(stat_value status agent)"
finish
