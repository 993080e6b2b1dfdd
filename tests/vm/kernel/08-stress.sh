#!/bin/bash
# Concurrency: parallel writers, readers, renames, truncates and mmap
# users in one guard point while the agent is killed and restarted and the
# policy generation changes. The workers' files are encrypted (applykey,
# the fake agent's toy transform), so their data path loses its agent
# again and again; the random I/O file is seen as stored bytes (no
# applykey), so it needs no agent once open and its data must stay intact.
# The kernel reports nothing, and unmount and unload succeed.
# vm-timeout: 240
source "$(dirname "$0")/lib/common.bash"

IO=(/usr/bin/python3 "$(dirname "$0")/lib/io_check.py")
REF=$WORK/ref
mkdir -p "$REF"

load_module timeout_ms=2000
mount_disk
mount_gp
AGENT_ARGS=(--crypt --ttl 200 --rule 'permit;path=/rand' --rule 'permit,applykey')
start_agent "${AGENT_ARGS[@]}"

STOP=$WORK/stop
rm -f "$STOP"

# worker N: file churn until told to stop; denials while the agent is
# away are expected and ignored.
worker() (
	set +e +o pipefail
	n=$1 i=0 d=$GP/w$1
	mkdir -p "$d" 2>/dev/null
	while [ ! -e "$STOP" ]; do
		i=$((i + 1))
		dd if=/dev/urandom of="$d/f$i" bs=7000 count=3 status=none 2>/dev/null
		cat "$d/f$i" >/dev/null 2>&1
		truncate -s $((i * 333)) "$d/f$i" 2>/dev/null
		mv "$d/f$i" "$d/g$i" 2>/dev/null
		ln "$d/g$i" "$d/h$i" 2>/dev/null
		ls -l "$d" >/dev/null 2>&1
		rm -f "$d/h$i" 2>/dev/null
		[ $((i % 4)) = 0 ] && rm -f "$d/g$((i - 1))" 2>/dev/null
	done
	echo "$i" >"$WORK/worker$n.rounds"
)

"${IO[@]}" random "$GP/rand" "$REF/rand" 5 300 notrunc >"$WORK/rand.out" 2>&1 &
random_pid=$!
# Its files are opened (and decided) before the churn starts.
for i in $(seq 1 100); do [ -e "$REF/rand" ] && break; sleep 0.2; done
workers=()
for n in 1 2 3 4; do
	worker "$n" &
	workers+=($!)
done

# Agent churn while the workers run. The random I/O file was opened with
# its decisions made, so its reads and writes keep working throughout.
for round in 1 2 3; do
	sleep 2
	kill -USR1 "$AGENT_PID" 2>/dev/null
	sleep 1
	stop_agent KILL
	sleep 1
	start_agent "${AGENT_ARGS[@]}"
done

touch "$STOP"
say "churn done: $(stat_value status requests) requests, $(stat_value status denies) denies"
wait "$random_pid" && say "ok: random I/O during agent churn" ||
	fail "random I/O during agent churn: $(cat "$WORK/rand.out")"
wait "${workers[@]}" || true
say "workers finished: $(cat "$WORK"/worker*.rounds | tr '\n' ' ')rounds"

expect_ok "mmap after churn" "${IO[@]}" mmap "$GP/mapped"
expect_ok "random file intact" cmp "$REF/rand" "$GP/rand"
stop_agent
expect_ok "unmount" umount "$GP"
expect_ok "lower random file intact" cmp "$REF/rand" "$GP/rand"
expect_ok "unload" rmmod takakrypt
finish
