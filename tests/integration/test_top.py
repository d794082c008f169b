"""memreap top: batch frames parsed and checked; the full screen driven through tmux."""
import json
import os
import re
import shutil
import subprocess
import time

from mrtest import MEMREAP, MiB, check, check_document, tmp, wl

UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
SIZE = r"(?:0|\d+|\d+\.\d+[KMGTPE]|\d+[KMGTPE])"  # a whole compact size: never cut
# The header, line by line, every number whole (README "memreap top").
HEADER = [
    r"memreap top - up \d+(?:s|m\d\ds|h\d\dm|d\d\dh) - \d+ address spaces - refresh \d+\.\ds",
    rf"self {SIZE} \({SIZE}/s\) \| exits \d+/s \| self share \[[#-]+\] (?:\d+%|-)",
    rf"kernel: exit {SIZE} \({SIZE}/s\) exec {SIZE} \({SIZE}/s\) pressure {SIZE} \({SIZE}/s\)",
    rf"freed {SIZE} \({SIZE}/s\) of {SIZE} that left: (?:\d+%|-) \| still held elsewhere {SIZE}",
    r"self/s [ ▁▂▃▄▅▆▇█]{16} \| kernel freed/s [ ▁▂▃▄▅▆▇█]{16} \| █ = " + SIZE + r"/s",
    r"health: \S.*",
]
# The sparklines' blocks: value v of max is BLOCKS[round(7 v / max)], halves up (README).
BLOCKS = "▁▂▃▄▅▆▇█"
ROW_NUMBERS = 76  # PID to AGE; " RSS-HISTORY" follows when the width leaves 11 cells or more
# A row of "Recently ended": pid, label (an exec chain's has spaces), end, four sizes, bar.
ENDED = re.compile(rf"\s*(\d+) (.+?) +(exit \d+|sig \d+|exec) +({SIZE}) +({SIZE}) +({SIZE}) "
                   rf"+({SIZE})  ([SK.]+)$")


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


def compact(n):
    """memreap's compact size, as top prints it: 0, 999, 0.98K, 64.0M, 512K."""
    v, unit = float(n), 0
    while v >= 1000 and unit < 6:
        v /= 1024
        unit += 1
    if unit == 0:
        return str(n)
    return ("%.2f" if v < 10 else "%.1f" if v < 100 else "%.0f") % v + "BKMGTPE"[unit]


def split_bar(self_, kernel, width):
    whole = self_ + kernel

    def cells(part):
        return 0 if not whole else width if part >= whole else int(part * width / whole + 0.5)
    s = cells(self_)
    k = cells(self_ + kernel) - s
    return "S" * s + "K" * k + "." * (width - s - k)


def pane(frame):
    """{pid: (label, end, peak, self, kernel, freed, bar)} of a frame's RECENTLY ENDED rows."""
    rows = {}
    for line in frame.split("RECENTLY ENDED")[1].splitlines()[2:]:
        m = ENDED.match(line)
        if m:
            rows.setdefault(int(m.group(1)), m.groups()[1:])
    return rows


def header_figure(frame, pattern):
    m = re.search(pattern, frame)
    check(m, f"{pattern!r} in the header:\n{frame}")
    return m.group(1)


def wait_attached(top):
    """top's collector thread runs once memreap has attached and taken its first snapshot."""
    deadline = time.time() + 30
    while len(os.listdir(f"/proc/{top.pid}/task")) < 2:
        check(top.poll() is None and time.time() < deadline, "top never attached")
        time.sleep(0.02)


def shell_copy(name):
    """A copy of /bin/sh under a name of its own: its comm selects it with --comm."""
    path = tmp(name)
    shutil.copy("/bin/sh", path)
    return path


def test_batch_frames_show_the_row_and_the_end():
    hog = start_hog(64, 16)
    top = subprocess.Popen([MEMREAP, "top", "--batch", "-n", "6", "-d", "0.5", "--comm", "hog"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
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
    rows = [l[:ROW_NUMBERS].split() for l in first.split("RECENTLY ENDED")[0].splitlines()
            if re.match(rf"\s*{hog.pid} ", l)]
    check(rows, f"the hog's row in the first frame:\n{first}")
    pid, comm, rss, peak, released, kernel, freed, age = rows[0]
    check(comm == "hog" and abs(size(rss) - 64 * MiB) < 2 * MiB, f"RSS {rss}")
    check(size(peak) >= 64 * MiB - MiB, f"PEAK {peak}")
    last = fs[-1]
    check(not any(re.match(rf"\s*{hog.pid} hog ", l)
                  for l in last.split("RECENTLY ENDED")[0].splitlines()), "gone from the table")
    ended = pane(last).get(hog.pid)
    check(ended, f"the hog in RECENTLY ENDED:\n{last}")
    comm, end, peak, self_, kernel, freed, bar = ended
    check(comm == "hog" and end == "exit 0", f"end reason: {ended}")
    check(abs(size(self_) - 16 * MiB) < 1.5 * MiB, f"SELF {self_}")
    check(abs(size(kernel) - 48 * MiB) < 2 * MiB, f"KERNEL {kernel}")
    check(abs(size(freed) - 64 * MiB) < 2 * MiB, f"FREED {freed}: its pages were its own")
    check(bar.startswith("SSSS") and bar.endswith("KKKK"), f"split bar {bar}")
    check("health: ok" in last, "health line")


def test_first_frame_is_one_snapshot():
    """Header, table and pane of a frame come from one snapshot, and the first frame covers a
    whole refresh: what ended in it is in its pane and in its header's totals."""
    snap = shell_copy("mrsnap")
    top = subprocess.Popen([MEMREAP, "top", "--batch", "-n", "2", "-d", "2", "--comm", "mrsnap"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    wait_attached(top)
    ended = {}
    for code in range(5):  # well within the first refresh
        p = subprocess.Popen([snap, "-c", f"exit {code}"])
        check(p.wait() == code, "exit code")
        ended[p.pid] = f"exit {code}"
    out, err = top.communicate(timeout=60)
    check(top.returncode == 0, err)
    fs = frames(out)
    check(len(fs) == 2, f"{len(fs)} frames")
    for i, frame in enumerate(fs):
        rows = pane(frame)
        check({pid: r[1] for pid, r in rows.items()} == ended,
              f"frame {i + 1}: the pane lists the five that ended, as they ended:\n{frame}")
        check(int(header_figure(frame, r"^(\d+)s - ")) >= 2 * (i + 1),
              f"frame {i + 1}: up at least {2 * (i + 1)} s:\n{frame}")
        self_ = size(header_figure(frame, rf"\nself ({SIZE}) "))
        kernel = sum(size(header_figure(frame, rf"{what} ({SIZE}) "))
                     for what in ("kernel: exit", "exec", "pressure"))
        freed = size(header_figure(frame, rf"\nfreed ({SIZE}) "))
        # The header counts the whole machine: at least the pane's rows (sizes are rounded to
        # three digits, 0.5% each way).
        for what, total, column in (("self", self_, 3), ("kernel", kernel, 4),
                                    ("freed", freed, 5)):
            listed = sum(size(r[column]) for r in rows.values())
            check(total * 1.011 >= listed,
                  f"frame {i + 1}: header {what} {total} < the pane's {listed}:\n{frame}")


def test_batch_fits_80_columns():
    """$COLUMNS=80 (as top -b takes it): every line within 80 columns, every number whole; the
    RSS-HISTORY column is dropped, not a number cut. The first frame covers one refresh: one
    cell of each rate graph, and the larger of the two is the scale's █."""
    p = subprocess.run([MEMREAP, "top", "--batch", "-n", "1", "-d", "0.5"], capture_output=True,
                       encoding="utf-8", timeout=60, env=dict(os.environ, COLUMNS="80"))
    check(p.returncode == 0, p.stderr)
    lines = p.stdout.splitlines()
    wide = [l for l in lines if len(l) > 80]
    check(not wide, f"lines wider than 80 columns: {wide}")
    for line, pattern in zip(lines, HEADER):
        check(re.fullmatch(pattern, line), f"header line {line!r} is not {pattern!r}")
    check(lines[len(HEADER) + 1].split() == ["PID", "COMM", "INTERP", "RSS", "PEAK", "RELEASED",
                                             "KERNEL", "FREED", "AGE"],
          f"the table follows the header: {lines[:8]}")
    pad = " " * 15
    graph = re.fullmatch(rf"self/s {pad}([{BLOCKS}]) \| kernel freed/s {pad}([{BLOCKS}]) \| █ = "
                         rf"({SIZE})/s", lines[4])
    check(graph, f"one refresh, one cell each: {lines[4]!r}")
    cells, scale = graph.group(1, 2), graph.group(3)
    check(("█" in cells) if scale != "0" else cells == ("▁", "▁"), f"the scale is █: {lines[4]!r}")
    recent = lines.index("RECENTLY ENDED")
    check(lines[recent + 1] == "    PID COMM                   END        PEAK   SELF KERNEL  "
                               "FREED  SELF|KERNEL", f"pane header: {lines[recent + 1]!r}")


def batch_frames(top):
    """top --batch's frames as they are printed: a frame ends with the blank line after its pane."""
    frame = ""
    for line in top.stdout:
        frame += line
        if line == "\n" and "RECENTLY ENDED" in frame:
            yield frame
            frame = ""


def table_row(frame, pid):
    """(RSS, RSS-HISTORY) of pid's row in a frame's table; None when it has none."""
    for line in frame.split("RECENTLY ENDED")[0].splitlines():
        if re.match(rf"\s*{pid} ", line):
            return size(line[:ROW_NUMBERS].split()[2]), line[ROW_NUMBERS + 1:]
    return None


def blocks_for(value, max_):
    """The blocks a sparkline shows for value of max, both as printed (3 digits: 0.5% each way)."""
    if not max_:
        return {BLOCKS[0]}
    low = 7 * value * 0.995 / (max_ * 1.005) + 0.5
    high = 7 * value * 1.005 / (max_ * 0.995) + 0.5
    return {BLOCKS[min(7, int(x))] for x in (low, high)}


def check_growing(histories, what):
    """Each frame is a newer snapshot: a cell more than the frame before, up to 16."""
    counts = [len(h.lstrip(" ")) for h in histories]
    check(all(len(h) == 16 and set(h.lstrip(" ")) <= set(BLOCKS) for h in histories),
          f"{what}: 16 cells, blocks padded on the left: {histories}")
    check(all(b > a or a == 16 == b for a, b in zip(counts, counts[1:])),
          f"{what}: a cell a refresh: {histories}")


def self_graph(frame):
    """(rate, scale, last cell) of a frame's self/s graph, as printed."""
    rate = size(header_figure(frame, rf"\nself {SIZE} \(({SIZE})/s\)"))
    scale = size(header_figure(frame, rf"█ = ({SIZE})/s"))
    return rate, scale, header_figure(frame, rf"\nself/s [ {BLOCKS}]{{15}}([{BLOCKS}]) ")


def test_rss_history_follows_the_phases():
    """phases 120 100 1.5 touches 120 MiB, holds them 1.5 s, unmaps 100 MiB, holds 1.5 s. While
    it holds 120 MiB, the last cell of its RSS-HISTORY is █, the row's peak; after the munmap the
    last cell is ▂ under an earlier █: 7 (20 + b) / (120 + b) is 1.17 to 1.5 for a baseline b
    under 7 MiB. The header's self/s graph shows the munmap's refresh at its rate, on the scale
    that █ names."""
    top = subprocess.Popen([MEMREAP, "top", "--batch", "-d", "0.3", "-n", "60", "--comm", "phases"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                           env=dict(os.environ, COLUMNS="100"))
    phases, seen, graphs = None, [], []
    try:
        wait_attached(top)
        phases = subprocess.Popen([wl("phases"), "120", "100", "1.5"])
        for frame in batch_frames(top):
            graphs.append(frame.splitlines()[4])
            row = table_row(frame, phases.pid)
            if row is None and seen:
                break  # it ended
            if row:
                seen.append((frame, *row))
    finally:
        top.terminate()
        err = top.communicate(timeout=30)[1]
        if phases:
            phases.wait()
    check(phases.returncode == 0, f"phases: {phases.returncode}")
    rows = [history for _, _, history in seen]
    holding = [i for i, (_, rss, _) in enumerate(seen) if 120 * MiB <= rss < 124 * MiB]
    after = [i for i, (_, rss, _) in enumerate(seen) if 20 * MiB <= rss < 24 * MiB
             and holding and i > holding[0]]
    check(holding and after, f"frames while holding 120 MiB and after the munmap: {rows} {err}")
    check_growing(rows, "RSS-HISTORY")
    for i in holding:
        check(rows[i][-1] == "█", f"holding 120 MiB: the last cell is the peak: {rows[i]!r}")
    for i in after:
        check(rows[i][-1] == "▂" and "█" in rows[i][:-1], f"after the munmap: ▂ under █: {rows}")
    check(all(re.fullmatch(HEADER[4], g) for g in graphs), f"the rates graph: {graphs}")
    check_growing([g[7:23] for g in graphs], "self/s")
    check_growing([g[41:57] for g in graphs], "kernel freed/s")
    # The refreshes from the last at 120 MiB to the first at 20 MiB saw the munmap (a snapshot
    # may come in the middle of it): 100 MiB in refreshes of 0.3 s, at most 1 s each.
    munmap = [self_graph(frame) for frame, _, _ in seen[max(h for h in holding if h < after[0])
                                                         + 1:after[0] + 1]]
    check(sum(rate for rate, _, _ in munmap) >= 100 * MiB, f"self/s of the munmap: {munmap}")
    for rate, scale, last in munmap:
        check(rate <= scale and last in blocks_for(rate, scale),
              f"self/s: {rate} of {scale} is {blocks_for(rate, scale)}, not {last}")


def chain_row(ledgers, label_width=32, bar_width=21):
    """The pane row of one process's exec chain, from another observer's ledgers of it."""
    chain = sorted(ledgers, key=lambda l: l["start_ns"])
    comms = [l["comm"] for l in chain]
    label = " -> ".join(comms) if len(comms) <= 3 else \
        f"{comms[0]} -> {comms[1]} -> ... -> {comms[-1]}"
    last = chain[-1]
    end = f"sig {last['signal']}" if last["signal"] is not None else f"exit {last['exit_code']}"
    self_ = sum(l["self_released"]["total"] for l in chain)
    kernel = sum(l[c]["total"] for l in chain for c in ("kernel_live", "kernel_exit",
                                                        "kernel_exec"))
    freed = sum(sum(l["freed"].values()) for l in chain)
    peak = max(l["peak_rss_bytes"] for l in chain)
    return (f"{last['pid']:7d} {label:<{label_width}} {end:<8} {compact(peak):>6} "
            f"{compact(self_):>6} {compact(kernel):>6} {compact(freed):>6}  "
            f"{split_bar(self_, kernel, bar_width)}")


def test_exec_chain_is_one_row():
    """A process that exec'd is one row of "Recently ended": its images from first to last (at
    most three named), the last one's end, the chain's sums, to the byte of memreap run's
    ledgers of the same processes."""
    chain = shell_copy("mrchain")
    short, long_ = tmp("chain-short.sh"), tmp("chain-long.sh")
    with open(short, "w") as f:
        f.write(f"exec {chain} -c 'exit 3'\n")
    with open(long_, "w") as f:
        f.write(f"exec env env {chain} -c 'kill -9 $$'\n")
    top = subprocess.Popen([MEMREAP, "top", "--batch", "-d", "0.5", "--comm", "mrchain"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_attached(top)
        run = tmp("chain.json")
        p = subprocess.run([MEMREAP, "run", "-q", "--json", run, "--", "sh", "-c",
                            f"sh {short}; sh {long_}; true"], capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 0, p.stderr)
        doc = json.load(open(run))
        check_document(doc)
        pids = sorted({l["pid"] for l in doc["ledgers"] if l["comm"] == "mrchain"})
        check(len(pids) == 2, f"two chains: {pids}")
        want = {pid: chain_row([l for l in doc["ledgers"] if l["pid"] == pid]) for pid in pids}
        check(" -> " in want[pids[0]] and " -> ... -> mrchain " in want[pids[1]], want)
        frame, deadline = "", time.time() + 30
        for line in top.stdout:  # frames until one shows both chains ended
            frame = "" if line.startswith("memreap top - up ") else frame + line
            if line == "\n" and "RECENTLY ENDED" in frame and all(
                    re.search(rf"^ *{pid} ", frame.split("RECENTLY ENDED")[1], re.M)
                    for pid in pids):
                break
            check(time.time() < deadline, f"never saw both chains end:\n{frame}")
    finally:
        top.terminate()
        top.communicate(timeout=30)
    got = {pid: [l for l in frame.split("RECENTLY ENDED")[1].splitlines()
                 if re.match(rf" *{pid} ", l)] for pid in pids}
    for pid in pids:
        check(got[pid] == [want[pid]], f"pid {pid}: one row {want[pid]!r}, got {got[pid]}")


def tmux(*args):
    # A server of our own: the machine-wide one may hold someone else's "mrtop" session. -u:
    # the panes and capture-pane speak UTF-8 whatever this environment's locale is.
    sock = "memreap-test-%d" % os.getpid()
    return subprocess.run(["tmux", "-u", "-L", sock, *args], capture_output=True,
                          encoding="utf-8")


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


def wait_for_frame(pattern, timeout=8):
    """Waits for a whole frame: a resize shows tmux's reflow of the old one until top redraws."""
    frame = r"\A\s*memreap top - up .*(?:\n.*){%d}\n\s*PID " % (len(HEADER) - 1)
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = screen()
        if re.search(frame, text) and re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"never saw a whole frame with {pattern!r}:\n{screen()}")


def test_screen_in_tmux():
    if not shutil.which("tmux"):
        return "skip: tmux not installed (make deps installs it)"
    tmux("kill-session", "-t", "mrtop")
    # Scoped: a busy machine ends more processes in a few seconds than the pane keeps. A sleep
    # in the scope gives the filter something to leave out.
    other = subprocess.Popen([shell_copy("mrother"), "-c", "read line"], stdin=subprocess.PIPE)
    tmux("new-session", "-d", "-s", "mrtop", "-x", "110", "-y", "32",
         f"env LC_ALL=C.UTF-8 {MEMREAP} top -d 0.5 --no-color --comm hog --comm mrother")
    hog = None
    try:
        wait_for(r"memreap top - up")
        hog = start_hog(64, 16)
        text = wait_for(rf"\n\s*{hog.pid} hog +6[45]\.\dM ")  # a snapshot since it said ready
        line = [l for l in text.splitlines() if re.match(rf"\s*{hog.pid} hog ", l)][0]
        row = line.split()
        check(abs(size(row[2]) - 64 * MiB) < 2 * MiB, f"RSS on screen: {row}")
        # hog touched its 64 MiB before it said ready: its RSS now is its peak
        check(text.splitlines()[len(HEADER)].split()[-1] == "RSS-HISTORY"
              and line[ROW_NUMBERS] == " " and line[ROW_NUMBERS + 1:].rstrip()[-1] == "█",
              f"the hog's RSS-HISTORY ends at its peak:\n{text}")
        check(re.search(rf"\n\s*{other.pid} mrother ", text), f"the other row:\n{text}")
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
        pids = [l.split()[0] for l in table.splitlines()[len(HEADER):] if re.match(r"\s*\d+ ", l)]
        check(pids == [str(hog.pid)], f"only the hog after filtering: {pids}")
        tmux("send-keys", "-t", "mrtop", "p")
        wait_for(r"PAUSED")
        tmux("send-keys", "-t", "mrtop", "p", "?")
        wait_for(r"memreap top - keys")
        tmux("send-keys", "-t", "mrtop", "x")
        wait_for(r"sort: pid desc")
        tmux("resize-window", "-t", "mrtop", "-x", "80", "-y", "24")
        text = wait_for_frame(r"Recently ended")
        check(all(len(l) <= 80 for l in text.splitlines()), "fits 80 columns")
        check(text.splitlines()[len(HEADER)].split()[-1] == "AGE", f"no RSS-HISTORY:\n{text}")
        for line, pattern in zip(text.splitlines(), HEADER):  # and no number is cut
            check(re.fullmatch(pattern, line.rstrip()), f"at 80x24: {line!r} is not {pattern!r}")
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
        other.kill()
        other.wait()
        tmux("kill-session", "-t", "mrtop")


def test_screen_without_utf8():
    """A terminal whose locale is not UTF-8 gets the blocks as ASCII levels, _.:-=+*# (▁ to █)."""
    if not shutil.which("tmux"):
        return "skip: tmux not installed (make deps installs it)"
    tmux("kill-session", "-t", "mrtop")
    tmux("new-session", "-d", "-s", "mrtop", "-x", "100", "-y", "30",
         f"env LC_ALL=C {MEMREAP} top -d 0.3 --no-color --comm hog")
    hog = None
    try:
        wait_for(r"memreap top - up")
        hog = start_hog(64, 0)
        text = wait_for(rf"\n\s*{hog.pid} hog +6[45]\.\dM ")
        line = [l for l in text.splitlines() if re.match(rf"\s*{hog.pid} hog ", l)][0]
        history = line[ROW_NUMBERS + 1:].rstrip()
        check(history and set(history.lstrip()) <= set("_.:-=+*#") and history[-1] == "#",
              f"ASCII levels, the last at the peak: {line!r}")
        check(re.search(r"\nself/s [ _.:\-=+*#]{16} \| kernel freed/s [ _.:\-=+*#]{16} \| # = ",
                        text), f"the rates graph in ASCII:\n{text}")
    finally:
        if hog:
            finish_hog(hog)
        tmux("kill-session", "-t", "mrtop")


def test_top_refuses_a_pipe_without_batch():
    p = subprocess.run([MEMREAP, "top"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    check(p.returncode == 2 and "--batch" in p.stderr, p.stderr)
