#!/usr/bin/env bash
# The VM benchmark of the encrypted data path (`npm run bench:vm`): boots
# one guest with a bigger disk and more memory, runs scripts/bench-vm-guest.sh
# (sequential write and read, 4 KiB random reads, extracting, listing and
# deleting a tree of small files, on plain ext4 and through a guard point
# with the real agent), prints the table and saves it as
# build/bench-vm.md and build/bench-vm.json. Not a test: no assertions.
#
# usage: scripts/bench-vm.sh [--file-mb N] [--reads N]
# Needs the module, the addon and dist/ built (make module node).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

file_mb=256 reads=2000
while [ $# -gt 0 ]; do
	case $1 in
	--file-mb) file_mb=$2; shift 2 ;;
	--reads) reads=$2; shift 2 ;;
	*) echo "usage: scripts/bench-vm.sh [--file-mb N] [--reads N]" >&2; exit 2 ;;
	esac
done
for n in "$file_mb" "$reads"; do
	[[ $n =~ ^[0-9]+$ ]] || { echo "bench:vm: expected a number, got '$n'" >&2; exit 2; }
done
for f in kernel/takakrypt.ko dist/cli/main.js; do
	[ -e "$f" ] || { echo "bench:vm: $f is missing; run make module node first" >&2; exit 2; }
done

# The disk holds the big file twice over (plain, then the guard point's
# copy with its header) plus the tree; memory holds the source data.
disk_mb=$((file_mb * 3 + 512))
mem_mb=$((file_mb * 2 + 1024))
dir_file=$(mktemp)
trap 'rm -f "$dir_file"' EXIT
rc=0
tests/vm/vm-run.sh --name bench --quiet --timeout $((600 + file_mb * 8)) \
	--mem "$mem_mb" --disk-mb "$disk_mb" --run-dir-file "$dir_file" \
	-- scripts/bench-vm-guest.sh "$file_mb" "$reads" || rc=$?
run_dir=$(cat "$dir_file")
if [ "$rc" != 0 ] || [ ! -s "$run_dir/bench.json" ]; then
	echo "bench:vm: the guest failed (status $rc); its output:" >&2
	tail -n 30 "$run_dir/output.log" >&2 || true
	exit 1
fi
mkdir -p build
cp "$run_dir/bench.json" build/bench-vm.json
cp "$run_dir/bench.md" build/bench-vm.md
cat build/bench-vm.md
echo
echo "saved build/bench-vm.md and build/bench-vm.json (run: ${run_dir#"$repo"/})"
