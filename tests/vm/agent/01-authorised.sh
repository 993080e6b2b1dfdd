#!/bin/bash
# An authorised user with an authorised process creates, writes, reads,
# appends, truncates, renames and deletes files in a guard point.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent
check "guard point mounted" "takakryptfs" "$(findmnt -n -o FSTYPE "$GP")"

A=("${ALICE[@]}")
expect_ok "create and write" "${A[@]}" bash -c "echo 'first line' >'$GP/doc.txt'"
check "read" "first line" "$("${A[@]}" cat "$GP/doc.txt")"
expect_ok "append" "${A[@]}" bash -c "echo 'second line' >>'$GP/doc.txt'"
check "read after append" "first line|second line" "$("${A[@]}" cat "$GP/doc.txt" | paste -sd '|')"
expect_ok "truncate" "${A[@]}" truncate -s 5 "$GP/doc.txt"
check "read after truncate" "first" "$("${A[@]}" cat "$GP/doc.txt")"
expect_ok "overwrite" "${A[@]}" bash -c "echo replaced >'$GP/doc.txt'"
check "read after overwrite" "replaced" "$("${A[@]}" cat "$GP/doc.txt")"
expect_ok "rename" "${A[@]}" mv "$GP/doc.txt" "$GP/renamed.txt"
check "old name gone" "no" "$([ -e "$GP/doc.txt" ] && echo yes || echo no)"
check "read renamed" "replaced" "$("${A[@]}" cat "$GP/renamed.txt")"
check "list" "existing.txt renamed.txt" "$("${A[@]}" ls "$GP" | paste -sd ' ')"
expect_ok "delete" "${A[@]}" rm "$GP/renamed.txt"
check "deleted" "existing.txt" "$("${A[@]}" ls "$GP" | paste -sd ' ')"
check "read a file that was there before" "existing contents" "$("${A[@]}" cat "$GP/existing.txt")"
check "kernel asked the agent" "yes" "$([ "$(stat_value status requests)" -gt 0 ] && echo yes || echo no)"
check "agent saw no errors" "0" "$(stat_value status errors)"

expect_ok "stop" tk stop --config "$CONFIG"
finish
