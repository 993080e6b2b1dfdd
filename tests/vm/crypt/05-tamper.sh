#!/bin/bash
# A damaged header or a missing key: reading through the guard point fails
# with EIO (at open or read, never a byte of garbage or of another file's
# plaintext) and the agent writes an audit record naming the reason.
# Cases: a flipped byte in the authenticator, the nonce, the magic and the
# format version; a file of zeros (read without the key) and an empty
# file (the header alone) whose authenticators are flipped; a key version removed from the key store; a
# whole key removed from the key store. Untouched files still read.
# vm-timeout: 900
source "$(dirname "$0")/lib/crypt.bash"

MARKER="TAMPER-MARKER-$RANDOM-$RANDOM"

# flip FILE OFFSET: invert one byte of the lower file in place.
flip() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
off = int(sys.argv[2])
b = os.pread(fd, 1, off)
os.pwrite(fd, bytes([b[0] ^ 0xff]), off)
os.close(fd)
PY
}

# refused NAME PATTERN: EIO through the guard point and an audit record
# for /NAME whose reason matches PATTERN (extended regexp, any case).
refused() {
	local name=$1 pattern=$2 reasons
	expect_eio "$name" "$GP/$name"
	reasons=$(audit_reasons "/$name")
	if grep -qiE -- "$pattern" <<<"$reasons"; then
		say "ok: $name: audit reason: $(grep -iE -- "$pattern" <<<"$reasons" | head -n 1)"
	else
		fail "$name: expected an audit record whose reason matches '$pattern', got: ${reasons:-no record}"
	fi
}

setup_crypt_env
tk keys create gone-key --store "$KEYS" >/dev/null

# A file encrypted offline with gone-key, whose key is then removed.
echo "$MARKER gone" >"$GP/gone"
out=$(tk transform encrypt "$GP" --key gone-key --store "$KEYS" 2>&1) ||
	fail "transform encrypt: expected success, got: $out"
check "gone: encrypted" "$MAGIC_HEX" "$(magic_of "$GP/gone")"
rm "$KEYS/gone-key.key"

# Files under test-key version 1.
cp -p "$KEYS/test-key.key" "$WORK/test-key.v1"
start_real_agent
for n in ok t-mac t-nonce t-magic t-version v1; do
	for i in $(seq 1 50); do echo "$MARKER $n $i"; done >"$REF/$n"
	cp "$REF/$n" "$GP/$n"
done
for n in ok v1; do same "$n"; done
# All zeros: stored as zero units, which need no key to read.
head -c 65536 /dev/zero >"$REF/t-zero"
cp "$REF/t-zero" "$GP/t-zero"
same t-zero
# Empty: the header alone, which no read request would carry.
: >"$GP/t-empty"
check "t-empty: the header alone" "4096" "$(stat -c %s "$LOWER/t-empty")"
stop_real_agent

# A file under test-key version 2, after a rotation.
expect_ok "rotate test-key" tk keys rotate test-key --store "$KEYS"
start_real_agent
for i in $(seq 1 50); do echo "$MARKER v2 $i"; done >"$REF/v2"
cp "$REF/v2" "$GP/v2"
same v2
stop_real_agent
check "v2: written under version 2" "key test-key:2" "$(ref_read "$GP/v2" "$WORK/v2.dec")"

# Damage the headers on the lower side; remove version 2 of the key.
flip "$GP/t-mac" 4070
flip "$GP/t-nonce" 40
flip "$GP/t-magic" 0
flip "$GP/t-version" 8
flip "$GP/t-zero" 4070
flip "$GP/t-empty" 4070
cp "$WORK/test-key.v1" "$KEYS/test-key.key"
chmod 600 "$KEYS/test-key.key"

start_real_agent
same ok "(untouched file)"
same v1 "(version 1 kept in the store)"
refused t-mac 'tamper|authenticat|mismatch'
refused t-nonce 'tamper|mismatch|key check'
refused t-magic 'header|not encrypted|plaintext'
refused t-version 'version|invalid|header'
refused t-zero 'tamper|authenticat|mismatch'
refused t-empty 'tamper|authenticat|mismatch'
refused v2 'key|version'
refused gone 'key'
check "v2: reason says the key is missing" "yes" \
	"$(audit_reasons /v2 | grep -qiE 'missing|not found|not in' && echo yes || echo no)"
drop_caches
refused t-mac 'tamper|authenticat|mismatch'
refused v2 'key|version'
same ok "(untouched file after the refusals)"
stop_real_agent

# The key file moved away while the agent runs. The agent opened ok's
# header and handed key test-key version 1 to the addon, which could open
# v1 (same key version) itself: it checks the key file first, so v1 is
# refused as the agent would refuse it. ok, open before, keeps its keys.
start_real_agent
same ok "(opened before the key file goes)"
mv "$KEYS/test-key.key" "$WORK/test-key.away"
drop_caches
refused v1 'missing|not found|not in'
same ok "(open before the key file went)"
mv "$WORK/test-key.away" "$KEYS/test-key.key"
same v1 "(key file back)"
stop_real_agent
finish
