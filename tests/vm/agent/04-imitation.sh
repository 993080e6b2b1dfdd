#!/bin/bash
# A process imitating an authorised one is denied: a copy of an allowed
# binary elsewhere, and a program started under another argv[0].
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent
mkdir -p "$WORK/fake/usr/bin"
cp /usr/bin/cat "$WORK/fake/usr/bin/cat"
cp /usr/bin/head "$WORK/cat"
chmod 755 "$WORK" "$WORK/fake" "$WORK/fake/usr" "$WORK/fake/usr/bin"

expect_denied "copy of cat elsewhere" "${ALICE[@]}" "$WORK/fake/usr/bin/cat" "$GP/existing.txt"
expect_denied "another binary named cat" "${ALICE[@]}" "$WORK/cat" "$GP/existing.txt"
expect_denied "exec -a /usr/bin/cat head" "${ALICE[@]}" bash -c "exec -a /usr/bin/cat /usr/bin/head '$GP/existing.txt'"
expect_denied "exec -a cat head" "${ALICE[@]}" bash -c "exec -a cat /usr/bin/head '$GP/existing.txt'"
check "audit names the real executable" "yes" "$(audit_has 1000 "$WORK/fake/usr/bin/cat" f_rd /existing.txt denied)"
check "audit: exec -a is seen as head" "yes" "$(audit_has 1000 /usr/bin/head f_rd /existing.txt denied)"
check "the real cat still reads" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

expect_ok "stop" tk stop --config "$CONFIG"
finish
