#!/usr/bin/env python3
"""Copy the raw BTF blob out of a kernel Image (CONFIG_DEBUG_INFO_BTF=y keeps it in .BTF).

    btf_from_image.py IMAGE OUT.btf

The blob is found by its header: magic 0xeB9F, version 1, a 24-byte header, types at offset 0
and strings right after them; the largest such blob is the kernel's. bpftool then reads OUT.btf
like /sys/kernel/btf/vmlinux. Debian's arm64 vmlinuz is an uncompressed Image (gzip also read).
"""
import gzip
import struct
import sys

HEADER = struct.Struct("<HBBIIIII")


def blobs(image):
    at = image.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00")
    while at >= 0:
        _, _, _, hdr_len, type_off, type_len, str_off, str_len = HEADER.unpack_from(image, at)
        end = at + hdr_len + str_off + str_len
        if type_off == 0 and str_off == type_len and str_len and end <= len(image) \
                and image[at + hdr_len + str_off] == 0 and image[end - 1] == 0:
            yield image[at:end]
        at = image.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00", at + 1)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: btf_from_image.py IMAGE OUT.btf")
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    if image[:2] == b"\x1f\x8b":
        image = gzip.decompress(image)
    found = max(blobs(image), key=len, default=None)
    if not found:
        sys.exit(f"btf_from_image: no BTF blob in {sys.argv[1]} (CONFIG_DEBUG_INFO_BTF=y?)")
    with open(sys.argv[2], "wb") as f:
        f.write(found)
    print(f"btf_from_image: {len(found)} bytes of BTF from {sys.argv[1]}")


main()
