#!/bin/bash
# With the real agent registered, an unprivileged process can neither
# register nor forge replies (the kernel tests' fake agent sends them),
# and the real agent keeps serving the guard point.
# vm-timeout: 300
source "$(dirname "$0")/lib/agent.bash"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
setup_agent_env
start_real_agent
pid=$(agent_pid)

for kind in register reply generation unregister; do
	check "nobody: $kind refused" "errno 1: " \
		"$("${NOBODY[@]}" /usr/bin/python3 "$AGENT" probe "$kind" 2>&1 | cut -c1-9)"
done
check "root second agent refused" "errno 16: another agent is registered" \
	"$(/usr/bin/python3 "$AGENT" probe register 2>&1)"
check "forged reply from root refused" "errno 1: sender is not the registered agent" \
	"$(/usr/bin/python3 "$AGENT" probe reply 2>&1)"
check "real agent still registered" "$pid" "$(stat_value status agent_pid)"
check "guard point still served" "existing contents" "$("${ALICE[@]}" cat "$GP/existing.txt")"
expect_denied "and still enforced" "${BOB[@]}" cat "$GP/existing.txt"

expect_ok "stop" tk stop --config "$CONFIG"
finish
