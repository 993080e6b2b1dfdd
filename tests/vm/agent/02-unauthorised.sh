#!/bin/bash
# An unauthorised user, and an unauthorised process of an authorised user,
# are denied with EACCES; each denial is in the audit log with user,
# executable, action and path.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

setup_agent_env
start_real_agent

expect_denied "bob reads with cat" "${BOB[@]}" cat "$GP/existing.txt"
expect_denied "bob writes with tee" "${BOB[@]}" bash -c "echo x | /usr/bin/tee '$GP/bob.txt'"
expect_denied "alice reads with head (not an editor)" "${ALICE[@]}" head -n 1 "$GP/existing.txt"
expect_denied "alice copies with cp (not an editor)" "${ALICE[@]}" cp "$GP/existing.txt" /tmp/stolen
check "bob's file was not created" "no" "$([ -e "$GP/bob.txt" ] && echo yes || echo no)"
check "alice with cat still reads" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"

check "audit: bob cat f_rd" "yes" "$(audit_has 1001 /usr/bin/cat f_rd /existing.txt denied)"
check "audit: alice head f_rd" "yes" "$(audit_has 1000 /usr/bin/head f_rd /existing.txt denied)"
# cp stats the source first and gives up at that denial.
check "audit: alice cp f_rd_att" "yes" "$(audit_has 1000 /usr/bin/cp f_rd_att /existing.txt denied)"
check "audit: user name resolved or null, never missing" "ok" \
	"$(/usr/bin/python3 -c 'import json,sys; print("ok" if all("name" in json.loads(l)["user"] for l in open(sys.argv[1])) else "missing")' "$AUDIT")"
check "kernel counted denies" "yes" "$([ "$(stat_value status denies)" -ge 3 ] && echo yes || echo no)"

expect_ok "stop" tk stop --config "$CONFIG"
finish
