# Allocates about 200 MiB in objects and buffers, frees most of it, keeps some until exit.
import sys

keep = []
lists = [[i for i in range(100000)] for _ in range(40)]    # ~130 MiB of ints and lists
blobs = [bytearray(8 << 20) for _ in range(8)]            # 64 MiB of large buffers
for b in blobs:
    b[::4096] = b"\x01" * len(b[::4096])
keep.append(blobs.pop())                                   # 8 MiB kept to the end
del lists, blobs
mode = sys.argv[1] if len(sys.argv) > 1 else "normal"
if mode == "os_exit":
    import os
    os._exit(0)
