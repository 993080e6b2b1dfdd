#!/bin/bash
# A browse-only user lists the guard point and reads attributes, but
# cannot read or change contents.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent

check "carol lists" "existing.txt" "$("${CAROL[@]}" ls "$GP")"
# Without applykey a file is seen as stored: header (4096) + 18 bytes.
check "carol stats the stored size" "4114" "$("${CAROL[@]}" stat -c %s "$GP/existing.txt")"
expect_denied "carol reads" "${CAROL[@]}" cat "$GP/existing.txt"
expect_denied "carol writes" "${CAROL[@]}" bash -c "echo x >>'$GP/existing.txt'"
expect_denied "carol creates" "${CAROL[@]}" touch "$GP/new.txt"
check "audit: carol's read denied" "yes" "$(audit_has 1002 /usr/bin/cat f_rd /existing.txt denied)"

expect_ok "stop" tk stop --config "$CONFIG"
finish
