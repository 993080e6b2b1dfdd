#!/bin/bash
# Many files in one directory of a guard point: one process creates them
# (each gets its header), then ls, find, du, a stat of every file, reads of
# a sample, and rm -rf; each phase is timed (the figures go in
# docs/COMPATIBILITY.md). 100,000 files by default (TK_MANY_FILES sets
# another count); each takes an inode, a 4 KiB header block and a data
# block, so the test asks for a 3 GiB disk.
# vm-timeout: 3000
# vm-disk-mb: 3072
source "$(dirname "$0")/lib/apps.bash"

COUNT=${TK_MANY_FILES:-100000}
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || { fail "TK_MANY_FILES: expected a positive count, got '$COUNT'"; finish; }
DIR=$GP/many

# timed NAME CMD...: run CMD and say how long it took; its output's last
# line is left in $LAST.
LAST=""
timed() {
	local name=$1 t0 out
	shift
	t0=$(date +%s%N)
	if out=$("$@" 2>&1); then
		say "figure: $name: $((($(date +%s%N) - t0) / 1000000)) ms"
	else
		fail "$name: expected success, got: $(tail -n 3 <<<"$out")"
	fi
	LAST=$(tail -n 1 <<<"$out")
}

setup_crypt_env
disk_mb=$(($(blockdev --getsize64 "$TK_DISK") >> 20))
[ "$disk_mb" -ge 3072 ] && say "ok: test disk $disk_mb MiB" ||
	fail "test disk: expected at least 3072 MiB (# vm-disk-mb), got $disk_mb MiB"
start_real_agent
mkdir "$DIR"
# One process creates the files and reports its progress, so that a run
# cut short by the time limit still says how far it got.
t0=$(date +%s%N)
/usr/bin/python3 -c '
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
for i in range(n):
    fd = os.open("%s/file-%06d.txt" % (d, i), os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    os.write(fd, b"file %d\n" % i)
    os.close(fd)
    if (i + 1) % 5000 == 0:
        print("tk-test: created %d files in %.1f s" % (i + 1, time.monotonic() - t0), flush=True)
' "$DIR" "$COUNT" || fail "creating $COUNT files: expected success, got exit status $?"
say "figure: create $COUNT files (one process): $((($(date +%s%N) - t0) / 1000000)) ms"
timed "ls -f | wc -l" bash -c "ls -f '$DIR' | wc -l"
check "ls lists every file" "$((COUNT + 2))" "$LAST"
timed "sync after creating (dirty files written back)" sync
drop_caches
timed "find -size after drop_caches (a stat of every file)" bash -c "find '$DIR' -type f -size -20c | wc -l"
check "find: every file, plaintext sizes" "$COUNT" "$LAST"
timed "du -s" du -s "$DIR"
say "du: $LAST"
timed "read 50 files with cat" bash -c "for i in \$(seq 0 $((COUNT / 50)) $((COUNT - 1))); do cat \"\$(printf '$DIR/file-%06d.txt' \$i)\"; done | wc -l"
check "sample reads" "50" "$LAST"
check "a file reads back" "file $((COUNT - 1))" "$(cat "$(printf '%s/file-%06d.txt' "$DIR" $((COUNT - 1)))")"
sync
check "lower files stored encrypted" "ok" "$(all_stored "$LOWER/many")"
timed "rm -rf" rm -rf "$DIR"
check "directory gone" "no" "$([ -e "$DIR" ] && echo yes || echo no)"
stop_real_agent
finish
