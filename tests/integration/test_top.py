"""memreap top: batch frames parsed and checked; the full screen driven through tmux."""
import os
import re
import shutil
import subprocess
import time

from mrtest import MEMREAP, MiB, check, wl

UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def size(text):
    """'64.0M' -> bytes; '0' -> 0."""
    if text[-1] in UNITS:
        return float(text[:-1]) * UNITS[text[-1]]
    return float(text)


def start_hog(mib, free):
    hog = subprocess.Popen([wl("hog"), str(mib), str(free)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    check(hog.stdout.readline().startswith("ready"), "hog ready")
    return hog


def finish_hog(hog):
    hog.stdin.write("go\n")
    hog.stdin.flush()
    hog.wait()


def frames(text):
    return [f for f in text.split("memreap top - up ") if f.strip()]


def test_batch_frames_show_the_row_and_the_end():
    hog = start_hog(64, 16)
    top = subprocess.Popen([MEMREAP, "top", "--batch", "-n", "6", "-d", "0.5", "--comm", "hog"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in top.stdout:  # until a frame shows the hog alive
        seen.append(line)
        if re.match(rf"\s*{hog.pid} hog ", line):  # it has not ended: a row of the table
            break
    finish_hog(hog)
    out, err = top.communicate(timeout=30)
    out = "".join(seen) + out
    check(top.returncode == 0, err)
    fs = frames(out)
    check(len(fs) == 6, f"{len(fs)} frames")
    first = fs[0]
    rows = [l.split() for l in first.splitlines() if re.match(rf"\s*{hog.pid} ", l)]
    check(rows, f"the hog's row in the first frame:\n{first}")
    pid, comm, rss, peak, released, kernel, freed, age = rows[0]
    check(comm == "hog" and abs(size(rss) - 64 * MiB) < 2 * MiB, f"RSS {rss}")
    check(size(peak) >= 64 * MiB - MiB, f"PEAK {peak}")
    last = fs[-1]
    check(not any(re.match(rf"\s*{hog.pid} hog +\S+ +\S+ +\S+ +\S+ +\S+ +\S+$", l)
                  for l in last.split("RECENTLY ENDED")[0].splitlines()), "gone from the table")
    ended = [l.split() for l in last.split("RECENTLY ENDED")[1].splitlines()
             if re.match(rf"\s*{hog.pid} ", l)]
    check(ended, f"the hog in RECENTLY ENDED:\n{last}")
    pid, comm, end, code, peak, self_, kernel, freed, bar = ended[0]
    check(end == "exit" and code == "0", "end reason")
    check(abs(size(self_) - 16 * MiB) < 1.5 * MiB, f"SELF {self_}")
    check(abs(size(kernel) - 48 * MiB) < 2 * MiB, f"KERNEL {kernel}")
    check(abs(size(freed) - 64 * MiB) < 2 * MiB, f"FREED {freed}: its pages were its own")
    check(bar.startswith("SSSS") and bar.endswith("KKKK"), f"split bar {bar}")
    check("health: ok" in last, "health line")


def tmux(*args):
    # A server of our own: the machine-wide one may hold someone else's "mrtop" session.
    sock = "memreap-test-%d" % os.getpid()
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True)


def screen():
    return tmux("capture-pane", "-p", "-t", "mrtop").stdout


def wait_for(pattern, timeout=8):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = screen()
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"never saw {pattern!r} on the screen:\n{screen()}")


def test_screen_in_tmux():
    if not shutil.which("tmux"):
        return "skip: tmux not installed (make deps installs it)"
    tmux("kill-session", "-t", "mrtop")
    tmux("new-session", "-d", "-s", "mrtop", "-x", "110", "-y", "32",
         f"{MEMREAP} top -d 0.5 --no-color")
    hog = None
    try:
        wait_for(r"memreap top - up")
        hog = start_hog(64, 16)
        text = wait_for(rf"\n\s*{hog.pid} hog ")
        row = [l for l in text.splitlines() if re.match(rf"\s*{hog.pid} hog ", l)][0].split()
        check(abs(size(row[2]) - 64 * MiB) < 2 * MiB, f"RSS on screen: {row}")
        check("sort: rss desc" in text, "default sort")
        tmux("send-keys", "-t", "mrtop", "s")
        wait_for(r"sort: peak desc")
        tmux("send-keys", "-t", "mrtop", "r")
        wait_for(r"sort: peak asc")
        tmux("send-keys", "-t", "mrtop", "<", "<", "<", "r")
        wait_for(r"sort: pid desc")
        tmux("send-keys", "-t", "mrtop", "/", "hog", "Enter")
        text = wait_for(r"filter: hog")
        table = text.split("Recently ended")[0]
        pids = [l.split()[0] for l in table.splitlines()[5:] if re.match(r"\s*\d+ ", l)]
        check(pids == [str(hog.pid)], f"only the hog after filtering: {pids}")
        tmux("send-keys", "-t", "mrtop", "p")
        wait_for(r"PAUSED")
        tmux("send-keys", "-t", "mrtop", "p", "?")
        wait_for(r"memreap top - keys")
        tmux("send-keys", "-t", "mrtop", "x")
        wait_for(r"sort: pid desc")
        tmux("resize-window", "-t", "mrtop", "-x", "80", "-y", "24")
        text = wait_for(r"Recently ended")
        check(all(len(l) <= 80 for l in text.splitlines()), "fits 80 columns")
        finish_hog(hog)
        text = wait_for(rf"\n\s*{hog.pid} hog +exit 0")
        line = [l for l in text.split("Recently ended")[1].splitlines()
                if re.match(rf"\s*{hog.pid} hog", l)][0].split()
        check(abs(size(line[6]) - 48 * MiB) < 2 * MiB, f"kernel share on screen: {line}")
        tmux("send-keys", "-t", "mrtop", "q")
        deadline = time.time() + 10  # a loaded machine may take a while to detach
        while tmux("has-session", "-t", "mrtop").returncode == 0 and time.time() < deadline:
            time.sleep(0.1)
        check(tmux("has-session", "-t", "mrtop").returncode != 0, "q quits")
    finally:
        if hog and hog.poll() is None:
            hog.kill()
        tmux("kill-session", "-t", "mrtop")


def test_top_refuses_a_pipe_without_batch():
    p = subprocess.run([MEMREAP, "top"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    check(p.returncode == 2 and "--batch" in p.stderr, p.stderr)
