# Shared by the application tests (tests/vm/apps/*.sh): the real module and
# agent with the data path tests' helpers (a second mount of the test disk
# as the lower view, magic_of, drop_caches, stop_real_agent), and small
# helpers to run programs as another user and to look for clear text in
# stored bytes. Sourced, not run.
source "$(dirname "${BASH_SOURCE[0]}")/../../crypt/lib/crypt.bash"

# config_head: the agent and key store part every application test's
# configuration starts with; the test appends its sets and policies.
config_head() {
	cat <<YAML
agent:
  log_file: $AGENT_LOG
  log_level: info
  audit_file: $AUDIT
  pid_file: $PID_FILE
  kernel_timeout: 10
key_store:
  path: $KEYS
YAML
}

# as_user NAME CMD...: run CMD as user NAME (its primary group only),
# bounded like the agent tests' accesses.
as_user() {
	local name=$1
	shift
	timeout -k 2 120 setpriv --reuid="$(id -u "$name")" \
		--regid="$(id -g "$name")" --clear-groups "$@"
}

# record_version PACKAGE: print the installed Debian version, so each run
# says what it tested.
record_version() {
	say "version: $1 $(dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '(not installed)')"
}

# clear_hits MARKER DIR|FILE...: how many files hold MARKER in clear.
clear_hits() {
	local marker=$1
	shift
	grep -r -l -a -F -- "$marker" "$@" 2>/dev/null | wc -l
}

# all_stored DIR: "ok" when every non-empty regular file under DIR (a
# lower directory) starts with the format's magic, else the first that
# does not. One process: a test may have many thousand files.
all_stored() {
	/usr/bin/python3 - "$1" <<'PY'
import os, sys
top = sys.argv[1]
for d, _, names in os.walk(top):
    for n in names:
        p = os.path.join(d, n)
        if os.path.islink(p) or not os.path.isfile(p) or os.path.getsize(p) == 0:
            continue
        with open(p, 'rb') as f:
            if f.read(8) != b'\x89TKRYPT\n':
                print('not stored encrypted:', p[len(top):])
                sys.exit()
print('ok')
PY
}

# magic_count FILE: how many times the format's magic occurs in FILE.
magic_count() {
	/usr/bin/python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\x89TKRYPT\n"))' "$1"
}

# elapsed SINCE: whole seconds since the `date +%s` value SINCE.
elapsed() { echo $(($(date +%s) - $1)); }
