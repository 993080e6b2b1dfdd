# Host-side cache for the QEMU harness: the uncompressed kernel and the
# small initramfs, both kept under build/vm/ and rebuilt only when the
# kernel version or the initramfs recipe changes. Sourced by vm-run.sh.

# Modules the initramfs loads before it can mount the host root over 9p,
# use the disk and feed the random pool. Dependencies are added from
# modules.dep; ext4 wants crc32c through the crypto API (a soft
# dependency that modules.dep does not list), hence crc32c_generic.
VM_INITRAMFS_MODULES=(
	virtio_pci 9pnet_virtio 9p virtio-rng virtio_blk
	crc32c_generic ext4
)

# Print the modules.dep entry (relative path) of module NAME, or nothing.
vm_module_path() {
	local kver=$1 name=$2 alt
	alt=$(printf '%s' "$name" | tr '_-' '-_')
	grep -E "(^|/)($name|$alt)\.ko(\.xz|\.zst)?:" \
		"/lib/modules/$kver/modules.dep" | head -n 1 | cut -d: -f1
}

# Print the load order (dependencies first) of the listed modules,
# skipping those built into the kernel.
vm_module_order() {
	local kver=$1; shift
	local -A seen=()
	local out=()
	_vm_visit() {
		local rel=$1 line dep
		[ -n "${seen[$rel]:-}" ] && return 0
		seen[$rel]=1
		line=$(grep -E "^$rel:" "/lib/modules/$kver/modules.dep")
		for dep in ${line#*:}; do
			_vm_visit "$dep"
		done
		out+=("$rel")
	}
	local name rel
	for name in "$@"; do
		rel=$(vm_module_path "$kver" "$name")
		if [ -z "$rel" ]; then
			if grep -qE "/($name|${name//_/-})\.ko$" \
				"/lib/modules/$kver/modules.builtin"; then
				continue
			fi
			echo "vm-run: module $name is neither a module nor built in for $kver" >&2
			return 1
		fi
		_vm_visit "$rel"
	done
	printf '%s\n' "${out[@]}"
}

# Unpack the XZ-compressed payload of a bzImage into an ELF vmlinux, the
# way the kernel's scripts/extract-vmlinux does: try every offset where
# the XZ magic appears until one yields an ELF file.
vm_extract_vmlinux() {
	local image=$1 out=$2 off
	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$image" | cut -d: -f1); do
		tail -c "+$((off + 1))" "$image" |
			xz -dc --single-stream >"$out.part" 2>/dev/null || true
		if [ "$(head -c 4 "$out.part" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$out.part" "$out"
			return 0
		fi
	done
	rm -f "$out.part"
	echo "vm-run: no XZ-compressed ELF kernel found in $image" >&2
	return 1
}

# Build the initramfs: static busybox, the modules in load order and the
# init script.
vm_build_initramfs() {
	local kver=$1 init=$2 out=$3 dir rel name
	dir=$(mktemp -d "$out.dir.XXXXXX")
	mkdir -p "$dir"/{bin,dev,proc,sys,newroot,results,lib/modules}
	cp /bin/busybox "$dir/bin/busybox"
	cp "$init" "$dir/init"
	chmod 755 "$dir/init"
	: >"$dir/lib/modules/load-order"
	for rel in $(vm_module_order "$kver" "${VM_INITRAMFS_MODULES[@]}"); do
		name=$(basename "$rel")
		case "$rel" in
		*.xz) xz -dc "/lib/modules/$kver/$rel" >"$dir/lib/modules/${name%.xz}" ;;
		*.zst) zstd -qdc "/lib/modules/$kver/$rel" >"$dir/lib/modules/${name%.zst}" ;;
		*) cp "/lib/modules/$kver/$rel" "$dir/lib/modules/$name" ;;
		esac
		name=${name%.xz}
		echo "${name%.zst}" >>"$dir/lib/modules/load-order"
	done
	(cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.part"
	mv "$out.part" "$out"
	rm -rf "$dir"
}

# Make sure build/vm holds the vmlinux and initramfs for KVER; print
# their paths (two lines). Concurrent runs wait on a lock.
vm_prepare_cache() {
	local kver=$1 cache=$2 init=$3 recipe vmlinux initramfs
	mkdir -p "$cache"
	recipe=$(cat "$init" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
	vmlinux=$cache/vmlinux-$kver
	initramfs=$cache/initramfs-$kver-$recipe.cpio
	(
		flock 9
		if [ ! -s "$vmlinux" ]; then
			rm -f "$cache"/vmlinux-*
			echo "vm-run: extracting vmlinux from /boot/vmlinuz-$kver" >&2
			vm_extract_vmlinux "/boot/vmlinuz-$kver" "$vmlinux" || exit 1
		fi
		if [ ! -s "$initramfs" ]; then
			rm -f "$cache"/initramfs-*.cpio
			echo "vm-run: building initramfs for $kver" >&2
			vm_build_initramfs "$kver" "$init" "$initramfs" || exit 1
		fi
	) 9>"$cache/.lock" || return 1
	printf '%s\n%s\n' "$vmlinux" "$initramfs"
}
