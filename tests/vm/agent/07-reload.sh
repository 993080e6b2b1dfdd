#!/bin/bash
# Reload: a rule change takes effect at once (the kernel cache is flushed);
# an invalid configuration is rejected and the old policy stays; SIGHUP
# does the same as `reload`.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent
check "alice reads" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"
check "alice reads again (cached)" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"
gen=$(stat_value status policy_generation)

write_config deny,audit
out=$(tk reload --config "$CONFIG" 2>&1) || fail "reload: $out"
check "reload: new generation" "yes" "$([ "$(stat_value status policy_generation)" != "$gen" ] && echo yes || echo no)"
expect_denied "alice denied at once after reload" "${ALICE[@]}" cat "$GP/existing.txt"

cp "$CONFIG" "$RUN/denying.yaml"
echo "policies: [ {name: broken" >>"$CONFIG"
rc=0; out=$(tk reload --config "$CONFIG" 2>&1) || rc=$?
check "invalid reload: exit 3" "3" "$rc"
check "invalid reload: says so" "1" "$(grep -c 'reload rejected; the running configuration is unchanged' <<<"$out")"
check "invalid reload: problem with its position" "yes" "$(grep -qE "^$CONFIG:[0-9]+:[0-9]+: " <<<"$out" && echo yes || echo no)"
expect_denied "old (denying) policy stays" "${ALICE[@]}" cat "$GP/existing.txt"
check "agent still connected" "connected" "$(stat_value status agent)"

write_config permit,applykey
kill -HUP "$(agent_pid)"
for i in $(seq 1 50); do
	grep -q '"configuration reloaded"' "$AGENT_LOG" && [ "$(grep -c '"configuration reloaded"' "$AGENT_LOG")" -ge 2 ] && break
	sleep 0.1
done
check "SIGHUP reloads" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

expect_ok "stop" tk stop --config "$CONFIG"
finish
