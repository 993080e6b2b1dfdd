#!/usr/bin/env bash
# Run every VM test script (tests/vm/<area>/*.sh) in QEMU guests and
# report each as PASS or FAIL; the last line is "N passed, N failed" and
# the exit status is non-zero if any failed.
#
# usage: tests/vm/run-all.sh [AREA|TEST_PATH ...]
#
# The scripts of one area share a boot (a boot costs ~7 s under TCG); the
# guest runs them one by one and cleans up between them (see
# lib/guest-suite.sh). If the guest dies or times out, the test that was
# running fails and the rest of the area continue in a fresh boot. A
# script may set its own time limit with a line "# vm-timeout: SECONDS"
# (default 300).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2
# shellcheck source=lib/kernel-reports.sh
source "$here/lib/kernel-reports.sh"

# List the test scripts selected by the arguments (all areas by default).
select_tests() {
	local arg
	[ $# -gt 0 ] || set -- tests/vm/*/
	for arg in "$@"; do
		arg=${arg%/}
		# An area name first: "kernel" is also a directory of the repo.
		if [ -d "tests/vm/$arg" ]; then
			arg=tests/vm/$arg
		elif [ ! -d "$arg" ]; then
			echo "$arg"
			continue
		fi
		[ "$(basename "$arg")" = lib ] && continue
		find "$arg" -maxdepth 1 -name '*.sh' -type f | LC_ALL=C sort
	done
}

time_limit() {
	local t
	t=$(sed -nE 's/^# vm-timeout: *([0-9]+) *$/\1/p' "$1" | head -n 1)
	echo "${t:-300}"
}

# The test disk of an area: the largest "# vm-disk-mb: N" of its tests,
# else vm-run.sh's 256 MiB (a sparse file: only what is written is used).
disk_size() {
	local t n mb=256
	for t in "$@"; do
		n=$(sed -nE 's/^# vm-disk-mb: *([0-9]+) *$/\1/p' "$t" | head -n 1)
		[ -n "$n" ] && [ "$n" -gt "$mb" ] && mb=$n
	done
	echo "$mb"
}

passed=0 failed=0
summary=()
details=() # results directory of each failed test that has one
record() { # PASS|FAIL test detail
	summary+=("$1 $2${3:+ ($3)}")
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# Boot once for the given tests; on a guest crash, blame the running
# test and boot again for the remaining ones.
run_area() {
	local area=$1; shift
	local pending=("$@") specs total t dir_file run_dir line verb test ms rest done_tests
	while [ "${#pending[@]}" -gt 0 ]; do
		specs=() total=60
		for t in "${pending[@]}"; do
			specs+=("$(time_limit "$t"):$t")
			total=$((total + $(time_limit "$t") + 10))
		done
		dir_file=$(mktemp)
		"$here/vm-run.sh" --name "$area" --timeout "$total" \
			--disk-mb "$(disk_size "${pending[@]}")" \
			--run-dir-file "$dir_file" -- tests/vm/lib/guest-suite.sh "${specs[@]}"
		run_dir=$(cat "$dir_file")
		rm -f "$dir_file"
		done_tests=" "
		local started=""
		while read -r verb test ms rest; do
			case $verb in
			START) started=$test ;;
			PASS) record PASS "$test" "$((ms / 1000)).$((ms % 1000 / 100)) s"; done_tests+="$test "; started="" ;;
			FAIL)
				record FAIL "$test" "$rest; see ${run_dir#"$repo"/}/tests/"
				t=${test#tests/vm/}
				details+=("$test:$run_dir/tests/${t%.sh}")
				done_tests+="$test " started="" ;;
			esac
		done < <(cat "$run_dir/suite.txt" 2>/dev/null)
		if [ -n "$started" ]; then
			record FAIL "$started" "guest died or timed out during this test; see ${run_dir#"$repo"/}/console.log"
			done_tests+="$started "
		elif [ "$done_tests" = " " ]; then
			for t in "${pending[@]}"; do
				record FAIL "$t" "guest did not start the suite; see ${run_dir#"$repo"/}/console.log"
			done
			return
		fi
		local rest_tests=()
		for t in "${pending[@]}"; do
			case $done_tests in *" $t "*) ;; *) rest_tests+=("$t") ;; esac
		done
		pending=("${rest_tests[@]+"${rest_tests[@]}"}")
	done
}

mapfile -t tests < <(select_tests "$@")
if [ "${#tests[@]}" -eq 0 ]; then
	echo "run-all: no VM test scripts found under tests/vm/*/"
	echo "0 passed, 0 failed"
	exit 0
fi
start=$(date +%s)
mapfile -t areas < <(for t in "${tests[@]}"; do dirname "$t"; done | LC_ALL=C sort -u)
for area in "${areas[@]}"; do
	list=()
	for t in "${tests[@]}"; do
		[ "$(dirname "$t")" = "$area" ] || continue
		if [ -f "$t" ]; then list+=("$t"); else record FAIL "$t" "no such test script"; fi
	done
	[ "${#list[@]}" -eq 0 ] || run_area "$(basename "$area")" "${list[@]}"
done
echo
echo "==== VM tests ($(($(date +%s) - start)) s)"
printf '%s\n' "${summary[@]}"
# A failed test's last words and the kernel's first report, so that a
# log that keeps only its end still says why.
for d in "${details[@]+"${details[@]}"}"; do
	echo "---- ${d%%:*}: last lines of its output"
	tail -n 12 "${d#*:}/output.log" 2>/dev/null
	if grep -qaE "$VM_REPORT_RE" "${d#*:}/dmesg.txt" 2>/dev/null; then
		echo "---- ${d%%:*}: the kernel's first report"
		grep -aE -m 1 -A 24 "$VM_REPORT_RE" "${d#*:}/dmesg.txt"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
