# The five set-ups `make bench` compares, all on one ext4 filesystem made
# with the encrypt feature: plain ext4, a Takakrypt guard point (real
# module, real agent, every process permit,applykey), eCryptfs, gocryptfs
# and fscrypt. setup_NAME prepares one and prints the directory the
# workloads run in; teardown_all undoes them all. Sourced by
# tests/bench/guest.sh, not run.

BENCH_RUN=/run/tkb
DISK_MNT=$BENCH_RUN/disk
TK_CLI=(/usr/bin/node "$TK_REPO/dist/cli/main.js")
TK_RUN=$BENCH_RUN/agent
TK_CONFIG=$TK_RUN/config.yaml
# A passphrase for a throwaway filesystem on a throwaway disk.
PEER_PASS=bench-only-passphrase

# load_modules: module auto-loading would run the initramfs's modprobe, not
# the host's, so every module the peers need is loaded by hand.
load_modules() {
	local m
	for m in fuse ecryptfs xts cts cbc ecb aesni_intel sha256_generic \
		sha512_generic hmac encrypted_keys; do
		modprobe "$m" 2>/dev/null || true
	done
}

# mount_bench_disk: the disk, with ext4's encrypt feature for fscrypt.
mount_bench_disk() {
	tune2fs -O encrypt "$TK_DISK" >/dev/null || return 1
	mkdir -p "$DISK_MNT"
	mount "$TK_DISK" "$DISK_MNT"
}

setup_plain() {
	mkdir -p "$DISK_MNT/plain" && echo "$DISK_MNT/plain"
}

# tk_config GUARD_POINT: one policy whose only security rule gives every
# process of every user permit,applykey, so all data is encrypted.
tk_config() {
	cat <<YAML
agent:
  log_file: $TK_RUN/agent.log
  log_level: warn
  audit_file: $TK_RUN/audit.log
  pid_file: $TK_RUN/agent.pid
  decision_cache_ttl: 600
  kernel_timeout: 10
key_store:
  path: $TK_RUN/keys
policies:
  - name: bench-policy
    security_rules:
      - action: all_ops
        effect: permit,applykey
    key_rules:
      - key: bench-key
guard_points:
  - path: $1
    policy: bench-policy
YAML
}

setup_takakrypt() {
	local gp=$DISK_MNT/takakrypt
	mkdir -p "$TK_RUN" "$gp"
	insmod "$TK_REPO/kernel/takakrypt.ko" >&2 || return 1
	"${TK_CLI[@]}" keys create bench-key --store "$TK_RUN/keys" >/dev/null || return 1
	tk_config "$gp" >"$TK_CONFIG"
	"${TK_CLI[@]}" start --config "$TK_CONFIG" >&2 || return 1
	grep -q " $gp takakryptfs " /proc/mounts || {
		echo "takakrypt: expected a takakryptfs mount on $gp, got none" >&2
		return 1
	}
	tk_check_at_rest "$gp" || return 1
	echo "$gp"
}

# tk_check_at_rest GUARD_POINT: a file written through the guard point
# reads back in clear and is not in clear in the lower file (seen through
# a second mount of the disk), so the figures are of encrypted I/O.
tk_check_at_rest() {
	local marker=takakrypt-bench-marker-$$ lower=$BENCH_RUN/lower
	printf '%s\n' "$marker" >"$1/.bench-check" || return 1
	sync
	[ "$(cat "$1/.bench-check")" = "$marker" ] || {
		echo "takakrypt: expected to read back the marker, got '$(head -c 80 "$1/.bench-check")'" >&2
		return 1
	}
	mkdir -p "$lower"
	mount "$TK_DISK" "$lower" || return 1
	if grep -qaF "$marker" "$lower/takakrypt/.bench-check"; then
		umount "$lower"
		echo "takakrypt: expected the lower file to be encrypted, found the marker in clear" >&2
		return 1
	fi
	umount "$lower"
	rm -f "$1/.bench-check"
}

setup_ecryptfs() {
	local lower=$DISK_MNT/ecryptfs-lower upper=$BENCH_RUN/ecryptfs
	mkdir -p "$lower" "$upper"
	mount -t ecryptfs "$lower" "$upper" -o "key=passphrase:passphrase_passwd=$PEER_PASS,ecryptfs_cipher=aes,ecryptfs_key_bytes=32,ecryptfs_passthrough=n,ecryptfs_enable_filename_crypto=n,no_sig_cache" \
		</dev/null >&2 || return 1
	echo "$upper"
}

setup_gocryptfs() {
	local cipher=$DISK_MNT/gocryptfs-cipher plain=$BENCH_RUN/gocryptfs
	local pass=$BENCH_RUN/gocryptfs.pass
	mkdir -p "$cipher" "$plain"
	printf '%s\n' "$PEER_PASS" >"$pass"
	gocryptfs -q -init -scryptn 10 -passfile "$pass" "$cipher" >&2 || return 1
	gocryptfs -q -nosyslog -passfile "$pass" "$cipher" "$plain" >&2 || return 1
	echo "$plain"
}

setup_fscrypt() {
	local dir=$DISK_MNT/fscrypt
	mkdir -p "$dir"
	"$BENCH_BIN/fscrypt-setup" "$dir" >&2 || return 1
	echo "$dir"
}

teardown_all() {
	fusermount3 -u "$BENCH_RUN/gocryptfs" 2>/dev/null
	umount "$BENCH_RUN/ecryptfs" 2>/dev/null
	if [ -s "$TK_CONFIG" ]; then
		"${TK_CLI[@]}" stop --config "$TK_CONFIG" >/dev/null 2>&1
		[ -f "$TK_RUN/agent.log" ] && cp "$TK_RUN/agent.log" "$TK_RESULTS/" 2>/dev/null
	fi
	umount "$DISK_MNT/takakrypt" 2>/dev/null
	umount "$DISK_MNT" 2>/dev/null
	rmmod takakrypt 2>/dev/null
	true
}
