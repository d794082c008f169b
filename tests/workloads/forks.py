# Fork children of a CPython process: the parent touches 100 MiB, forks 3 children that leave
# with os._exit(0) (as multiprocessing fork workers do), waits for them, then exits normally.
# With "write", each child writes every page of the 100 MiB first (copy-on-write copies).
import os
import sys

data = bytearray(100 << 20)
data[::4096] = b"1" * len(data[::4096])
kids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        if sys.argv[1:] == ["write"]:
            data[::4096] = b"2" * len(data[::4096])
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
