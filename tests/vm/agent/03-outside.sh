#!/bin/bash
# A file outside every guard point is untouched and costs no round trip
# to the agent: the kernel's request counter does not move.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent
echo "plain contents" >"$PLAIN/file.txt"
chmod 666 "$PLAIN/file.txt"

before=$(stat_value status requests)
check "bob reads outside" "plain contents" "$("${BOB[@]}" cat "$PLAIN/file.txt")"
expect_ok "bob appends outside" "${BOB[@]}" bash -c "echo more >>'$PLAIN/file.txt'"
expect_ok "alice lists outside" "${ALICE[@]}" ls -l "$PLAIN"
check "no request for files outside" "$before" "$(stat_value status requests)"
check "contents as written, byte for byte" "plain contents|more" "$(paste -sd '|' "$PLAIN/file.txt")"

expect_ok "stop" tk stop --config "$CONFIG"
finish
