#!/usr/bin/env bash
# make vmtest-arm64: boot Debian's arm64 kernels under qemu-system-aarch64 (-M virt -cpu max, TCG)
# with an initramfs of arm64 binaries only: busybox-static, python3.11 and its standard library,
# setpriv, and the shared libraries they need, all from Debian's arm64 packages unpacked in the
# sysroot (cross/arm64-sysroot.sh), plus the cross-built build/arm64/memreap and workloads. The
# guest runs the same init, run.py and assertions as make vmtest's x86 guests (vmtest.sh, whose
# functions this script reuses: the kernel modules, the boot and the report).
#
#   tests/vmtest/vmtest-arm64.sh [KERNEL...]
#
# KERNEL: a series with an optional flavour (6.1, 6.12, 6.12-cloud: the newest such
# linux-image-*-arm64-unsigned package the private arm64 list knows) or a package name (default:
# $VMTEST_KERNELS, "6.1 6.12"). $VMTEST_TESTS, $VMTEST_APPEND, $VMTEST_SMP, $VMTEST_MEMORY,
# $VMTEST_TIMEOUT: as for vmtest.sh. Exit status 0 only if every kernel passed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vmtest/vmtest.sh
. "$HERE/vmtest.sh"
# shellcheck source=cross/arm64-apt.sh
. "$ROOT/cross/arm64-apt.sh"
WORK=$ROOT/build/arm64/vmtest
SYSROOT=$ROOT/build/arm64/sysroot
KERNELS=${VMTEST_KERNELS:-6.1 6.12}
[ $# -eq 0 ] || KERNELS="$*"
TRIPLET=aarch64-linux-gnu

resolve_kernel() {
	local want=$1 series flavour

	case "$want" in
	linux-image-*) echo "$want" && return ;;
	esac
	series=${want%%-*}
	flavour=${want#"$series"}
	apt-cache "${ARM64_APT[@]}" search --names-only \
		"^linux-image-${series//./\\.}[.-][0-9].*-arm64-unsigned\$" | awk '{print $1}' |
		grep -E -- "[0-9]${flavour}-arm64-unsigned\$" | sort -V | tail -n 1
}

# The package's files, unpacked once under the arm64 cache: prints the directory.
fetch_kernel() {
	local pkg=$1 dir=$ARM64_CACHE/$1 deb ver

	if [ ! -d "$dir/boot" ] || [ ! -f "$dir/.depmod" ]; then
		(cd "$ARM64_CACHE" && apt-get "${ARM64_APT[@]}" download "$pkg" >/dev/null 2>&1) ||
			die "cannot download $pkg through the private arm64 package list"
		deb=$(find "$ARM64_CACHE" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
		rm -rf "$dir.tmp" && dpkg -x "$deb" "$dir.tmp"
		ver=$(ls "$dir.tmp/lib/modules")
		busybox depmod -b "$dir.tmp" "$ver"
		touch "$dir.tmp/.depmod"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# The sysroot paths of the shared libraries that the given arm64 ELF files need, recursively
# (no ldd for another architecture: readelf's NEEDED entries, looked up in the sysroot).
arm64_libs() {
	local -A seen=()
	local queue=("$@") file lib path

	while [ ${#queue[@]} -gt 0 ]; do
		file=${queue[0]} && queue=("${queue[@]:1}")
		for lib in $("$TRIPLET-readelf" -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
		do
			[ -z "${seen[$lib]:-}" ] || continue
			seen[$lib]=1
			path=$(find "$SYSROOT/lib/$TRIPLET" "$SYSROOT/usr/lib/$TRIPLET" -maxdepth 1 \
				-name "$lib" -print -quit)
			[ -n "$path" ] || die "$file needs $lib, which no package of the arm64 sysroot has"
			echo "$path"
			queue+=("$path")
		done
	done
}

copy_libs() {
	local lib

	for lib in $(arm64_libs "$@" | sort -u); do
		cp -L "$lib" "$WORK/root/usr/lib/$TRIPLET/"
	done
}

# busybox, python3.11, setpriv, bpftool (test_doctor's own probe of the guest's kernel) and
# memreap's build and tests, all arm64.
build_common() {
	local r=$WORK/root s=$SYSROOT

	rm -rf "$r" && mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,root,var/tmp,usr/bin,usr/sbin}
	mkdir -p "$r/usr/lib/$TRIPLET" "$r/memreap/build" "$r/memreap/tests"
	# /lib is a directory, not a link to usr/lib: the modules' cpio unpacks lib/modules over it.
	mkdir -p "$r/lib" && ln -s "../usr/lib/$TRIPLET" "$r/lib/$TRIPLET"
	ln -s "$TRIPLET/ld-linux-aarch64.so.1" "$r/lib/ld-linux-aarch64.so.1"
	cp "$s/bin/busybox" "$r/bin/busybox"
	cp "$s/usr/bin/setpriv" "$r/bin/setpriv"
	cp "$s/usr/sbin/bpftool" "$r/usr/sbin/bpftool"
	cp "$ROOT/tests/vmtest/init" "$r/init"
	cp "$s/usr/bin/$PY" "$r/usr/bin/$PY" && ln -s "$PY" "$r/usr/bin/python3"
	copy_stdlib "$s/usr/lib" "$r"
	copy_memreap "$ROOT/build/arm64" "$r"
	copy_libs "$r/usr/bin/$PY" "$r/bin/setpriv" "$r/usr/sbin/bpftool" "$r/memreap/build/memreap" \
		  "$r"/memreap/build/workloads/* "$r/usr/lib/$PY"/lib-dynload/*.so
	pack_common "$r"
}

# pauth-impdef: TCG's pointer authentication without the architected (slow to emulate) cipher.
boot_once() {
	local kdir=$1 ver=$2 log=$WORK/$2.log disk=$WORK/scratch-$2.img

	cat "$WORK/common.cpio" "$WORK/mod-$ver.cpio" >"$WORK/initrd-$ver.cpio" || return 1
	rm -f "$disk" && truncate -s 512M "$disk" && mkfs.ext4 -q -F "$disk" || return 1
	timeout "$TIMEOUT" qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -nographic \
		-no-reboot -m "$MEMORY" -smp "$SMP" -kernel "$kdir/boot/vmlinuz-$ver" \
		-initrd "$WORK/initrd-$ver.cpio" \
		-drive "file=$disk,if=none,format=raw,id=scratch" -device virtio-blk-pci,drive=scratch \
		-append "console=ttyAMA0 panic=-1 quiet mitigations=off memreap.tests=$TESTS ${VMTEST_APPEND:-}" \
		</dev/null >"$log" 2>&1
	echo "vmtest: qemu exit $?" >>"$log"
	tr -d '\r' <"$log" >"$log.txt"
}

main() {
	local want pkg kdir ver failed=""

	[ -x "$ROOT/build/arm64/memreap" ] || die "build/arm64/memreap is missing: run make ARCH=arm64"
	[ -x "$SYSROOT/usr/bin/$PY" ] || die "no arm64 sysroot: run make ARCH=arm64"
	[ -z "${VMTEST_BENCH:-}" ] || die "VMTEST_BENCH: make bench's guest is x86 only"
	mkdir -p "$WORK"
	arm64_apt_update
	build_common
	for want in $KERNELS; do
		pkg=$(resolve_kernel "$want")
		[ -n "$pkg" ] || die "no Debian arm64 kernel package for '$want'"
		kdir=$(fetch_kernel "$pkg")
		ver=$(ls "$kdir/lib/modules")
		build_modules "$kdir" "$ver"
		echo "vmtest: booting $ver ($pkg) under qemu-system-aarch64"
		boot "$kdir" "$ver" || failed="$failed $ver"
	done
	if [ -n "$failed" ]; then
		echo "vmtest: FAILED on:$failed"
		return 1
	fi
	echo "vmtest: passed on every arm64 kernel: $KERNELS"
}

main
