#!/bin/busybox sh
# PID 1 of the test guest (runs from the initramfs). Loads the virtio, 9p
# and ext4 modules, mounts the host root read-only with fresh tmpfs on
# /tmp and /run, mounts the repository and the results share at their
# host paths, runs the guest command in a chroot with a clean environment,
# stores its exit status and the kernel log on the results share, and
# powers off. The host passes its settings in the results share's .tk/.
/bin/busybox --install -s /bin
export PATH=/bin

die() {
	echo "vm-init: $*" >/dev/console
	echo 126 >/results/status 2>/dev/null
	dmesg >/results/dmesg.txt 2>/dev/null
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /lib/modules/load-order); do
	insmod "/lib/modules/$m" || die "cannot load $m"
done

p9='trans=virtio,version=9p2000.L,msize=512000'
mount -t 9p -o "$p9,cache=none" results /results || die "no results share"
repo=$(sed -n 1p /results/.tk/settings)
run_dir=$(sed -n 2p /results/.tk/settings)
[ -n "$repo" ] && [ -n "$run_dir" ] || die "no settings in results share"
# Without glibc's AVX2 routines and Go's AVX in the guest's programs
# unless asked for (see vm-run.sh --guest-avx2).
avx2_env="GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-AVX_Fast_Unaligned_Load GODEBUG=cpu.avx=off,cpu.avx2=off"
[ "$(sed -n 3p /results/.tk/settings)" != avx2=keep ] || avx2_env=

r=/newroot
mount -t 9p -o "$p9,ro,cache=loose" hostroot $r || die "no host root share"
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t tmpfs -o mode=755 tmpfs $r/run
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
# What udev would add: bash process substitution needs /dev/fd.
ln -sf /proc/self/fd $r/dev/fd
ln -sf /proc/self/fd/0 $r/dev/stdin
ln -sf /proc/self/fd/1 $r/dev/stdout
ln -sf /proc/self/fd/2 $r/dev/stderr
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t debugfs debugfs $r/sys/kernel/debug 2>/dev/null
mount -t securityfs securityfs $r/sys/kernel/security 2>/dev/null
mkdir -p "$r$repo" 2>/dev/null
mount -t 9p -o "$p9,ro,cache=loose" repo "$r$repo" || die "no repository share"
mount --bind /results "$r$run_dir" || die "cannot place results at $run_dir"
hostname takakrypt-vm
# Boot is quiet (loglevel=4); from here on kernel warnings reach the
# console too, so a WARN is visible even if the guest then hangs.
echo 5 >/proc/sys/kernel/printk
ip link set lo up 2>/dev/null

chroot $r /usr/bin/env -i HOME=/tmp USER=root LOGNAME=root TERM=dumb \
	LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	TK_REPO="$repo" TK_RESULTS="$run_dir" TK_DISK=/dev/vda $avx2_env \
	/bin/bash "$repo/tests/vm/lib/guest-exec.sh" </dev/null >/dev/console 2>&1
echo $? >/results/status
dmesg >/results/dmesg.txt
sync
poweroff -f
