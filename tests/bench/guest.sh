#!/bin/bash
# The guest side of `make bench` (scripts/bench-run.sh boots it): sets up
# plain ext4, a Takakrypt guard point, eCryptfs, gocryptfs and fscrypt on
# one ext4 filesystem, then runs every workload on each set-up in turn,
# REPS times (interleaved: rep 1 of every set-up, then rep 2, ...).
# Writes rows.tsv, failures.txt and setups.txt to $TK_RESULTS. A set-up
# that cannot be made is recorded and left out; the others go on.
#
# usage: tests/bench/guest.sh --inputs DIR [--reps N] [--dd-count N]
#            [--fio-seconds N] [--db-seconds N] [--db-rows N]
#            [--setups plain,takakrypt,ecryptfs,gocryptfs,fscrypt]
#            [--step-timeout S]
# --reps 0 only makes the set-ups (a check that they work).
# DIR (on the host, read-only here) holds tree.tar, tree.md5, db-template/
# and bin/fscrypt-setup, made by scripts/bench-run.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/setups.bash
source "$here/lib/setups.bash"
# shellcheck source=lib/workloads.bash
source "$here/lib/workloads.bash"

INPUTS="" REPS=3 DD_COUNT=2000 FIO_SECONDS=10 DB_SECONDS=30 DB_ROWS=10000
SETUPS=plain,takakrypt,ecryptfs,gocryptfs,fscrypt
while [ $# -gt 0 ]; do
	case $1 in
	--inputs) INPUTS=$2 ;;
	--reps) REPS=$2 ;;
	--dd-count) DD_COUNT=$2 ;;
	--fio-seconds) FIO_SECONDS=$2 ;;
	--db-seconds) DB_SECONDS=$2 ;;
	--db-rows) DB_ROWS=$2 ;;
	--setups) SETUPS=$2 ;;
	--step-timeout) STEP_TIMEOUT=$2 ;;
	*) echo "bench-guest: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift 2
done
[ -d "$INPUTS" ] || { echo "bench-guest: expected --inputs DIR, got '$INPUTS'" >&2; exit 2; }

BENCH_BIN=$INPUTS/bin
BENCH_TMP=${TMPDIR:-/tmp}/tkb
ROWS=$TK_RESULTS/rows.tsv
FAILURES=$TK_RESULTS/failures.txt
mkdir -p "$BENCH_TMP" "$BENCH_RUN"
: >"$ROWS"
: >"$FAILURES"
trap teardown_all EXIT

# Inputs go to tmpfs first, so reading them costs no 9p round trips.
cp "$INPUTS/tree.tar" "$INPUTS/tree.md5" "$BENCH_TMP/" || exit 1
load_modules
mount_bench_disk || { echo "bench-guest: cannot mount $TK_DISK" >&2; exit 1; }

# Every set-up is made before the first workload runs.
declare -A DIRS
ready=()
IFS=, read -r -a wanted <<<"$SETUPS"
for s in "${wanted[@]}"; do
	if dir=$("setup_$s" 2>"$BENCH_TMP/setup.err"); then
		if [ "$DB_SECONDS" != 0 ] && ! cp -a "$INPUTS/db-template" "$dir/mysql" 2>>"$BENCH_TMP/setup.err"; then
			record_failure 0 "$s" setup "cp -a db-template $dir/mysql" "$(cat "$BENCH_TMP/setup.err")"
		fi
		DIRS[$s]=$dir
		ready+=("$s")
		printf '%s\tready\t%s\n' "$s" "$dir" >>"$TK_RESULTS/setups.txt"
	else
		record_failure 0 "$s" setup "setup_$s" "$(cat "$BENCH_TMP/setup.err")"
		printf '%s\tfailed\t-\n' "$s" >>"$TK_RESULTS/setups.txt"
		echo "bench: set-up $s failed: $(tail -n 3 "$BENCH_TMP/setup.err")"
	fi
done
echo "bench: set-ups ready: ${ready[*]}"

for rep in $(seq 1 "$REPS"); do
	for s in "${ready[@]}"; do
		run_workloads "$rep" "$s" "${DIRS[$s]}"
	done
done
# Failed set-ups still get rows, so the report shows the gap.
for s in "${wanted[@]}"; do
	[ -n "${DIRS[$s]:-}" ] && continue
	for w in dd-write:MB/s dd-read-cold:MB/s dd-read-cached:MB/s fio-randread:IOPS \
		fio-randwrite:IOPS untar:s ls-lR:s md5sum:s rm-rf:s sysbench:tps; do
		[ "$DB_SECONDS" = 0 ] && [ "${w%%:*}" = sysbench ] && continue
		printf '1\t%s\t%s\t%s\tfailed\n' "$s" "${w%%:*}" "${w#*:}" >>"$ROWS"
	done
done
uname -r >"$TK_RESULTS/kernel.txt"
grep -m1 'model name' /proc/cpuinfo >>"$TK_RESULTS/kernel.txt"
exit 0
