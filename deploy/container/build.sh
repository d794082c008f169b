#!/bin/sh
# Builds memreap's OCI image from scratch with podman (Debian's; buildah underneath), offline:
#
#   deploy/container/build.sh MEMREAP IMAGE [ARCHIVE]
#
# The image holds exactly: MEMREAP as /usr/local/bin/memreap, each shared library `ldd MEMREAP`
# lists (the dynamic loader among them) at the path ldd prints, the file it resolves to under the
# soname, ten terminal descriptions and the C.UTF-8 locale (for `memreap top`), and /etc/passwd
# and /etc/group with root and nobody. No base image and no registry:
# FROM scratch, --pull=never, --network=none. Files and the image carry the time of the last
# commit (--timestamp): the same binary on the same commit gives the same image id. With ARCHIVE,
# the image is also saved there as an OCI archive (`ctr -n k8s.io images import`, `skopeo copy
# oci-archive:...`).
set -eu

bin=${1:?usage: build.sh MEMREAP IMAGE [ARCHIVE]}
image=${2:?usage: build.sh MEMREAP IMAGE [ARCHIVE]}
archive=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
TERMINALS="x/xterm x/xterm-256color s/screen s/screen-256color t/tmux t/tmux-256color l/linux
	v/vt100 v/vt220 d/dumb"
context=$(mktemp -d "${TMPDIR:-/tmp}/memreap-image.XXXXXX")
trap 'rm -rf "$context"' EXIT
rootfs=$context/rootfs
version=$("$bin" --version | awk '{print $2}')
stamp=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)

if ! command -v podman >/dev/null; then
	echo "build.sh: podman is not installed (make image-deps installs it)" >&2
	exit 1
fi
# ldd: "libx.so.1 => /lib/.../libx.so.1 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)", and
# "linux-vdso.so.1 (0x...)", which the kernel provides.
libs=$(ldd "$bin")
if echo "$libs" | grep -q 'not found'; then
	echo "build.sh: $bin: a shared library is missing:" >&2
	echo "$libs" | grep 'not found' >&2
	exit 1
fi
paths=$(echo "$libs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')

mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc"
install -m 0755 "$bin" "$rootfs/usr/local/bin/memreap"
for path in $paths; do
	mkdir -p "$rootfs$(dirname "$path")"
	# -L: the library itself under its soname; the loader keeps its 0755 (the kernel execs it)
	cp -L --preserve=mode "$path" "$rootfs$path"
done
# What memreap opens at run time besides its libraries: terminal descriptions for `memreap top`
# (ncurses reads /lib/terminfo) and the C.UTF-8 locale for its block characters (LANG is set).
for entry in $TERMINALS; do
	mkdir -p "$rootfs/lib/terminfo/$(dirname "$entry")"
	cp -L "/lib/terminfo/$entry" "$rootfs/lib/terminfo/$entry"
done
mkdir -p "$rootfs/usr/lib/locale"
cp -RL /usr/lib/locale/C.utf8 "$rootfs/usr/lib/locale/"
printf 'root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n' \
	>"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
find "$rootfs" -exec touch -h -d "@$stamp" {} +

podman build --quiet --layers=false --pull=never --network=none --timestamp "$stamp" \
	--build-arg "VERSION=$version" -f "$here/Containerfile" -t "$image" "$context" >/dev/null
echo "image $image: $(podman image inspect -f '{{.Id}}' "$image" | cut -c1-12)," \
	"$(echo "$paths" | wc -w) files from ldd, $(find "$rootfs" -type f | wc -l) in all," \
	"$(du -sk "$rootfs" | cut -f1) KiB"
if [ -n "$archive" ]; then
	rm -f "$archive"
	podman save --quiet --format oci-archive -o "$archive" "$image"
	echo "saved $archive"
fi
