#!/bin/bash
# Crypt requests that fail, with the fake agent (tests/vm/tools/
# fake_agent.py --crypt): answered with an error status, with a data unit
# too short, with a unit too many, with a wrong length field, or never
# answered (timeout_ms is short). Before the fault the toy transform
# works; once it starts a read fails with EIO and gives no byte, a write
# fails at write or fsync with EIO, and the lower file never holds the
# plaintext. Runs the agent never answered (it went away, or timed out)
# stay dirty and a working agent stores them later. The harness checks
# that the kernel reported nothing.
# vm-timeout: 700
source "$(dirname "$0")/lib/crypt.bash"

PARAM=/sys/module/takakrypt/parameters/timeout_ms
IO=(/usr/bin/python3 "$TOOLS/crypt_io.py")
FAULT_KINDS=(error short-unit extra-unit bad-length ignore)

load_module timeout_ms=1500
check "timeout_ms" "1500" "$(cat "$PARAM")"
mount_disk
mkdir -p "$LOWER_MNT"
mount "$TK_DISK" "$LOWER_MNT"
mount_gp

for kind in "${FAULT_KINDS[@]}"; do
	marker="FAULT-MARKER-$kind-$RANDOM$RANDOM"
	start_agent --rule permit,applykey --ttl 60000 --crypt \
		--crypt-fault "$kind" --fault-on-signal
	# Before the fault: the toy transform round-trips.
	for i in $(seq 1 400); do echo "$marker $i"; done >"$REF/r-$kind"
	cp "$REF/r-$kind" "$GP/r-$kind"
	drop_caches
	same "r-$kind" "(before the $kind fault)"
	check_stored "r-$kind" "$(stat -c %s "$REF/r-$kind")" "$marker"

	kill -USR2 "$AGENT_PID"
	drop_caches
	expect_eio "read with $kind" "$GP/r-$kind"
	check "write with $kind" "eio" "$("${IO[@]}" write-eio "$GP/w-$kind" "$marker" 2>&1)"
	sync
	check "w-$kind: marker not in the lower file" "0" \
		"$(grep -c -a -F -- "$marker" "$LOWER/w-$kind" 2>/dev/null || true)"
	check "r-$kind: marker not in the lower file" "0" \
		"$(grep -c -a -F -- "$marker" "$LOWER/r-$kind")"
	faults=$(grep -c "\"fault\": \"$kind\"" "$AGENT_LOG" || true)
	check "$kind: the agent answered crypt requests with the fault" "yes" \
		"$([ "${faults:-0}" -gt 0 ] && echo yes || echo no)"
	stop_agent
	cp "$AGENT_LOG" "$TK_RESULTS/agent-$kind.log"
	: >"$AGENT_LOG"
done

# Runs no agent answered are kept, not lost: their pages stay dirty and
# the next agent stores them. kept-timeout: the agent holds the requests
# past timeout_ms; kept-gone: it is killed with the requests in flight.
# A sync that met either reports nothing stored: the file's fsync fails.
start_agent --rule permit,applykey --ttl 60000 --crypt \
	--crypt-fault ignore --fault-on-signal
kept_marker="KEPT-MARKER-$RANDOM$RANDOM"
for name in kept-timeout kept-gone; do
	for i in $(seq 1 12000); do echo "$kept_marker $name $i"; done >"$REF/$name"
done
cp "$REF/kept-timeout" "$GP/kept-timeout"
kill -USR2 "$AGENT_PID"
check "kept-timeout: fsync with no answer" "eio" \
	"$("${IO[@]}" fsync-eio "$GP/kept-timeout" 2>&1)"
cp "$REF/kept-gone" "$GP/kept-gone"
gone_ino=$(stat -c %i "$LOWER/kept-gone")
: >"$AGENT_LOG"
sync "$GP/kept-gone" 2>/dev/null &
sync_pid=$!
sleep 0.5
stop_agent KILL
sync_status=0
wait "$sync_pid" || sync_status=$?
check "kept-gone: fsync with the agent gone fails" "yes" \
	"$([ "$sync_status" -ne 0 ] && echo yes || echo no)"
check "kept-gone: the agent held its runs when it went" "yes" \
	"$(grep -q "\"crypt\": \"encrypt\".*\"inode\": $gone_ino,.*\"fault\": \"ignore\"" \
		"$AGENT_LOG" && echo yes || echo no)"
: >"$AGENT_LOG"
for name in kept-timeout kept-gone; do
	check "$name: nothing stored without an agent" "0" \
		"$(grep -c -a -F -- "$kept_marker" "$LOWER/$name" || true)"
done

# Background writeback that no agent answers keeps the pages too, and
# flags only what fsync reads: once the next agent stored them, a
# truncate (which writes back first and checks the file's error flags)
# succeeds. An open descriptor keeps the inode, and so its flags,
# through the drop_caches below.
start_agent --rule permit,applykey --ttl 60000 --crypt \
	--crypt-fault ignore --fault-on-signal
for i in $(seq 1 3000); do echo "$kept_marker kept-bg $i"; done >"$REF/kept-bg"
kill -USR2 "$AGENT_PID"
expire=$(cat /proc/sys/vm/dirty_expire_centisecs)
interval=$(cat /proc/sys/vm/dirty_writeback_centisecs)
echo 10 >/proc/sys/vm/dirty_expire_centisecs
echo 10 >/proc/sys/vm/dirty_writeback_centisecs
cp "$REF/kept-bg" "$GP/kept-bg"
exec 9<"$GP/kept-bg"
bg_seen="\"crypt\": \"encrypt\".*\"inode\": $(stat -c %i "$LOWER/kept-bg"),.*\"fault\": \"ignore\""
for i in $(seq 1 50); do
	grep -q "$bg_seen" "$AGENT_LOG" && break
	sleep 0.2
done
sleep 2		# past timeout_ms: the run is kept
echo "$expire" >/proc/sys/vm/dirty_expire_centisecs
echo "$interval" >/proc/sys/vm/dirty_writeback_centisecs
check "kept-bg: background writeback sent it to the silent agent" "yes" \
	"$(grep -q "$bg_seen" "$AGENT_LOG" && echo yes || echo no)"
stop_agent KILL
: >"$AGENT_LOG"

# A working agent again: the files read back (the written ones are
# either absent, empty or whole; never plaintext on disk), and the kept
# runs are stored by it.
start_agent --rule permit,applykey --ttl 60000 --crypt
drop_caches
for kind in "${FAULT_KINDS[@]}"; do
	same "r-$kind" "(after the $kind fault, with a working agent)"
done
for name in kept-timeout kept-gone kept-bg; do
	check_stored "$name" "$(stat -c %s "$REF/$name")" "$kept_marker"
	same "$name" "(stored by the next agent)"
done
expect_ok "kept-bg: truncate once stored" truncate -s 20000 "$GP/kept-bg"
exec 9<&-
truncate -s 20000 "$REF/kept-bg"
same kept-bg "(stored, then truncated)"
stop_agent
umount "$GP"
for kind in "${FAULT_KINDS[@]}"; do
	[ -e "$GP/w-$kind" ] || continue
	check "w-$kind: no plaintext after unmount" "0" \
		"$(grep -c -a -F -- "FAULT-MARKER-$kind" "$GP/w-$kind" || true)"
done

# An unmount that finds dirty data and no agent cannot store it: the data
# is dropped, and the kernel says so; the lower file holds no plaintext.
mount_gp
start_agent --rule permit,applykey --ttl 60000 --crypt
echo "LOST-MARKER-$RANDOM" >"$GP/lost"
stop_agent KILL
expect_ok "unmount with dirty data and no agent" umount "$GP"
check "the kernel says what the unmount dropped" "yes" \
	"$(dmesg | grep -q 'unmounted with no agent to store the data of 1 file(s): dropped' && echo yes || echo no)"
check "lost: no plaintext in the lower file" "0" \
	"$(grep -c -a -F -- "LOST-MARKER" "$GP/lost" || true)"
finish
