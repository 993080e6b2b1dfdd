#!/bin/bash
# Runs inside the guest: several VM test scripts in one boot, one after
# the other. Each test gets its own TMPDIR, HOME and results directory
# ($TK_RESULTS/tests/<name>/) and a freshly made ext4 on $TK_DISK; after
# each test, processes it left behind are killed and mounts and modules it
# left are removed, and the kernel log it caused is checked for reports.
# Progress goes to $TK_RESULTS/suite.txt, one line per event:
#   START <test>            before the test runs
#   PASS <test> <ms>        or
#   FAIL <test> <ms> <why>  after it
# so that the host can blame the running test if the guest dies.
#
# usage: guest-suite.sh TIMEOUT_S:TEST_PATH ...
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=kernel-reports.sh
source "$here/kernel-reports.sh"
suite=$TK_RESULTS/suite.txt
base_results=$TK_RESULTS

# Everything below avoids starting programs in loops: under TCG on a
# loaded host each exec over 9p costs a sizeable fraction of a second.

# Print the parent pid of process $1 (nothing if it is gone).
ppid_of() {
	local key value
	while read -r key value; do
		[ "$key" = PPid: ] && { echo "$value"; return; }
	done 2>/dev/null <"/proc/$1/status"
}

# Fill the associative array named $1 with the mount points (second
# field of /proc/self/mounts, octal escapes kept) and the loaded modules
# (as module:NAME).
declare -A before=()
snapshot() {
	local -n into=$1
	local dev mnt rest
	while read -r dev mnt rest; do into[$mnt]=1; done </proc/self/mounts
	while read -r dev rest; do into[module:$dev]=1; done </proc/modules
}
snapshot before

# Our own chain of ancestors, which the sweep must spare.
declare -A keep=([1]=1)
pid=$$
while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
	keep[$pid]=1
	pid=$(ppid_of "$pid")
done

# Kill processes that a test left running: after the test exits they are
# orphans adopted by PID 1. Repeats because their children are orphaned
# in turn; TERM first so that daemons can clean up, then KILL.
sweep_processes() {
	local sig round p found cmd
	for round in 1 2 3 4 5 6; do
		sig=TERM
		[ "$round" -gt 2 ] && sig=KILL
		found=0
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			[ "$(ppid_of "$p")" = 1 ] || continue
			[ -n "${keep[$p]:-}" ] && continue
			read -r -d "" cmd 2>/dev/null <"/proc/$p/cmdline"
			echo "vm-suite: killing left-over process $p ($cmd)"
			kill "-$sig" "$p" 2>/dev/null
			found=1
		done
		[ "$found" = 0 ] && return 0
		sleep 1
	done
}

# Undo mounts and module loads a test left behind, newest first.
sweep_mounts_and_modules() {
	local -a mounts=() modules=()
	local dev mnt rest i round
	while read -r dev mnt rest; do
		[ -n "${before[$mnt]:-}" ] || mounts=("$mnt" "${mounts[@]}")
	done </proc/self/mounts
	for mnt in "${mounts[@]}"; do
		mnt=$(printf '%b' "$mnt")
		echo "vm-suite: unmounting left-over mount $mnt"
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	done
	for round in 1 2 3; do
		modules=()
		while read -r dev rest; do
			[ -n "${before[module:$dev]:-}" ] || modules+=("$dev")
		done </proc/modules
		[ "${#modules[@]}" -gt 0 ] || return 0
		for i in "${modules[@]}"; do
			rmmod "$i" 2>/dev/null &&
				echo "vm-suite: removed left-over module $i"
		done
	done
}

# Run one test; print PASS or FAIL with the reason to the suite file.
run_test() {
	local limit=$1 test=$2 name dir start rc ms why reports pid tail_pid
	name=${test#tests/vm/}
	dir=$base_results/tests/${name%.sh}
	mkdir -p "$dir" "/tmp/vm-test/${name%.sh}/home" "/tmp/vm-test/${name%.sh}/tmp"
	echo "START $test" >>"$suite"
	echo "vm-suite: ---- $test"
	first_line=$(kmsg_lines)
	start=$(date +%s%N)
	if [ -x "$test" ]; then set -- "$test"; else set -- bash "$test"; fi
	TK_RESULTS=$dir HOME=/tmp/vm-test/${name%.sh}/home \
		TMPDIR=/tmp/vm-test/${name%.sh}/tmp \
		timeout -k 5 "$limit" "$@" </dev/null >"$dir/output.log" 2>&1 &
	pid=$!
	tail -n +1 -f --pid="$pid" "$dir/output.log" 2>/dev/null &
	tail_pid=$!
	wait "$pid"
	rc=$?
	# Not a bare wait: the kernel log follower runs until the end.
	wait "$tail_pid"
	ms=$((($(date +%s%N) - start) / 1000000))
	sweep_processes
	sweep_mounts_and_modules
	sleep 0.2 # let the follower write what the sweep caused
	tail -n "+$((first_line + 1))" "$kmsg" >"$dir/dmesg.txt"
	why=""
	[ "$rc" = 0 ] || why="exit status $rc"
	# 137: the test ignored TERM and timeout had to KILL it.
	if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ "$ms" -ge $((limit * 1000)) ]; }; then
		why="timed out after $limit s"
	fi
	reports=$(vm_kernel_reports "$dir/dmesg.txt" /dev/null | head -n 3 | tr '\n' ';')
	[ -n "$reports" ] && why="${why:+$why; }kernel reported: $reports"
	if [ -z "$why" ]; then
		echo "PASS $test $ms" >>"$suite"
	else
		echo "FAIL $test $ms $why" >>"$suite"
	fi
}

# Every kernel message of the run, whoever clears the ring buffer (tests
# may run dmesg --clear); each test's share is cut from it.
kmsg=$base_results/kmsg.log
stdbuf -oL dmesg --follow-new >"$kmsg" 2>/dev/null &
kmsg_pid=$!
sleep 0.5 # it only sees messages logged after it opened /dev/kmsg
kmsg_lines() {
	local n=0 line
	while IFS= read -r line; do n=$((n + 1)); done <"$kmsg"
	echo "$n"
}

first=1
for spec in "$@"; do
	if [ "$first" = 0 ]; then
		mkfs.ext4 -q -F "$TK_DISK" || echo "vm-suite: cannot remake $TK_DISK"
	fi
	first=0
	run_test "${spec%%:*}" "${spec#*:}"
done
kill "$kmsg_pid" 2>/dev/null
exit 0
