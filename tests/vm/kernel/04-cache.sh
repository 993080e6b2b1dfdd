#!/bin/bash
# The decision cache: a repeated operation makes no round trip; the cache
# is keyed by user and action, expires with the reply's lifetime, and is
# flushed by SET_GENERATION and by agent loss.
# vm-timeout: 150
source "$(dirname "$0")/lib/common.bash"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
requests() { stat_value status requests; }
hits() { stat_value status cache_hits; }

load_module
mount_disk
echo cached >"$GP/f"
echo other >"$GP/g"
chmod 644 "$GP/f" "$GP/g"
mount_gp
start_agent --rule permit --ttl 60000

stat "$GP/f" >/dev/null
r1=$(requests) h1=$(hits)
stat "$GP/f" >/dev/null
check "repeated stat makes no request" "$r1" "$(requests)"
[ "$(hits)" -gt "$h1" ] && say "ok: repeated stat hit the cache" ||
	fail "cache_hits: expected more than $h1, got $(hits)"
check "guard point counts the hit" "1" \
	"$([ "$(stat_value guard_points cache_hits)" -gt 0 ] && echo 1 || echo 0)"

r1=$(requests)
"${NOBODY[@]}" stat "$GP/f" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: another user is a cache miss" ||
	fail "requests: expected more than $r1 for another user"

r1=$(requests)
cat "$GP/f" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: another action is a cache miss" ||
	fail "requests: expected more than $r1 for f_rd"

[ "$(stat_value status cache_entries)" -gt 0 ] && say "ok: cache has entries" ||
	fail "cache_entries: expected > 0"
kill -USR1 "$AGENT_PID"
sleep 0.5
check "generation flush empties the cache" "0" "$(stat_value status cache_entries)"
check "generation shown" "1" "$(stat_value status policy_generation)"
r1=$(requests)
stat "$GP/f" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: miss after a new generation" ||
	fail "requests: expected more than $r1 after SET_GENERATION"

stop_agent KILL
check "agent loss empties the cache" "0" "$(stat_value status cache_entries)"
expect_denied "no stale permit after agent loss" stat "$GP/f"

start_agent --rule permit --ttl 300
stat "$GP/f" >/dev/null
sleep 1
r1=$(requests)
stat "$GP/f" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: an expired entry is asked again" ||
	fail "requests: expected more than $r1 after the ttl"
stop_agent

start_agent --rule permit --ttl 60000 --generation 5 --max-ttl 0
stat "$GP/f" >/dev/null
r1=$(requests)
stat "$GP/f" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: max_cache_ttl_ms 0 disables caching" ||
	fail "requests: expected more than $r1 with caching disabled"

stop_agent
start_agent --rule deny --ttl 60000
expect_denied "denial" stat "$GP/f"
r1=$(requests)
expect_denied "cached denial" stat "$GP/f"
check "cached denial makes no request" "$r1" "$(requests)"
stop_agent

# A decision the agent marks as the same for every object of the guard
# point serves other files and new names; one without the mark does not.
start_agent --ttl 60000 --rule 'deny,anyobject;uid=65534' \
	--rule 'permit,anyobject;action=f_rd_att,f_cre,f_wr,f_chg_att' --rule permit
stat "$GP/f" >/dev/null
r1=$(requests)
stat "$GP/g" >/dev/null
check "any-object permit serves another file" "$r1" "$(requests)"
cat "$GP/f" >/dev/null
r1=$(requests)
cat "$GP/g" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: a per-object decision does not serve another file" ||
	fail "requests: expected more than $r1 for f_rd of another file"
: >"$GP/new1"
r1=$(requests)
: >"$GP/new2"
: >"$GP/new3"
check "any-object f_cre serves new names" "$r1" "$(requests)"
expect_denied "any-object deny" "${NOBODY[@]}" stat "$GP/f"
r1=$(requests)
expect_denied "any-object deny serves another file" "${NOBODY[@]}" stat "$GP/g"
check "any-object deny makes no request" "$r1" "$(requests)"
kill -USR1 "$AGENT_PID"
sleep 0.5
r1=$(requests)
stat "$GP/g" >/dev/null
[ "$(requests)" -gt "$r1" ] && say "ok: a new generation drops any-object entries" ||
	fail "requests: expected more than $r1 after SET_GENERATION"
finish
