#!/usr/bin/env bash
# Regenerate vmlinux/arm64/vmlinux.h from Debian's arm64 kernel package, on any machine with apt:
# fetch linux-image-<series>*-arm64-unsigned with a private arm64 package list (the system's
# dpkg architectures are untouched), copy the raw BTF out of its Image, dump it as C.
#
#   vmlinux/arm64.sh [SERIES]      (default 6.12: per-CPU RSS counters, as the BPF code expects)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERIES=${1:-6.12}
CACHE=${VMTEST_CACHE:-/var/cache/memreap-vmtest}/arm64
BPFTOOL=${BPFTOOL:-bpftool}
APT=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o "Dir::State::Lists=$CACHE/lists"
     -o "Dir::Cache=$CACHE/apt" -o Dir::State::status=/dev/null)

mkdir -p "$CACHE/lists/partial" "$CACHE/apt/archives/partial"
apt-get "${APT[@]}" update -qq
pkg=$(apt-cache "${APT[@]}" search --names-only \
	"^linux-image-${SERIES//./\\.}[.-][0-9].*[0-9]-arm64-unsigned\$" | awk '{print $1}' |
	sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "arm64.sh: no linux-image-$SERIES*-arm64-unsigned package" >&2; exit 1; }
cd "$CACHE"
[ -d "$pkg" ] || { apt-get "${APT[@]}" download "$pkg:arm64" && dpkg -x "$pkg"_*.deb "$pkg"; }
"$ROOT/vmlinux/btf_from_image.py" "$pkg"/boot/vmlinuz-* "$pkg.btf"
mkdir -p "$ROOT/vmlinux/arm64"
"$BPFTOOL" btf dump file "$pkg.btf" format c >"$ROOT/vmlinux/arm64/vmlinux.h"
echo "arm64.sh: vmlinux/arm64/vmlinux.h from $pkg"
