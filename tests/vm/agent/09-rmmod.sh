#!/bin/bash
# The module cannot be removed while the agent has a guard point mounted;
# after `stop` it can.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent
expect_fail "rmmod with a guard point mounted" "in use|busy" rmmod takakrypt
check "module still loaded" "yes" "$([ -d /proc/takakrypt ] && echo yes || echo no)"
check "guard point still served" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"
expect_ok "stop" tk stop --config "$CONFIG"
expect_ok "rmmod after stop" rmmod takakrypt
check "module gone" "no" "$([ -d /proc/takakrypt ] && echo yes || echo no)"
finish
