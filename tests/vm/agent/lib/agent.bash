# Shared by the agent's guest tests (tests/vm/agent/*.sh): the real module,
# the real agent (node dist/cli/main.js) and a guard point on the test
# disk. The assertions and module/disk helpers are the kernel tests' own
# (tests/vm/kernel/lib/common.bash); this file adds the agent on top.
# Sourced, not run.
source "$(dirname "${BASH_SOURCE[0]}")/../../kernel/lib/common.bash"

CLI=(/usr/bin/node "$REPO/dist/cli/main.js")
# The host root is read-only in the guest: configuration, key store, logs,
# pid file and audit log live in a tmpfs of their own.
RUN=/run/tk-agent
CONFIG=$RUN/config.yaml
AUDIT=$RUN/audit.log
AGENT_LOG=$RUN/agent.log
PID_FILE=$RUN/agent.pid
# Each access is bounded, so a stuck one fails its check instead of the boot.
ALICE=(timeout -k 2 60 setpriv --reuid=1000 --regid=1000 --clear-groups)
BOB=(timeout -k 2 60 setpriv --reuid=1001 --regid=1001 --clear-groups)
CAROL=(timeout -k 2 60 setpriv --reuid=1002 --regid=1002 --clear-groups)
# Several tests share one boot: each starts from an empty directory.
rm -rf "$RUN"
mkdir -p "$RUN"

tk() { "${CLI[@]}" "$@"; }

# write_config [ALICE_EFFECT]: alice (uid 1000) with the editors may do
# everything (default effect permit,applykey); carol (uid 1002) may only
# browse; everything else is denied and audited.
write_config() {
	cat >"$CONFIG" <<YAML
agent:
  log_file: $AGENT_LOG
  log_level: debug
  audit_file: $AUDIT
  pid_file: $PID_FILE
  decision_cache_ttl: 30
  kernel_timeout: 3
key_store:
  path: $RUN/keys
user_sets:
  - name: alice
    uids: [1000]
  - name: carol
    uids: [1002]
process_sets:
  - name: editors
    processes:
      - path: /usr/bin/bash
      - path: /usr/bin/cat
      - path: /usr/bin/tee
      - path: /usr/bin/mv
      - path: /usr/bin/rm
      - path: /usr/bin/truncate
      - path: /usr/bin/ls
      - path: /usr/bin/stat
policies:
  - name: test-policy
    security_rules:
      - user_set: alice
        process_set: editors
        action: all_ops
        effect: ${1:-permit,applykey}
      - user_set: carol
        action: all_ops
        effect: deny,audit
        browsing: true
      - action: all_ops
        effect: deny,audit
    key_rules:
      - key: test-key
guard_points:
  - path: $GP
    policy: test-policy
YAML
}

# setup_agent_env: module, disk, a world-writable guard point directory
# with one encrypted file, the key store and the configuration. Nothing
# mounted yet.
setup_agent_env() {
	load_module
	mount_disk
	chmod 1777 "$GP"
	echo "existing contents" >"$GP/existing.txt"
	chmod 666 "$GP/existing.txt"
	tk keys create test-key --store "$RUN/keys" >/dev/null
	# Data already there is encrypted before it is guarded.
	tk transform encrypt "$GP" --key test-key --store "$RUN/keys" >/dev/null
	write_config
}

# start_real_agent: `start` must print "takakrypt-agent started (pid N)".
start_real_agent() {
	local out
	if out=$(tk start --config "$CONFIG" 2>&1); then
		say "ok: agent started: $out"
	else
		fail "agent start: expected success, got: $out"
		[ -f "$AGENT_LOG" ] && tail -n 20 "$AGENT_LOG" >&2
		return 1
	fi
}

agent_pid() { cat "$PID_FILE" 2>/dev/null || true; }

# audit_has UID EXE ACTION PATH EFFECT: an audit record with these fields.
audit_has() {
	/usr/bin/python3 - "$AUDIT" "$@" <<'PY'
import json, sys
audit, uid, exe, action, path, effect = sys.argv[1:]
for line in open(audit):
    r = json.loads(line)
    if (str(r['user']['uid']), r['process']['exe'], r['action'], r['path'], r['effect']) == (uid, exe, action, path, effect):
        print('yes')
        break
else:
    print('no')
PY
}

agent_cleanup() {
	local pid
	pid=$(agent_pid)
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	for f in "$AGENT_LOG" "$AUDIT" "$CONFIG"; do
		[ -f "$f" ] && cp "$f" "${TK_RESULTS:-$WORK}/" 2>/dev/null
	done
	cleanup
}
trap agent_cleanup EXIT
