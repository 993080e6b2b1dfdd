#!/bin/bash
# Hostile callers: an unprivileged process, root without CAP_SYS_ADMIN, a
# second would-be agent, forged replies and malformed messages are refused
# with a precise errno and message, and the kernel stays healthy.
# vm-timeout: 150
source "$(dirname "$0")/lib/common.bash"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
NO_SYS_ADMIN=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin)
probe() { /usr/bin/python3 "$AGENT" probe "$@" 2>&1; }

load_module
mount_disk
echo data >"$GP/f"
mount_gp

for kind in register reply generation unregister bad-length garbage-free; do
	[ "$kind" = garbage-free ] && continue
	check "nobody: $kind" "errno 1: " "$("${NOBODY[@]}" /usr/bin/python3 "$AGENT" probe "$kind" 2>&1)"
done
check "no CAP_SYS_ADMIN: register" "errno 1: CAP_SYS_ADMIN is required" \
	"$("${NO_SYS_ADMIN[@]}" /usr/bin/python3 "$AGENT" probe register 2>&1)"
check "agent still absent" "not connected" "$(stat_value status agent)"

check "reply with no agent" "errno 1: sender is not the registered agent" "$(probe reply)"
check "generation with no agent" "errno 1: sender is not the registered agent" "$(probe generation)"
check "wrong protocol version" "errno 93: unsupported protocol version" "$(probe bad-version)"
check "short reply struct" "errno 34: binary attribute size out of range" "$(probe bad-length)"
check "unknown attribute" "errno 22: Unknown attribute type" "$(probe unknown-attr)"
check "kernel-only attribute" "errno 22: path is sent by the kernel only" "$(probe kernel-attr)"
check "missing attribute" "errno 22: policy_reply attribute missing" "$(probe missing-attr)"
check "unknown command" "errno 95: " "$(probe unknown-cmd | cut -c1-10)"
check "CRYPT_REQ from an agent refused" "errno 95: CRYPT_REQ is sent by the kernel only" "$(probe crypt)"
check "unknown verdict" "errno 22: unknown verdict" "$(probe bad-verdict)"
check "unknown reply flags" "errno 95: unknown reply flag bits" "$(probe bad-flags)"
check "ttl above the maximum" "errno 34: cache_ttl_ms above TAKAKRYPT_MAX_CACHE_TTL_MS" "$(probe big-ttl)"

start_agent --rule permit --probe-unknown-id
check "agent's reply to an unknown id" \
	'{"probe_unknown_id": [2, "unknown or expired request_id"]}' \
	"$(head -n 1 "$AGENT_LOG")"
check "second agent" "errno 16: another agent is registered" "$(probe register)"
check "forged reply from root" "errno 1: sender is not the registered agent" "$(probe reply)"
check "forged unregister" "errno 1: sender is not the registered agent" "$(probe unregister)"
check "forged reply from nobody" "errno 1: " \
	"$("${NOBODY[@]}" /usr/bin/python3 "$AGENT" probe reply 2>&1)"
check "agent survived" "$AGENT_PID" "$(stat_value status agent_pid)"
check "guard point still served" "data" "$(cat "$GP/f")"

# Flood of garbage while the agent works.
check "every malformed message refused" "22 34 95" "$(probe flood 50)"
check "still served after garbage" "data" "$(cat "$GP/f")"
[ "$(stat_value status errors)" -gt 0 ] && say "ok: errors counted" ||
	fail "errors: expected > 0"
finish
