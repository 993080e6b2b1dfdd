#!/usr/bin/env bash
# `make bench`: Takakrypt against plain ext4 and its peers (eCryptfs,
# gocryptfs, fscrypt) in one QEMU guest, plus the host's policy and crypto
# microbenchmarks. Writes build/bench/results.{md,json,png}. Not a test:
# it asserts nothing, it measures. See docs/BENCHMARKS.md.
#
# usage: scripts/bench-run.sh [--quick] [--reps N] [--dd-count N]
#            [--fio-seconds N] [--db-seconds N] [--db-rows N] [--tree-files N]
#            [--setups LIST] [--step-timeout S] [--no-micro] [--guest-avx2]
# --quick: one repetition with small sizes, for trying changes out.
# --guest-avx2: let the guest's programs use their AVX2 routines (see
# tests/vm/vm-run.sh; off by default for every set-up alike).
# Needs the module, the addon and dist/ built (make all).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
out=$repo/build/bench
inputs=$out/inputs

guest_args=() micro=1 db_rows=10000 tree_files=3000 vm_args=() guest_avx2=avoid
while [ $# -gt 0 ]; do
	case $1 in
	--quick) guest_args+=(--reps 1 --dd-count 200 --fio-seconds 3 --db-seconds 5); shift ;;
	--no-micro) micro=0; shift ;;
	--guest-avx2) vm_args+=(--guest-avx2); guest_avx2=keep; shift ;;
	--reps | --dd-count | --fio-seconds | --db-seconds | --db-rows)
		[[ ${2:-} =~ ^[0-9]+$ ]] || { echo "bench: $1 expects a number, got '${2:-}'" >&2; exit 2; }
		guest_args+=("$1" "$2")
		[ "$1" != --db-rows ] || db_rows=$2
		shift 2 ;;
	--setups | --step-timeout) guest_args+=("$1" "${2:?}"); shift 2 ;;
	--tree-files)
		[[ ${2:-} =~ ^[0-9]+$ ]] || { echo "bench: $1 expects a number, got '${2:-}'" >&2; exit 2; }
		tree_files=$2; shift 2 ;;
	*) sed -n '7,13p' "$0" | sed 's/^# //' >&2; exit 2 ;;
	esac
done
for f in kernel/takakrypt.ko dist/cli/main.js; do
	[ -e "$f" ] || { echo "bench: $f is missing; run make all first" >&2; exit 2; }
done

scripts/install-bench-deps.sh
mkdir -p "$inputs/bin"
scripts/bench-inputs.sh "$inputs" --db-rows "$db_rows" --tree-files "$tree_files"
gcc -O2 -Wall -Wextra -o "$inputs/bin/fscrypt-setup" tests/bench/fscrypt-setup.c

# The host microbenchmarks run first, while the guest is not using the cores.
if [ "$micro" = 1 ]; then
	npm run --silent bench:policy >"$out/policy.txt" 2>&1 || echo "bench:policy failed (status $?)" >>"$out/policy.txt"
	npm run --silent bench:crypto >"$out/crypto.txt" 2>&1 || echo "bench:crypto failed (status $?)" >>"$out/crypto.txt"
fi

dir_file=$(mktemp)
trap 'rm -f "$dir_file"' EXIT
rc=0
tests/vm/vm-run.sh --name bench-peers --quiet --timeout 10800 --mem 2048 --disk-mb 4096 \
	"${vm_args[@]}" --run-dir-file "$dir_file" -- tests/bench/guest.sh --inputs "$inputs" "${guest_args[@]}" || rc=$?
run_dir=$(cat "$dir_file")
if [ ! -s "$run_dir/rows.tsv" ]; then
	echo "bench: the guest produced no figures (status $rc); its output:" >&2
	tail -n 40 "$run_dir/output.log" >&2 || true
	exit 1
fi
for f in rows.tsv failures.txt setups.txt kernel.txt output.log dmesg.txt; do
	cp "$run_dir/$f" "$out/$f" 2>/dev/null || : >"$out/$f"
done
printf 'run=%s\nguest_status=%s\ndate=%s\nargs=%s\nguest_avx2=%s\n' "${run_dir#"$repo"/}" "$rc" \
	"$(date -u +%Y-%m-%dT%H:%MZ)" "${guest_args[*]:-} --tree-files $tree_files" "$guest_avx2" >"$out/meta.txt"
node scripts/bench-report.js "$out"
gnuplot -e "datafile='$out/chart.dat'; outfile='$out/results.png'" scripts/bench-chart.gp
cat "$out/results.md"
echo
echo "bench: saved $out/results.md, results.json, results.png (guest run: ${run_dir#"$repo"/})"
[ "$rc" = 0 ] || echo "bench: the guest exited with status $rc; see $out/output.log" >&2
