"""valgrind on the report path: real, cut, corrupt and foreign recordings in every format,
no invalid access and no leak. Always the plain build (valgrind and ASan do not mix)."""
import os
import shutil
import struct
import subprocess

from mrtest import ROOT, check, memreap, tmp, wl

PLAIN = os.path.join(ROOT, "build", "memreap")
VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect"]


def memcheck(*args):
    p = subprocess.run([*VALGRIND, PLAIN, *args], capture_output=True, text=True, timeout=300)
    check(p.returncode != 99, f"valgrind found errors in report {args}:\n{p.stderr[-3000:]}")
    return p


def test_report_is_valgrind_clean():
    if not shutil.which("valgrind"):
        return "skip: valgrind not installed"
    rec = tmp("memcheck.rec")
    p = memreap("record", "-o", rec, "--", "sh", "-c",
                f"{wl('storm')} 20 4 >/dev/null; /usr/bin/python3.11 -c pass")
    check(p.returncode == 0, p.stderr)
    data = open(rec, "rb").read()
    cut, bad = tmp("memcheck-cut.rec"), tmp("memcheck-bad.rec")
    open(cut, "wb").write(data[:len(data) * 2 // 3])
    # A byte in the middle of the longest record's payload: a compressed block's, since version 3.
    frames, at = [], 16
    while at + 8 <= len(data):
        frames.append((struct.unpack_from("<I", data, at)[0], at))
        at += 12 + frames[-1][0]
    length, at = max(frames)
    mid = at + 8 + length // 2
    open(bad, "wb").write(data[:mid] + bytes([data[mid] ^ 0xff]) + data[mid + 1:])
    for args in (["--format", "json"], ["--format", "csv", "--by", "tree"],
                 ["--by", "tree"], ["--by", "interpreter", "--sort", "peak", "--top", "2"]):
        p = memcheck("report", rec, *args)
        check(p.returncode == 0, f"{args}: rc {p.returncode}")
    check(memcheck("report", cut).returncode == 0, "a cut file reports")
    check(memcheck("report", bad).returncode == 1, "a corrupt file is an error")
    check(memcheck("report", "/etc/hostname").returncode == 1, "a foreign file is an error")
