#!/bin/bash
# The VM benchmark's guest side (scripts/bench-vm.sh boots it): the same
# workloads on plain ext4 and through a guard point with the real agent
# (every process permit,applykey), timed with the wall clock. Writes
# bench.json and bench.md to $TK_RESULTS. Not a test: no assertions.
#
# usage: scripts/bench-vm-guest.sh [FILE_MB] [RANDOM_READS]
# shellcheck source=../../tests/vm/crypt/lib/crypt.bash
source "$TK_REPO/tests/vm/crypt/lib/crypt.bash"

FILE_MB=${1:-256}
READS=${2:-2000}
SRC=$WORK/src.bin
TREE=$WORK/tree.tar
ROWS=$WORK/rows.tsv
: >"$ROWS"

now() { date +%s%N; }
# secs START: seconds since START (ns), 3 decimals.
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# row WORKLOAD UNIT SET VALUE
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; echo "bench: $3 $1: $4 $2"; }
rate() { awk -v mb="$1" -v s="$2" 'BEGIN { printf "%.1f", mb / s }'; }

# random_reads FILE COUNT: 4 KiB preads at aligned random offsets (fixed
# seed, so cold and cached passes read the same blocks); prints reads/s.
random_reads() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
blocks = os.fstat(fd).st_size // 4096
rng = random.Random(1)
offsets = [rng.randrange(blocks) * 4096 for _ in range(int(sys.argv[2]))]
start = time.monotonic()
for off in offsets:
    if len(os.pread(fd, 4096, off)) != 4096:
        sys.exit('short read at %d' % off)
print('%.0f' % (len(offsets) / (time.monotonic() - start)))
PY
}

run_set() {
	local set=$1 dir=$2 t
	mkdir -p "$dir"
	drop_caches
	t=$(now)
	dd if="$SRC" of="$dir/big" bs=1M conv=fsync status=none
	row "sequential write ${FILE_MB} MiB (fsync)" MiB/s "$set" "$(rate "$FILE_MB" "$(secs "$t")")"
	drop_caches
	t=$(now)
	dd if="$dir/big" of=/dev/null bs=1M status=none
	row "sequential read, cold" MiB/s "$set" "$(rate "$FILE_MB" "$(secs "$t")")"
	t=$(now)
	dd if="$dir/big" of=/dev/null bs=1M status=none
	row "sequential read, cached" MiB/s "$set" "$(rate "$FILE_MB" "$(secs "$t")")"
	drop_caches
	row "4 KiB random reads, cold" reads/s "$set" "$(random_reads "$dir/big" "$READS")"
	row "4 KiB random reads, cached" reads/s "$set" "$(random_reads "$dir/big" "$READS")"
	rm "$dir/big"
	sync
	mkdir "$dir/tree"
	t=$(now)
	tar -C "$dir/tree" -xf "$TREE"
	sync
	row "extract $TREE_FILES files (+sync)" s "$set" "$(secs "$t")"
	drop_caches
	t=$(now)
	ls -lR "$dir/tree" >/dev/null
	row "ls -lR, cold" s "$set" "$(secs "$t")"
	drop_caches
	t=$(now)
	find "$dir/tree" -type f -print0 | xargs -0 cat >/dev/null
	row "read every file of the tree, cold" s "$set" "$(secs "$t")"
	t=$(now)
	rm -rf "$dir/tree"
	sync
	row "delete the tree (+sync)" s "$set" "$(secs "$t")"
}

say "making $FILE_MB MiB of random data and the tree tarball"
head -c "${FILE_MB}M" /dev/urandom >"$SRC"
(cd /usr/share && find doc -type f -size -32k -print0 | tar --null -T - -cf "$TREE")
TREE_FILES=$(tar -tf "$TREE" | grep -vc '/$')

setup_crypt_env permit,applykey
# The tests' configuration logs at debug level (a line per new file); the
# benchmark measures the agent as shipped, at the default level.
sed -i 's/^  log_level: debug$/  log_level: info/' "$CONFIG"
grep -q '^  log_level: info$' "$CONFIG" || { echo "bench:vm: could not set log_level: info in $CONFIG" >&2; exit 1; }
start_real_agent
run_set plain "$PLAIN/bench"
run_set guard "$GP/bench"
stop_real_agent

/usr/bin/python3 - "$ROWS" "$TK_RESULTS" "$(uname -r)" "$FILE_MB" "$READS" <<'PY'
import json, sys
rows_file, out, kernel, file_mb, reads = sys.argv[1:]
rows = {}
order = []
for line in open(rows_file):
    workload, unit, which, value = line.rstrip('\n').split('\t')
    if workload not in rows:
        order.append(workload)
        rows[workload] = {'workload': workload, 'unit': unit}
    rows[workload][which] = float(value)
results = []
for w in order:
    r = rows[w]
    # For times, lower is better: the ratio is still guard / plain.
    r['ratio'] = round(r['guard'] / r['plain'], 3) if r.get('plain') else None
    results.append(r)
doc = {'kernel': kernel, 'file_mb': int(file_mb), 'random_reads': int(reads),
       'note': 'QEMU TCG guest, 2 vCPUs; ratio = guard point / plain ext4',
       'results': results}
json.dump(doc, open(out + '/bench.json', 'w'), indent=2)
lines = ['| workload | unit | plain ext4 | guard point | guard/plain |',
         '|---|---|---:|---:|---:|']
for r in results:
    lines.append('| %s | %s | %s | %s | %s |' % (
        r['workload'], r['unit'], r.get('plain'), r.get('guard'), r['ratio']))
open(out + '/bench.md', 'w').write(
    '# VM benchmark: plain ext4 and a guard point\n\n' +
    'Guest kernel %s under QEMU TCG (no KVM), 2 vCPUs. ' % kernel +
    'Ratios are guard point / plain ext4 (for s, lower is better).\n\n' +
    '\n'.join(lines) + '\n')
PY
cat "$TK_RESULTS/bench.md"
