#!/bin/bash
# Runs inside the guest's chroot: starts the guest command (arguments
# NUL-separated in $TK_RESULTS/.tk/args) from the repository directory,
# writes its output to $TK_RESULTS/output.log and the console, and exits
# with its status.
set -u
cd "$TK_REPO" || exit 126
mapfile -d '' cmd <"$TK_RESULTS/.tk/args"
# Not a pipe into tee: a background process the command leaves behind
# would hold the pipe open and the guest would never finish.
"${cmd[@]}" </dev/null >"$TK_RESULTS/output.log" 2>&1 &
pid=$!
tail -n +1 -f --pid="$pid" "$TK_RESULTS/output.log" 2>/dev/null &
wait "$pid"
rc=$?
wait
exit "$rc"
