#!/usr/bin/env bash
# The arm64 root that `make ARCH=arm64` links against and that make vmtest-arm64's guest is made
# of: Debian's arm64 -dev packages for memreap's libraries, busybox-static, python3.11 and setpriv
# (util-linux), with every package they depend on, fetched by `apt-get download` through the
# private package list of cross/arm64-apt.sh and unpacked with `dpkg -x`. Nothing is installed.
#
#   cross/arm64-sysroot.sh DIR      (the Makefile's: build/arm64/sysroot)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=cross/arm64-apt.sh
. "$ROOT/cross/arm64-apt.sh"
DEST=${1:?usage: arm64-sysroot.sh DIR}
BUILD_PACKAGES="libc6-dev libbpf-dev libelf-dev zlib1g-dev libjson-c-dev libncurses-dev
		libmicrohttpd-dev libcap-dev libyaml-dev libcrypt-dev libgnutls28-dev"
GUEST_PACKAGES="busybox-static python3.11 util-linux bpftool"
DEBS=$ARM64_CACHE/debs

# Every package the wanted ones need, recursively (the first of each alternative).
closure() {
	# shellcheck disable=SC2086 # one package per word
	apt-cache "${ARM64_APT[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances -o APT::Cache::ShowOnlyFirstOr=true \
		$BUILD_PACKAGES $GUEST_PACKAGES | grep '^[a-z0-9]' | sort -u
}

# Absolute symbolic links (libtinfo.so -> /lib/...) point into the sysroot instead of the host.
relink_absolute() {
	local link target

	find "$DEST" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
		target=$(readlink "$link")
		ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$DEST$target")" "$link"
	done
}

main() {
	local pkgs pkg deb

	arm64_apt_update
	pkgs=$(closure)
	[ -n "$pkgs" ] || { echo "arm64-sysroot: apt knows no arm64 packages" >&2; exit 1; }
	mkdir -p "$DEBS"
	# shellcheck disable=SC2086 # one package per word
	# A failed download fails the script (pipefail); apt's note on root's downloads is noise.
	(cd "$DEBS" && apt-get -qq "${ARM64_APT[@]}" download $pkgs 2>&1) |
		{ grep -v "^W: Download is performed unsandboxed" || true; }
	rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
	for pkg in $pkgs; do
		deb=$(find "$DEBS" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
		[ -n "$deb" ] || { echo "arm64-sysroot: $pkg was not downloaded" >&2; exit 1; }
		dpkg -x "$deb" "$DEST.tmp"
	done
	rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
	relink_absolute
	echo "arm64-sysroot: $(echo "$pkgs" | wc -l) packages unpacked into $DEST"
}

main
