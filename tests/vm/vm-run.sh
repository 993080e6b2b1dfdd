#!/usr/bin/env bash
# Boot the Debian kernel the module is built for in QEMU (TCG), with the
# host root as a read-only 9p root, a fresh ext4 disk as /dev/vda and a
# results share, run one guest command as root, power off.
#
# usage: tests/vm/vm-run.sh [--timeout S] [--mem MB] [--disk-mb N]
#                           [--name NAME] [--quiet] [--run-dir-file F]
#                           [--guest-avx2] -- GUEST_COMMAND [args...]
#
# The guest command runs from the repository directory with TK_REPO,
# TK_RESULTS (files written there appear on the host under
# build/vm/results/<run>/) and TK_DISK=/dev/vda set. Exit status: the
# guest command's; 124 if the guest timed out; 125 if the command
# succeeded or never finished and the kernel reported a problem
# (WARNING, BUG, Oops, panic, ...); 126 if the guest could not run the
# command at all. --run-dir-file F writes the results directory's path
# to F before booting (for run-all.sh).
#
# Guest programs are told not to use glibc's 256-bit AVX2 routines nor
# Go's AVX (GLIBC_TUNABLES, GODEBUG) unless --guest-avx2 is given: after
# them, a 4 KiB AES-XTS call through OpenSSL measured about 7x slower in
# a guest, an emulator cost (probably the host's AVX-SSE transition
# penalty in the emulator's SSE helpers; see docs/BENCHMARKS.md). The
# setting applies to every process in the guest alike.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib/cache.sh
source "$here/lib/cache.sh"
# shellcheck source=lib/kernel-reports.sh
source "$here/lib/kernel-reports.sh"

usage() {
	sed -n '6,8p' "${BASH_SOURCE[0]}" | sed 's/^# //' >&2
	exit 2
}

timeout_s=300 mem_mb=1024 disk_mb=256 name=run quiet=0 run_dir_file=""
guest_avx2=avoid
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--mem) mem_mb=$2; shift 2 ;;
	--disk-mb) disk_mb=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--run-dir-file) run_dir_file=$2; shift 2 ;;
	--guest-avx2) guest_avx2=keep; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage
for n in "$timeout_s" "$mem_mb" "$disk_mb"; do
	[[ $n =~ ^[0-9]+$ ]] || { echo "vm-run: expected a number, got '$n'" >&2; exit 2; }
done

# A command given as a path must be visible in the guest: inside the
# repository, or anywhere outside /tmp and /run (fresh tmpfs there).
cmd=("$@")
if [[ ${cmd[0]} == */* ]]; then
	cmd[0]=$(realpath -e "${cmd[0]}")
	case ${cmd[0]} in
	"$repo"/*) ;;
	/tmp/* | /run/*)
		echo "vm-run: ${cmd[0]} is under /tmp or /run outside the repository; the guest cannot see it" >&2
		exit 2 ;;
	esac
fi

kver=$("$repo/scripts/kernel-version.sh")
cache=$repo/build/vm
mapfile -t boot < <(vm_prepare_cache "$kver" "$cache" "$here/lib/init.sh")
[ "${#boot[@]}" -eq 2 ] || { echo "vm-run: cannot prepare the boot files" >&2; exit 126; }

mkdir -p "$cache/results" "$cache/disks"
run_dir=$(mktemp -d "$cache/results/$(date -u +%Y%m%dT%H%M%S)-$name-XXXX")
run=$(basename "$run_dir")
ln -sfn "$run" "$cache/results/latest"
# Keep the newest 100 runs.
ls -1d "$cache"/results/*/ | sed 's:/$::' | grep -v '/latest$' | sort | head -n -100 |
	while read -r old; do rm -rf "$old"; done
[ -z "$run_dir_file" ] || echo "$run_dir" >"$run_dir_file"
mkdir "$run_dir/.tk"
printf '%s\n%s\n%s\n' "$repo" "$run_dir" "avx2=$guest_avx2" >"$run_dir/.tk/settings"
printf '%s\0' "${cmd[@]}" >"$run_dir/.tk/args"

disk_args=()
disk=""
if [ "$disk_mb" -gt 0 ]; then
	disk=$cache/disks/$run.img
	truncate -s "${disk_mb}M" "$disk"
	mkfs.ext4 -q -F "$disk"
	disk_args=(-drive "file=$disk,if=none,id=disk0,format=raw,cache=unsafe"
		-device virtio-blk-pci,drive=disk0)
fi

share() { # id path extra-options
	echo "-fsdev local,id=$1,path=$2,security_model=none,multidevs=remap$3"
}
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2
	-m "$mem_mb" -M pc -nodefaults -no-user-config -nographic -no-reboot
	-bios /usr/share/qemu/qboot.rom
	-kernel "${boot[0]}" -initrd "${boot[1]}"
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=0 sysctl.kernel.hung_task_timeout_secs=30 rdinit=/init loglevel=4"
	-chardev "stdio,id=con,signal=off,logfile=$run_dir/console.log"
	-serial chardev:con
	-device virtio-rng-pci
	$(share hostroot / ,readonly=on)
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	$(share repo "$repo" ,readonly=on)
	-device virtio-9p-pci,fsdev=repo,mount_tag=repo
	$(share results "$run_dir" "")
	-device virtio-9p-pci,fsdev=results,mount_tag=results
	"${disk_args[@]}")

start=$(date +%s%N)
# Reopening /dev/stdout would truncate a log file the caller redirected
# us to, so the console goes to a duplicate of fd 1.
if [ "$quiet" = 1 ]; then exec 3>/dev/null; else exec 3>&1; fi
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >&3 2>"$run_dir/qemu.err" &
qpid=$!
trap 'kill -TERM $qpid 2>/dev/null; wait $qpid 2>/dev/null; rm -f "$disk"; exit 130' INT TERM
set +e
wait $qpid
qrc=$?
set -e
trap - INT TERM
[ -n "$disk" ] && rm -f "$disk"
ms=$((($(date +%s%N) - start) / 1000000))

rc=0
reason=""
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	rc=124 reason="guest timed out after $timeout_s s"
elif [ -s "$run_dir/status" ]; then
	rc=$(cat "$run_dir/status")
	[ "$rc" = 0 ] || reason="guest command exited with status $rc"
else
	rc=126 reason="guest ended without a status (qemu exit $qrc)"
	[ -s "$run_dir/qemu.err" ] && sed 's/^/qemu: /' "$run_dir/qemu.err" >&2
fi
reports=$(vm_kernel_reports "$run_dir/dmesg.txt" "$run_dir/console.log" || true)
if [ -n "$reports" ]; then
	echo "vm-run: kernel reported:" >&2
	printf '%s\n' "$reports" | sed 's/^/vm-run:   /' >&2
	reason="${reason:+$reason; }kernel reported a problem"
	if [ "$rc" = 0 ] || [ "$rc" = 126 ]; then rc=125; fi
fi
secs=$((ms / 1000)).$((ms % 1000 / 100))
[ "$quiet" = 1 ] || echo
if [ "$rc" = 0 ]; then
	echo "vm-run: ok in ${secs} s (results: $run_dir)" >&2
else
	echo "vm-run: FAILED in ${secs} s: $reason (results: $run_dir)" >&2
fi
exit "$rc"
