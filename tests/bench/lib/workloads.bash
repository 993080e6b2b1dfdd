# The workloads of `make bench`, each run in one set-up's directory and
# timed with the wall clock. Every figure is a line "REP SETUP WORKLOAD
# UNIT VALUE" in $ROWS; a workload that fails writes its command, output
# and the kernel log's tail to $FAILURES and its row says "failed".
# Sourced by tests/bench/guest.sh, not run.

# Bounds each command, so a stuck set-up costs minutes, not the run.
STEP_TIMEOUT=${STEP_TIMEOUT:-900}
DD_BS=131072

now() { date +%s%N; }
# secs START: seconds since START (ns).
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# per_sec AMOUNT SECONDS
per_sec() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s }'; }

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# row REP SETUP WORKLOAD UNIT VALUE
row() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"
	echo "bench: rep $1 $2 $3: $5 $4"
}

# step REP SETUP WORKLOAD CMD...: runs CMD bounded; on failure records it.
step() {
	local rep=$1 setup=$2 workload=$3 out rc
	shift 3
	out=$(timeout -k 10 "$STEP_TIMEOUT" "$@" 2>&1)
	rc=$?
	[ "$rc" = 0 ] && return 0
	record_failure "$rep" "$setup" "$workload" "$* (exit status $rc)" "$out"
	return 1
}

# record_failure REP SETUP WORKLOAD COMMAND OUTPUT
record_failure() {
	{
		echo "== rep $1, $2, $3"
		echo "command: $4"
		printf '%s\n' "$5" | tail -n 20
		echo "-- dmesg (tail)"
		dmesg | tail -n 15
	} >>"$FAILURES"
}

# timed REP SETUP WORKLOAD UNIT AMOUNT CMD...: AMOUNT 0 records seconds,
# otherwise AMOUNT per second.
timed() {
	local rep=$1 setup=$2 workload=$3 unit=$4 amount=$5 t s
	shift 5
	t=$(now)
	if step "$rep" "$setup" "$workload" "$@"; then
		s=$(secs "$t")
		[ "$amount" = 0 ] || s=$(per_sec "$amount" "$s")
		row "$rep" "$setup" "$workload" "$unit" "$s"
	else
		row "$rep" "$setup" "$workload" "$unit" failed
		return 1
	fi
}

# dd_rw REP SETUP DIR: sequential write with fsync, cold read, cached read.
dd_rw() {
	local rep=$1 setup=$2 f=$3/dd.bin mb
	mb=$(awk -v n="$DD_COUNT" -v b="$DD_BS" 'BEGIN { printf "%.6f", n * b / 1e6 }')
	drop_caches
	if ! timed "$rep" "$setup" dd-write MB/s "$mb" \
		dd if=/dev/zero of="$f" bs="$DD_BS" count="$DD_COUNT" conv=fsync status=none; then
		row "$rep" "$setup" dd-read-cold MB/s failed
		row "$rep" "$setup" dd-read-cached MB/s failed
		return 1
	fi
	drop_caches
	timed "$rep" "$setup" dd-read-cold MB/s "$mb" dd if="$f" of=/dev/null bs="$DD_BS" status=none
	timed "$rep" "$setup" dd-read-cached MB/s "$mb" dd if="$f" of=/dev/null bs="$DD_BS" status=none
}

# fio_iops REP SETUP FILE RW WORKLOAD [FIO_OPTIONS]: 4 KiB buffered psync
# for FIO_SECONDS on the pre-filled FILE after dropping caches; IOPS are
# fio's completed I/Os over the wall time (which includes the final fsync
# of the write test).
fio_iops() {
	local rep=$1 setup=$2 f=$3 rw=$4 workload=$5 json t s ios
	shift 5
	json=$BENCH_TMP/fio.json
	drop_caches
	t=$(now)
	if step "$rep" "$setup" "$workload" fio --name="$workload" --filename="$f" \
		--rw="$rw" --bs=4k --ioengine=psync --direct=0 --size="$((DD_COUNT * DD_BS))" \
		--time_based --runtime="$FIO_SECONDS" --randseed=1 \
		--output-format=json --output="$json" "$@"; then
		s=$(secs "$t")
		ios=$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]; print(j["read"]["total_ios"] + j["write"]["total_ios"])' "$json")
		row "$rep" "$setup" "$workload" IOPS "$(per_sec "$ios" "$s")"
	else
		row "$rep" "$setup" "$workload" IOPS failed
	fi
}

# tree_ops REP SETUP DIR: extract the tarball (+sync), ls -lR cold,
# md5sum -c of every file cold, rm -rf (+sync).
tree_ops() {
	local rep=$1 setup=$2 d=$3/tree
	mkdir -p "$d"
	drop_caches
	if ! timed "$rep" "$setup" untar s 0 sh -c 'tar -C "$1" -xf "$2" && sync' - "$d" "$BENCH_TMP/tree.tar"; then
		row "$rep" "$setup" ls-lR s failed
		row "$rep" "$setup" md5sum s failed
	else
		drop_caches
		timed "$rep" "$setup" ls-lR s 0 sh -c 'ls -lR "$1" >/dev/null' - "$d"
		drop_caches
		timed "$rep" "$setup" md5sum s 0 sh -c 'cd "$1" && md5sum -c --quiet "$2"' - "$d" "$BENCH_TMP/tree.md5"
	fi
	timed "$rep" "$setup" rm-rf s 0 sh -c 'rm -rf "$1" && sync' - "$d"
}

# db_start DIR SOCK: MariaDB on DIR/mysql, local socket only.
db_start() {
	local i
	mariadbd --no-defaults --datadir="$1/mysql" --socket="$2" --pid-file="$2.pid" \
		--user=root --skip-networking --skip-grant-tables \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		--innodb-flush-method=fsync --innodb-use-native-aio=0 --skip-log-bin \
		--log-error="$BENCH_TMP/mariadb-$(basename "$1").err" &
	for i in $(seq 1 300); do
		mariadb-admin -S "$2" ping >/dev/null 2>&1 && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.2
	done
	echo "mariadbd: expected it to answer on $2, it did not" >&2
	tail -n 20 "$BENCH_TMP/mariadb-$(basename "$1").err" >&2
	return 1
}

db_stop() {
	local pid
	pid=$(cat "$1.pid" 2>/dev/null)
	mariadb-admin -S "$1" shutdown >/dev/null 2>&1
	[ -n "$pid" ] && while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
	true
}

# db_run REP SETUP DIR: sysbench oltp_read_write for DB_SECONDS on the
# prepared table; transactions per second.
db_run() {
	local rep=$1 setup=$2 dir=$3 sock=$BENCH_TMP/db.sock out tps
	out=$BENCH_TMP/sysbench.out
	drop_caches
	if db_start "$dir" "$sock" 2>"$BENCH_TMP/db_start.err" ||
		{ record_failure "$rep" "$setup" sysbench "db_start $dir" "$(cat "$BENCH_TMP/db_start.err")"; false; } &&
		step "$rep" "$setup" sysbench sh -c 'sysbench oltp_read_write --db-driver=mysql \
			--mysql-socket="$1" --mysql-user=root --mysql-db=sbtest --tables=1 \
			--table-size="$2" --threads=1 --time="$3" --rand-seed=1 run >"$4"' \
			- "$sock" "$DB_ROWS" "$DB_SECONDS" "$out"; then
		tps=$(sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' "$out")
		row "$rep" "$setup" sysbench tps "${tps:-failed}"
	else
		row "$rep" "$setup" sysbench tps failed
	fi
	db_stop "$sock"
}

# run_workloads REP SETUP DIR: every workload once.
run_workloads() {
	local rep=$1 setup=$2 dir=$3
	if dd_rw "$rep" "$setup" "$dir"; then
		# fio works on random data of the same size: dd's file is zeros,
		# which Takakrypt stores as zeros without encrypting them.
		rm -f "$dir/dd.bin"
		head -c "$((DD_COUNT * DD_BS))" /dev/urandom >"$dir/fio.bin"
		sync
		fio_iops "$rep" "$setup" "$dir/fio.bin" randread fio-randread
		fio_iops "$rep" "$setup" "$dir/fio.bin" randwrite fio-randwrite --end_fsync=1
	else
		row "$rep" "$setup" fio-randread IOPS failed
		row "$rep" "$setup" fio-randwrite IOPS failed
	fi
	rm -f "$dir/dd.bin" "$dir/fio.bin"
	sync
	tree_ops "$rep" "$setup" "$dir"
	[ "$DB_SECONDS" = 0 ] || db_run "$rep" "$setup" "$dir"
}
