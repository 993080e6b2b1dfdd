#!/bin/bash
# Mounting a guard point: options, /proc files, no nesting, and rmmod
# refused while mounted (the filesystem type pins the module).
# vm-timeout: 120
source "$(dirname "$0")/lib/common.bash"

load_module
check "status file" "not connected" "$(stat_value status agent)"
check "protocol version" "2" "$(stat_value status protocol_version)"
mount_disk

expect_mount_fail "mount without policy" "the policy= option is required" \
	-t takakryptfs "$GP" "$GP"
expect_mount_fail "mount with a bad policy name" \
	"policy name must be 1-255 of [A-Za-z0-9_.-], got 'a/b'" \
	-t takakryptfs -o "policy=a/b" "$GP" "$GP"
touch "$DISK_MNT/afile"
expect_mount_fail "mount of a file" "cannot resolve guard point" \
	-t takakryptfs -o policy=p "$DISK_MNT/afile" "$GP"

echo hello >"$GP/before"
mount_gp db_policy
check "fstype" "takakryptfs" "$(findmnt -n -o FSTYPE "$GP")"
check "mount options show the policy" "1" \
	"$(findmnt -n -o OPTIONS "$GP" | grep -c 'policy=db_policy')"
check "guard point path" "$GP" "$(stat_value guard_points path)"
check "guard point policy" "db_policy" "$(stat_value guard_points policy)"
check "statfs magic" "544b4b52" "$(stat -f -c %t "$GP")"

mkdir -p "$WORK/other"
expect_mount_fail "nested guard point" "guard points do not nest" \
	-t takakryptfs -o policy=p "$GP" "$WORK/other"
expect_fail "rmmod while mounted" "in use|Resource temporarily" rmmod takakrypt
check "module still loaded" "1" "$(grep -c '^takakrypt ' /proc/modules)"

umount "$GP"
check "plain file untouched after umount" "hello" "$(cat "$GP/before")"
check "no guard points listed" "" "$(cat /proc/takakrypt/guard_points)"
expect_ok "rmmod after umount" rmmod takakrypt
finish
