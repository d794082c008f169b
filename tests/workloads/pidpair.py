"""Two hogs whose pids differ by STRIDE, each releasing FREE MiB of MIB while the other lives.

    pidpair.py HOG STRIDE MIB FREE

memreap keeps release windows in slots indexed by thread id modulo a power of two: with STRIDE
that number, the second hog's slot is the first's, held by a live thread. The pids are chosen
through /proc/sys/kernel/ns_last_pid (root). Prints "pids P Q" when both have exited.
"""
import os
import subprocess
import sys


def free_pid(pid):
    return not os.path.exists(f"/proc/{pid}")


def start_at(pid, argv):
    """argv as process pid, or None when another fork took that pid first."""
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if p.pid == pid:
        return p
    p.kill()
    p.wait()
    return None


def start_pair(argv, stride):
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    with open("/proc/sys/kernel/ns_last_pid") as f:
        first = int(f.read()) + 100
    for attempt in range(200):
        pid = 300 + (first + attempt * 7) % (pid_max - stride - 300)
        if not (free_pid(pid) and free_pid(pid + stride)):
            continue
        a = start_at(pid, argv)
        b = start_at(pid + stride, argv) if a else None
        if a and b:
            return a, b
        for p in (a, b):
            if p:
                p.kill()
                p.wait()
    sys.exit("pidpair: no free pair of pids could be had")


def step(p, expect):
    p.stdin.write("go\n")
    p.stdin.flush()
    line = p.stdout.readline().split()
    if line[:1] != [expect]:
        sys.exit(f"pidpair: {p.pid} said {line}, not {expect}")


def main():
    hog, stride, mib, free = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    a, b = start_pair([hog, mib, free, "hold"], stride)
    for p in (a, b):
        if p.stdout.readline().split()[:1] != ["ready"]:
            sys.exit(f"pidpair: {p.pid} is not ready")
    step(a, "freed")  # a's window holds the slot
    step(b, "freed")  # b released while a, alive, held it
    for p in (a, b):
        p.stdin.write("\n")
        p.stdin.flush()
        if p.wait() != 0:
            sys.exit(f"pidpair: {p.pid} exited {p.returncode}")
    print("pids", a.pid, b.pid)


main()
