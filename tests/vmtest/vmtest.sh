#!/usr/bin/env bash
# make vmtest: boot Debian's stock kernels under qemu (TCG is enough) with an initramfs made from
# this machine's binaries (busybox, python3.11, memreap, the workloads), run the integration tests
# that prove the ledgers there, and report pass/fail per test and kernel.
#
#   tests/vmtest/vmtest.sh [KERNEL...]
#
# KERNEL is a series with an optional flavour (6.1, 6.12, 6.1-rt, 6.12-cloud, 5.10: the newest such
# linux-image-*-amd64-unsigned package apt knows; 5.10 through a private Debian 11 package list) or a
# package name (default: $VMTEST_KERNELS).
# Packages are fetched with apt-get download into $VMTEST_CACHE, never into the repository.
# $VMTEST_TESTS: run.py's filters, comma-separated (-SUBSTRING: leave out). $VMTEST_APPEND: more
# kernel arguments (memreap.debug=1: libbpf's log, and the guest's BTF copied to the scratch disk).
# $VMTEST_SMP: the guest's CPUs (default 2). $VMTEST_BENCH=1: the guest runs bench/cpucost.py
# (make bench's time per event by CPU count) instead of the tests; make bench builds its binaries.
# Exit status 0 only if every kernel passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${VMTEST_CACHE:-/var/cache/memreap-vmtest}
WORK=$ROOT/build/vmtest
KERNELS=${VMTEST_KERNELS:-6.1 6.12 5.10}
# Every integration test whose tools the guest carries: not perl, node, java, pyenv, tmux.
GUEST_TESTS=test_accuracy,test_cli.,test_doctor,test_shutdown.test_python,test_shutdown.test_pool
GUEST_TESTS+=,test_shutdown.test_report_by_tree,test_shutdown.test_interpreter_binary
GUEST_TESTS+=,test_interpreters.test_debian_python,test_interpreters.test_renamed_python
GUEST_TESTS+=,test_interpreters.test_not_an_interpreter
GUEST_TESTS+=,test_top.test_batch,test_top.test_top_refuses,test_argv,test_bad_input,test_timeline
GUEST_TESTS+=,test_oom.test_oom_kill,test_oom.test_teardown,test_oom.test_top,test_oom.test_recordings
TESTS=${VMTEST_TESTS:-$GUEST_TESTS}
MEMORY=${VMTEST_MEMORY:-2048}
SMP=${VMTEST_SMP:-2} # vCPUs: -smp N gives the guest N real CPUs (TCG runs one thread each)
TIMEOUT=${VMTEST_TIMEOUT:-900}
PY=python3.11
BPFTOOL=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}

[ $# -gt 0 ] && KERNELS="$*"

die() {
	echo "vmtest: $*" >&2
	exit 1
}

# Kernel series of Debian releases the system's apt sources may not list (5.10: Debian 11). They are
# reached through a private package list under $CACHE/<suite>: its own sources, lists and cache,
# dpkg status /dev/null; /etc/apt is never touched.
series_suite() {
	case "$1" in
	5.10) echo bullseye ;;
	esac
}

# apt's options for a series: none (the system's lists) or the suite's private configuration,
# created on first use and its lists refreshed once a week (a kernel the mirror replaced is gone).
APT=()
use_apt_for() {
	local suite dir key=/usr/share/keyrings/debian-archive-keyring.gpg

	APT=()
	suite=$(series_suite "$1")
	[ -n "$suite" ] || return 0
	dir=$CACHE/$suite
	APT=(-o APT::Architecture=amd64 -o APT::Architectures::=amd64
	     -o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/sources.d"
	     -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/apt" -o Dir::State::status=/dev/null)
	find "$dir/updated" -mtime -7 2>/dev/null | grep -q . && return 0
	mkdir -p "$dir/sources.d" "$dir/lists/partial" "$dir/apt/archives/partial"
	cat >"$dir/sources.list" <<-EOF
	deb [signed-by=$key] http://deb.debian.org/debian $suite main
	deb [signed-by=$key] http://deb.debian.org/debian $suite-updates main
	deb [signed-by=$key] http://deb.debian.org/debian-security $suite-security main
	EOF
	apt-get "${APT[@]}" update -qq >/dev/null || die "cannot fetch $suite's package lists"
	touch "$dir/updated"
}

# A series (6.1, 6.12-rt, 5.10) to the newest matching package in apt's lists; a package name as
# is (the system's lists, or the private ones of its series: linux-image-5.10.0-46-amd64-unsigned).
resolve_kernel() {
	local want=$1 series flavour

	case "$want" in
	linux-image-*) echo "$want" && return ;;
	esac
	series=${want%%-*}
	flavour=${want#"$series"} # "" or "-rt", "-cloud"
	apt-cache "${APT[@]}" search --names-only \
		"^linux-image-${series//./\\.}[.-][0-9].*-amd64-unsigned\$" |
		awk '{print $1}' | grep -E -- "[0-9]${flavour}-amd64-unsigned\$" | sort -V | tail -n 1
}

# The series of a request: 6.12-rt -> 6.12, linux-image-5.10.0-46-amd64-unsigned -> 5.10.
kernel_series() {
	local want=${1#linux-image-}

	echo "$want" | grep -oE '^[0-9]+\.[0-9]+'
}

# The package's files, unpacked once: prints the directory. 5.10's modules are plain .ko files,
# 6.12's .ko.xz: build_modules takes either.
fetch_kernel() {
	local pkg=$1 dir=$CACHE/$1 deb ver

	if [ ! -d "$dir/boot" ]; then
		mkdir -p "$CACHE"
		(cd "$CACHE" && apt-get "${APT[@]}" download "$pkg" >/dev/null 2>&1) ||
			die "cannot download $pkg (apt-get download; is it in apt-cache search linux-image?)"
		deb=$(find "$CACHE" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
		rm -rf "$dir.tmp" && dpkg -x "$deb" "$dir.tmp"
		ver=$(ls "$dir.tmp/lib/modules")
		busybox depmod -b "$dir.tmp" "$ver"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# Copy an ELF file and the shared libraries it needs into the guest tree.
copy_libs() {
	local lib
	for lib in $(ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib64/ {print $1}' | sort -u); do
		case "$lib" in
		/lib64/*) cp -Ln "$lib" "$WORK/root/lib64/" ;;
		*) cp -Ln "$lib" "$WORK/root/usr/lib/x86_64-linux-gnu/" ;;
		esac
	done
}

# The part shared by every kernel: busybox, python3.11 and its standard library, memreap's build
# and tests. Rebuilt every run (a few seconds): it must carry the binaries just built.
build_common() {
	local r=$WORK/root

	rm -rf "$r" && mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,root,var/tmp,lib64,usr/bin,usr/sbin}
	mkdir -p "$r/usr/lib/x86_64-linux-gnu" "$r/memreap/build" "$r/memreap/tests"
	ln -s usr/lib "$r/lib"
	cp /bin/busybox "$r/bin/busybox"
	cp /usr/bin/setpriv "$r/bin/setpriv" # busybox's lacks --reuid (the not-root test)
	cp "$ROOT/tests/vmtest/init" "$r/init"
	cp "/usr/bin/$PY" "$r/usr/bin/$PY" && ln -s "$PY" "$r/usr/bin/python3"
	copy_stdlib /usr/lib "$r"
	copy_memreap "$ROOT/build" "$r"
	cp "$BPFTOOL" "$r/usr/sbin/bpftool" # test_doctor's own probe of the guest's kernel
	copy_libs "$r/usr/bin/$PY" "$r/bin/setpriv" "$r/memreap/build/memreap" "$r/usr/sbin/bpftool" \
		  "$r"/memreap/build/workloads/* "$r/usr/lib/$PY"/lib-dynload/*.so
	[ -z "${VMTEST_BENCH:-}" ] || build_bench "$r"
	pack_common "$r"
}

# python3.11's standard library from LIBDIR (the host's, or the arm64 sysroot's) into the guest
# root R, without what the tests never import.
copy_stdlib() {
	local libdir=$1 r=$2

	tar -C "$libdir" --exclude="$PY/test" --exclude="$PY/idlelib" --exclude="$PY/tkinter" \
	    --exclude="$PY/lib2to3" --exclude="$PY/ensurepip" --exclude="$PY/turtledemo" \
	    --exclude="$PY/pydoc_data" --exclude="$PY/config-*" --exclude="$PY/dist-packages" \
	    -cf - "$PY" | tar -C "$r/usr/lib" -xf -
}

# memreap and its workloads from BUILD_DIR, the tests, and the BPF headers into the guest root R.
copy_memreap() {
	local build=$1 r=$2

	cp -r "$build/memreap" "$build/workloads" "$r/memreap/build/"
	cp -r "$ROOT/tests/integration" "$ROOT/tests/workloads" "$r/memreap/tests/"
	mkdir -p "$r/memreap/bpf" # test_freed reads the release-window table's size there
	cp "$ROOT"/bpf/*.h "$r/memreap/bpf/"
}

# The guest root R as the cpio every kernel's initramfs starts with.
pack_common() {
	(cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) >"$WORK/common.cpio"
}

# make bench's part: its scripts, workloads and floor (bpftool, for the programs' run times, is
# in every guest).
build_bench() {
	local r=$1

	[ -x "$ROOT/build/bench/floor" ] || die "build/bench is missing: run make bench"
	mkdir -p "$r/memreap/bench" "$r/memreap/build/bench"
	cp "$ROOT"/bench/*.py "$r/memreap/bench/"
	cp "$ROOT/build/bench/floor" "$ROOT/build/bench/pagefault" "$r/memreap/build/bench/"
	copy_libs "$r/memreap/build/bench/floor"
}

# The modules a kernel needs for the scratch disk, as a second cpio appended to the common one.
build_modules() {
	local kdir=$1 ver=$2 m=$WORK/mod-$2

	rm -rf "$m" && mkdir -p "$m/lib/modules/$ver"
	(cd "$kdir/lib/modules/$ver" &&
		find kernel \( -path '*virtio*' -o -path '*/fs/ext4/*' -o -path '*/fs/jbd2/*' \
			-o -name 'mbcache.ko*' -o -name 'crc16.ko*' -o -name 'crc32c*' \) \
			\( -name '*.ko' -o -name '*.ko.xz' \) | cpio -pdm --quiet "$m/lib/modules/$ver")
	# busybox modprobe loads plain modules only (6.12's are xz-compressed).
	find "$m" -name '*.ko.xz' -exec xz -d {} +
	busybox depmod -b "$m" "$ver"
	(cd "$m" && find . -print0 | cpio --null -o -H newc --quiet) >"$WORK/mod-$ver.cpio"
}

bench_arg() {
	[ -z "${VMTEST_BENCH:-}" ] || echo memreap.bench=1
}

# Boot one kernel once; the guest's console goes to $WORK/<ver>.log.txt.
boot_once() {
	local kdir=$1 ver=$2 log=$WORK/$2.log disk=$WORK/scratch-$2.img

	cat "$WORK/common.cpio" "$WORK/mod-$ver.cpio" >"$WORK/initrd-$ver.cpio" || return 1
	rm -f "$disk" && truncate -s 512M "$disk" && mkfs.ext4 -q -F "$disk" || return 1
	timeout "$TIMEOUT" qemu-system-x86_64 -nographic -no-reboot -m "$MEMORY" -smp "$SMP" \
		-cpu max -kernel "$kdir/boot/vmlinuz-$ver" -initrd "$WORK/initrd-$ver.cpio" \
		-drive "file=$disk,if=virtio,format=raw" \
		-append "console=ttyS0 panic=-1 quiet mitigations=off memreap.tests=$TESTS $(bench_arg) ${VMTEST_APPEND:-}" \
		</dev/null >"$log" 2>&1
	echo "vmtest: qemu exit $?" >>"$log"
	tr -d '\r' <"$log" >"$log.txt"
}

# Boot one kernel and print what its tests said. Returns the tests' status. A guest that dies
# before its init prints the kernel line never ran memreap (a TCG boot can fail so): it boots
# once more, saying so. Whatever happens after that line counts.
boot() {
	local kdir=$1 ver=$2 log=$WORK/$2.log.txt start rc try

	start=$(date +%s)
	for try in 1 2; do
		boot_once "$kdir" "$ver" || die "$ver: cannot build the initramfs or the scratch disk"
		grep -q 'vmtest: kernel ' "$log" && break
		echo "vmtest: $ver: the guest died before its init ran (boot $try); its console ended:" >&2
		tail -n 15 "$log" | sed 's/^/    /' >&2
	done
	sed -n '/vmtest: kernel/,/^vmtest: doctor exit/{s/.*\(vmtest: kernel\)/\1/;p}' "$log"
	grep -E '^(ok|FAIL|skip) |^[0-9]+ passed|Failure: |^vmtest: tests|^cpucost: ' "$log" || true
	echo "vmtest: $ver: booted and tested in $(($(date +%s) - start)) s (log: $log)"
	rc=$(sed -n 's/^vmtest: result \([0-9]*\)$/\1/p' "$log")
	if [ -z "$rc" ]; then
		echo "vmtest: $ver: the guest never reported a result; its console ended:" >&2
		tail -n 25 "$log" | sed 's/^/    /' >&2
		return 1
	fi
	return "$rc"
}

main() {
	local want pkg kdir ver failed=""

	[ -x "$ROOT/build/memreap" ] || die "build/memreap is missing: run make first"
	mkdir -p "$WORK"
	build_common
	for want in $KERNELS; do
		use_apt_for "$(kernel_series "$want")"
		pkg=$(resolve_kernel "$want")
		[ -n "$pkg" ] || die "no Debian kernel package for '$want' (apt-cache search linux-image)"
		kdir=$(fetch_kernel "$pkg")
		ver=$(ls "$kdir/lib/modules")
		build_modules "$kdir" "$ver"
		echo "vmtest: booting $ver ($pkg) under qemu"
		boot "$kdir" "$ver" || failed="$failed $ver"
	done
	if [ -n "$failed" ]; then
		echo "vmtest: FAILED on:$failed"
		return 1
	fi
	echo "vmtest: passed on every kernel: $KERNELS"
}

# tests/vmtest/vmtest-arm64.sh sources this file for its functions and runs its own main.
[ "${BASH_SOURCE[0]}" != "$0" ] || main
