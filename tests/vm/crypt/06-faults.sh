#!/bin/bash
# Crypt requests that fail, with the fake agent (tests/vm/tools/
# fake_agent.py --crypt): answered with an error status, with a data unit
# too short, with a unit too many, with a wrong length field, or never
# answered (timeout_ms is short). Before the fault the toy transform
# works; once it starts a read fails with EIO and gives no byte, a write
# fails at write or fsync with EIO, and the lower file never holds the
# plaintext. The harness checks that the kernel reported nothing.
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

# A working agent again: the files read back (the written ones are
# either absent, empty or whole; never plaintext on disk).
start_agent --rule permit,applykey --ttl 60000 --crypt
drop_caches
for kind in "${FAULT_KINDS[@]}"; do
	same "r-$kind" "(after the $kind fault, with a working agent)"
done
stop_agent
umount "$GP"
for kind in "${FAULT_KINDS[@]}"; do
	[ -e "$GP/w-$kind" ] || continue
	check "w-$kind: no plaintext after unmount" "0" \
		"$(grep -c -a -F -- "FAULT-MARKER-$kind" "$GP/w-$kind" || true)"
done
finish
