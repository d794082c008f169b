#!/usr/bin/env python3
"""make bench: memreap's overhead and capacity, against the floor and the anchors, in one run.

    bench/suite.py [--quick]      (root; `make bench` / `make bench BENCH_QUICK=1`)

Writes bench/results/overhead.md and the summary between the bench markers in README.md.
--quick: 3 runs of shorter scenarios and 10 s recordings, to check the suite, not to quote.
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_procs import (MEMREAP, PYTHON, ROOT, SHM, Background, BenchError, BpfStats,  # noqa: E402
                         bench_bin, cpu_seconds, has_hooks, peak_rss_bytes, printed, prog_stats,
                         run_parallel, run_peak_rss, run_timed, stats_delta)
import bench_report  # noqa: E402

REC = os.path.join(SHM, "memreap-bench.rec")
STRACE = ["strace", "-f", "-e", "trace=memory", "-o", "/dev/null", "--"]
PERF_TRACE = ["perf", "trace", "-e", "mmap,munmap,mremap,brk,madvise,mprotect", "-o", "/dev/null",
              "--"]
TRACED_SCENARIOS = ("1", "2", "5")  # strace and perf trace see only syscalls


class Mode:
    """Sizes: full (the figures to quote) or quick (checks the suite in a few minutes)."""

    def __init__(self, quick):
        self.quick = quick
        self.runs = 3 if quick else 5
        self.pf_rounds = 2 if quick else 6
        self.mmap_iters = 10000 if quick else 40000
        self.getppid_calls = 2000000 if quick else 8000000
        self.storm_exits = 1000 if quick else 3000
        self.alloc_rounds = 10 if quick else 40
        self.record_seconds = 10 if quick else 60
        self.paced_seconds = 10 if quick else 30
        self.ladder_exits = 3000 if quick else 20000
        self.ladder_inflight = (2, 8) if quick else (1, 2, 4, 8, 16)
        self.sleepers = (100, 1000, 10000)
        self.profile_seconds = 4 if quick else 8
        self.storm_rounds = 3 if quick else 21  # runs of one storm vary by up to ±20% here


def scenarios(m):
    return {
        "1": ("page-fault loop", f"{m.pf_rounds} x (mmap 256 MiB, touch every 4 KiB page, munmap)",
              [bench_bin("pagefault"), str(m.pf_rounds)]),
        "2": ("mmap 64 KiB loop", f"{m.mmap_iters} x (mmap 64 KiB, touch 16 pages, munmap)",
              [bench_bin("mmaploop"), str(m.mmap_iters)]),
        "3": ("getppid loop", f"{m.getppid_calls} x getppid()",
              [bench_bin("getppid"), str(m.getppid_calls)]),
        "4": ("fork+exec storm", f"{m.storm_exits} x fork + exec /bin/true, 8 in flight",
              [bench_bin("exitstorm"), "exec", str(m.storm_exits), "8"]),
        "5": ("CPython allocations", f"/usr/bin/python3 bench/alloc.py {m.alloc_rounds}",
              [PYTHON, os.path.join(ROOT, "bench", "alloc.py"), str(m.alloc_rounds)]),
    }


# Observers ---------------------------------------------------------------------------------

# memreap's raw tracepoints: the entries of its hooks table (user/collect/hooks.c).
with open(os.path.join(ROOT, "user", "collect", "hooks.c")) as _f:
    RAW_HOOKS = len(re.findall(r'^\t\{ "', _f.read(), re.M))

def memreap_observer(extra=()):
    def ready(bg):
        return os.path.exists(REC) and has_hooks(RAW_HOOKS, "raw_tracepoint")(bg)
    if os.path.exists(REC):
        os.unlink(REC)
    return Background("memreap", [MEMREAP, "record", "-o", REC, *extra], ready, settle=0.5)


def floor_observer(uprobes):
    return Background("floor", [bench_bin("floor"), "raw", *uprobes], has_hooks(RAW_HOOKS + len(uprobes)))


def bpftrace_observer():
    return Background("bpftrace", ["bpftrace", os.path.join(ROOT, "bench", "ledgers.bt")],
                      has_hooks(5, "tracepoint"), env={"BPFTRACE_MAP_KEYS_MAX": "65536"},
                      settle=0.5, timeout=120)


def read_recording(path):
    """Ledgers as `memreap report --format csv` reads them (the product's one reader, which
    knows every record type), and the final health record (type 4) from the file itself
    (in a version 3 file, inside its compressed blocks: type 8, one raw deflate stream)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"MEMREAP\0":
        raise BenchError(f"{path} is not a memreap recording")
    health, off, inflate, inner = None, 16, zlib.decompressobj(-15), b""
    while off + 8 <= len(data):
        length, kind = struct.unpack_from("<II", data, off)
        if kind == 4:
            health = json.loads(data[off + 8:off + 8 + length])["health"]
        if kind == 8:
            inner += inflate.decompress(data[off + 8:off + 8 + length])
        off += 12 + length
    off = 0
    while off + 8 <= len(inner):
        length, kind = struct.unpack_from("<II", inner, off)
        if kind == 4:
            health = json.loads(inner[off + 8:off + 8 + length])["health"]
        off += 12 + length
    if health is None:
        raise BenchError(f"{path} has no end record: the recorder did not finish")
    rep = subprocess.run([MEMREAP, "report", "--format", "csv", path], capture_output=True,
                         text=True, check=True)
    ledgers = [{"ppid": int(row["ppid"]), "end": row["end"]}
               for row in csv.DictReader(io.StringIO(rep.stdout))]
    return ledgers, health


class Health:
    """memreap's health over every recording of the run: all must stay 0 but drops."""
    FIELDS = ("ringbuf_drops", "map_full", "unattributed_bytes", "lost_ledgers")

    def __init__(self):
        self.total = dict.fromkeys(self.FIELDS, 0)
        self.recordings = 0

    def add(self, h):
        self.recordings += 1
        for k in self.FIELDS:
            self.total[k] += h.get(k, 0)


def stop_memreap(bg, health):
    status, usage = bg.stop()
    if status != 0:
        raise BenchError(f"memreap record exited {status}: {bg.output()[-300:]!r}")
    ledgers, h = read_recording(REC)
    health.add(h)
    return ledgers, h, usage


# Phases ------------------------------------------------------------------------------------

def preflight():
    if os.geteuid() != 0:
        raise BenchError("make bench needs root (it loads BPF programs)")
    for tool in ("bpftool", "bpftrace", "strace"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} not found (make bench-deps installs it)")
    for b in ("floor", "pagefault", "mmaploop", "getppid", "exitstorm", "sleepers"):
        if not os.access(bench_bin(b), os.X_OK):
            raise BenchError(f"{bench_bin(b)} is not built (make bench builds it)")
    with open("/proc/mounts") as f:
        if " tracefs " not in f.read():
            subprocess.run(["mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"], check=True)
    perf = subprocess.run([*PERF_TRACE, "/bin/true"], capture_output=True, text=True)
    return perf.returncode == 0, perf.stderr.strip().splitlines()[-1:] or [""]


def check_floor_hooks(health):
    """The floor must hold exactly memreap's hooks: same raw tracepoints, same uprobe sites."""
    bg = memreap_observer().start()
    mine = [(t, name) for t, name, _ in bg.hooks()]
    stop_memreap(bg, health)
    uprobes = [name for t, name in mine if t == "uprobe"]
    fl = floor_observer(uprobes).start()
    floor = [(t, name) for t, name, _ in fl.hooks()]
    fl.stop()
    if sorted(mine) != sorted(floor):
        raise BenchError(f"the floor's hooks {floor} differ from memreap's {mine}")
    return mine, uprobes


def matrix(m, scen, configs, uprobes, health):
    """Every configuration, interleaved A B A B, each scenario once per round."""
    times = {c: {s: [] for s in scen} for c in configs}
    for r in range(m.runs):
        for cfg in configs:
            print(f"  round {r + 1}/{m.runs}: {cfg}", flush=True)
            bg = {"floor": lambda: floor_observer(uprobes), "memreap": memreap_observer,
                  "bpftrace": bpftrace_observer}.get(cfg)
            bg = bg().start() if bg else None
            wrap = {"strace": STRACE, "perf trace": PERF_TRACE}.get(cfg, [])
            for s, (name, _, argv) in scen.items():
                if wrap and s not in TRACED_SCENARIOS:
                    continue
                times[cfg][s].append(run_timed([*wrap, *argv], f"scenario {s} under {cfg}"))
            if cfg == "memreap":
                stop_memreap(bg, health)
            elif bg:
                bg.stop()
    return times


def storm_cost(m, uprobes, health):
    """Scenario 4 alone, more rounds interleaved A B A B (a storm is short, and its wall clock is
    this machine's noisiest figure): per run the wall clock, the storm's CPU time (its processes'
    user + system time, where the BPF programs and the tracepoints run) and the observer process's
    own CPU time over the same run. Their sum is the storm's whole cost in CPU."""
    argv = scenarios(m)["4"][2]
    makers = {"baseline": lambda: None, "floor": lambda: floor_observer(uprobes),
              "memreap": memreap_observer, "bpftrace": bpftrace_observer}
    out = {cfg: [] for cfg in makers}
    for r in range(m.storm_rounds):
        for cfg, make in makers.items():
            print(f"  storm round {r + 1}/{m.storm_rounds}: {cfg}", flush=True)
            bg = make()
            bg = bg.start() if bg else None
            before = cpu_seconds(bg.proc.pid) if bg else 0.0
            t = run_timed(argv, f"scenario 4 under {cfg}")
            t["observer_cpu"] = (cpu_seconds(bg.proc.pid) - before) if bg else 0.0
            if cfg == "memreap":
                stop_memreap(bg, health)
            elif bg:
                bg.stop()
            out[cfg].append(t)
    return out


def per_event(m, uprobes, health, scenario="1", anchor=True):
    """kernel.bpf_stats_enabled=1: each BPF observer's time per program run over one run of a
    scenario (events from the whole machine count: the time per run is what matters)."""
    argv = scenarios(m)[scenario][2]
    observers = [("floor", lambda: floor_observer(uprobes)), ("memreap", memreap_observer)]
    if anchor:
        observers.append(("bpftrace", bpftrace_observer))
    out = {}
    with BpfStats():
        for cfg, make in observers:
            bg = make().start()
            hooks = {prog: name for _, name, prog in bg.hooks()}
            st0 = prog_stats(set(hooks))
            t = run_timed(argv, f"scenario {scenario} under {cfg}")
            progs = stats_delta(st0, prog_stats(set(hooks)))
            if cfg == "memreap":
                stop_memreap(bg, health)
            else:
                bg.stop()
            out[cfg] = {"timing": t, "hooks": {hooks[i]: p for i, p in progs.items()}}
    return out


def page_free_cost(uprobes, health):
    """The page-free program's time per run where no release is in progress (a loop that drops
    page cache it never mapped), for memreap and for the floor's empty program."""
    path = os.path.join("/var/tmp", f"memreap-bench-pagecache-{os.getpid()}")  # not tmpfs
    argv = [bench_bin("pagecache"), path, "20"]
    out = {}
    with BpfStats():
        for cfg, make in (("floor", lambda: floor_observer(uprobes)),
                          ("memreap", memreap_observer)):
            bg = make().start()
            hooks = {prog: name for _, name, prog in bg.hooks()}
            st0 = prog_stats(set(hooks))
            t = run_timed(argv, f"page cache drops under {cfg}")
            progs = stats_delta(st0, prog_stats(set(hooks)))
            if cfg == "memreap":
                stop_memreap(bg, health)
            else:
                bg.stop()
            out[cfg] = {"timing": t, "hooks": {hooks[i]: p for i, p in progs.items()}}
    return out


def memreap_programs(bg):
    return {prog for _, _, prog in bg.hooks()}


def collector_run(m, health):
    """A system-wide recording under the storm (unpaced, then paced to 1,000 exits/s):
    the collector's CPU and peak RSS, BPF run time, health and every ledger accounted for."""
    out = {}
    with BpfStats():
        bg = memreap_observer().start()
        progs = memreap_programs(bg)
        for phase, seconds, rate in (("storm", m.record_seconds, None),
                                     ("paced", m.paced_seconds, 1000)):
            cpu0, st0 = cpu_seconds(bg.proc.pid), prog_stats(progs)
            pace = [str(rate)] if rate else []
            argv = [bench_bin("exitstorm"), "exec", str(-seconds), "8", *pace]
            t = run_timed(argv, f"the {phase} storm", timeout=seconds + 120)
            time.sleep(0.3)
            out[phase] = {"timing": t, "collector_cpu": cpu_seconds(bg.proc.pid) - cpu0,
                          "bpf": stats_delta(st0, prog_stats(progs)), "seconds": seconds}
        out["peak_rss"] = peak_rss_bytes(bg.proc.pid)
        out["profile"] = profile_collector(bg.proc.pid, m.profile_seconds)
        ledgers, h, usage = stop_memreap(bg, health)
    out["health"] = h
    out["ledgers"] = len(ledgers)
    storms = {out[p]["timing"]["pid"] for p in ("storm", "paced")}
    # Each child: its forked copy (ends by exec) and /bin/true (ends by exit).
    out["storm_ledgers"] = sum(1 for led in ledgers if led["ppid"] in storms)
    out["expected_storm_ledgers"] = 2 * (out["storm"]["timing"]["ops"] +
                                         out["paced"]["timing"]["ops"])
    out["usage_cpu"] = usage.ru_utime + usage.ru_stime  # start-up, seeding and shutdown too
    return out


def front_ends_cpu(m):
    """`top --batch` and the exporter under the storm paced to 1,000 processes/s: their CPU per
    process (each process is a fork, an exec and an exit; top refreshes every second, the
    exporter renders every second; nothing scrapes it)."""
    out = {}
    for name, argv in (("top", [MEMREAP, "top", "--batch", "-d", "1", "-n", "100000"]),
                       ("exporter", [MEMREAP, "exporter", "--listen", "127.0.0.1:0"])):
        bg = Background(name, argv, has_hooks(RAW_HOOKS, "raw_tracepoint"), settle=1).start()
        cpu0 = cpu_seconds(bg.proc.pid)
        t = run_timed([bench_bin("exitstorm"), "exec", str(-m.paced_seconds), "8", "1000"],
                      f"the paced storm under {name}", timeout=m.paced_seconds + 120)
        time.sleep(0.3)
        out[name] = {"timing": t, "collector_cpu": cpu_seconds(bg.proc.pid) - cpu0}
        bg.stop()
    return out


def profile_collector(pid, seconds):
    """perf record on the collector while the storm runs paced to 1,000/s: where its CPU goes,
    by library and by function (perf's own sampling is why this is a separate window)."""
    data = os.path.join(SHM, "memreap-bench-perf.data")
    storm = subprocess.Popen([bench_bin("exitstorm"), "exec", str(-seconds - 2), "8", "1000"],
                             stdout=subprocess.DEVNULL)
    rec = subprocess.run(["perf", "record", "-q", "-p", str(pid), "-o", data, "--", "sleep",
                          str(seconds)], capture_output=True, text=True)
    storm.wait()
    if rec.returncode:
        return {"error": (rec.stderr.strip().splitlines() or ["perf record failed"])[-1]}
    out = {}
    for sort in ("dso", "symbol"):
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort,
                              "--stdio", "-q"], capture_output=True, text=True)
        rows = []
        for line in rep.stdout.splitlines():
            parts = line.split()
            if parts and parts[0].endswith("%"):
                name = [w for w in parts[1:] if w not in ("[.]", "[k]", "-")]
                rows.append((parts[0], " ".join(name)))
        out[sort] = rows[:12]
    os.unlink(data)
    return out


def exit_ladder(m, health):
    """fork + _exit storms at rising concurrency: the rate with and without memreap, and whether
    memreap accounted for every process (one ledger per child, none lost). The last row repeats
    the busiest level with a 4 KiB ring buffer, so that ends overflow into the parked map."""
    rows = []
    levels = [(n, ()) for n in m.ladder_inflight]
    levels.append((m.ladder_inflight[-1], ("--ringbuf-size", "4096")))
    for inflight, extra in levels:
        argv = [bench_bin("exitstorm"), "fork", str(m.ladder_exits), str(inflight)]
        base = run_timed(argv, "the exit ladder")
        bg = memreap_observer(extra).start()
        t = run_timed(argv, "the exit ladder")
        time.sleep(0.3)
        ledgers, h, _ = stop_memreap(bg, health)
        children = sum(1 for led in ledgers if led["ppid"] == t["pid"] and led["end"] == "exit")
        rows.append({"inflight": inflight, "ringbuf": " ".join(extra) or "default (4 MiB)",
                     "base_rate": base["ops"] / base["wall"], "rate": t["ops"] / t["wall"],
                     "exits": t["ops"], "ledgers": children, "health": h})
    return rows


def width_scaling(m, uprobes, health):
    """Scenarios 1 and 4 on 1 and on 2 busy CPUs at once (one copy pinned per CPU), and memreap's
    rss_stat program's time per run on each."""
    scen = scenarios(m)
    cases = [f"{s}x{w}" for s in ("1", "4") for w in (1, 2)]
    makers = {"baseline": None, "floor": lambda: floor_observer(uprobes),
              "memreap": memreap_observer}
    times = {c: {case: [] for case in cases} for c in makers}
    for r in range(m.runs):
        for cfg, make in makers.items():
            print(f"  round {r + 1}/{m.runs}: {cfg}", flush=True)
            bg = make().start() if make else None
            for case in cases:
                s, w = case.split("x")
                runs = run_parallel(scen[s][2], f"scenario {case}", list(range(int(w))))
                times[cfg][case].append(statistics.mean(x["wall"] for x in runs))
            if cfg == "memreap":
                stop_memreap(bg, health)
            elif bg:
                bg.stop()
    per_run = {}
    with BpfStats():
        bg = memreap_observer().start()
        prog = [p for _, name, p in bg.hooks() if name == "rss_stat"]
        for w in (1, 2):
            st0 = prog_stats(prog)
            run_parallel(scen["1"][2], f"scenario 1x{w}", list(range(w)))
            d = list(stats_delta(st0, prog_stats(prog)).values())[0]
            per_run[str(w)] = d["ns"] / max(d["cnt"], 1)
        stop_memreap(bg, health)
    return {"times": times, "rss_stat_ns": per_run}


VMTEST_CPUS = (2, 8, 32)


def cpucost_lines(text):
    """bench/cpucost.py's lines in a guest's console: {observer: {hook: ns per run}}."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 6 and f[0] == "cpucost:":
            out.setdefault(f[2], {})[f[3]] = {"cnt": int(f[4]), "ns": float(f[5])}
    return out


def cpu_count_scaling(m):
    """The BPF time per event against the number of CPUs: Debian's 6.12 under qemu with -smp N
    (TCG: N real CPUs in the guest), bench/cpucost.py inside. A boot that crashes before the
    guest reports (TCG's text patching with many vCPUs) is tried again, three times at most."""
    out = {}
    env = dict(os.environ, VMTEST_KERNELS="6.12", VMTEST_BENCH="1", VMTEST_MEMORY="2048")
    for n in VMTEST_CPUS:
        for attempt in range(3):
            p = subprocess.run([os.path.join(ROOT, "tests", "vmtest", "vmtest.sh")],
                               env=dict(env, VMTEST_SMP=str(n)), capture_output=True, text=True,
                               timeout=1800)
            got = cpucost_lines(p.stdout)
            if p.returncode == 0 and "memreap" in got and "floor" in got:
                out[n] = got
                break
            print(f"  {n} CPUs: guest attempt {attempt + 1} gave no figures", flush=True)
        if n not in out:
            raise BenchError(f"the {n}-CPU guest never reported (tests/vmtest/vmtest.sh)")
        print(f"  {n} CPUs: rss_stat memreap {out[n]['memreap']['rss_stat']['ns']:.0f} ns, "
              f"floor {out[n]['floor']['rss_stat']['ns']:.0f} ns", flush=True)
    return out


def sleeper_scaling(m, health):
    """Scenario 1 with 100, 1k, 10k sleeping processes (tracked address spaces): overhead, the
    rss_stat program's time per event, and the collector's peak RSS (record and top)."""
    argv = scenarios(m)["1"][2]
    rows = []
    for n in m.sleepers:
        sl = Background(f"sleepers-{n}", [bench_bin("sleepers"), str(n)], printed("ready"),
                        timeout=300).start()
        try:
            row = {"n": n, "baseline": [], "memreap": []}
            for _ in range(m.runs):
                row["baseline"].append(run_timed(argv, "scenario 1")["wall"])
                bg = memreap_observer().start()
                row["memreap"].append(run_timed(argv, "scenario 1")["wall"])
                stop_memreap(bg, health)
            with BpfStats():
                bg = memreap_observer().start()
                rss_prog = [p for t, name, p in bg.hooks() if name == "rss_stat"]
                st0 = prog_stats(rss_prog)
                run_timed(argv, "scenario 1")
                row["rss_stat"] = list(stats_delta(st0, prog_stats(rss_prog)).values())[0]
                row["record_rss"] = peak_rss_bytes(bg.proc.pid)
                stop_memreap(bg, health)
            row["top_rss"] = run_peak_rss([MEMREAP, "top", "--batch", "-n", "3", "-d", "0.5"],
                                          "memreap top --batch")
        finally:
            sl.stop(timeout=120)
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs to check the suite")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "overhead.md"))
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = ap.parse_args()
    m = Mode(args.quick or os.environ.get("BENCH_QUICK") not in (None, "", "0"))
    t0 = time.monotonic()
    res = {"quick": m.quick, "runs": m.runs, "load_before": os.getloadavg()}
    health = Health()
    try:
        perf_ok, perf_err = preflight()
        res["perf_ok"], res["perf_err"] = perf_ok, perf_err
        print("bench: checking the floor's hooks against memreap's", flush=True)
        res["hooks"], uprobes = check_floor_hooks(health)
        scen = scenarios(m)
        res["scenarios"] = {s: (name, what) for s, (name, what, _) in scen.items()}
        configs = ["baseline", "floor", "memreap", "bpftrace", "strace"] + \
            (["perf trace"] if perf_ok else [])
        print("bench: warm-up", flush=True)
        for s, (_, _, argv) in scen.items():
            run_timed(argv, f"scenario {s}")
        print(f"bench: overhead matrix ({m.runs} interleaved rounds)", flush=True)
        res["matrix"] = matrix(m, scen, configs, uprobes, health)
        print(f"bench: the storm's cost ({m.storm_rounds} interleaved rounds)", flush=True)
        res["storm"] = storm_cost(m, uprobes, health)
        print("bench: BPF time per event (scenario 1, kernel.bpf_stats_enabled=1)", flush=True)
        res["per_event"] = per_event(m, uprobes, health)
        res["per_event_2"] = per_event(m, uprobes, health, "2", anchor=False)
        print("bench: page frees outside any release (kernel.bpf_stats_enabled=1)", flush=True)
        res["page_free"] = page_free_cost(uprobes, health)
        print(f"bench: collector under the storm ({m.record_seconds} s + {m.paced_seconds} s)",
              flush=True)
        res["collector"] = collector_run(m, health)
        res["front_ends"] = front_ends_cpu(m)
        print("bench: exit-rate ladder", flush=True)
        res["ladder"] = exit_ladder(m, health)
        print("bench: 1 and 2 busy CPUs", flush=True)
        res["width"] = width_scaling(m, uprobes, health)
        print("bench: 100 / 1k / 10k sleeping processes", flush=True)
        res["sleepers"] = sleeper_scaling(m, health)
        print(f"bench: BPF time per event with {VMTEST_CPUS} CPUs (qemu, Debian's 6.12)",
              flush=True)
        res["cpus"] = cpu_count_scaling(m)
    except (BenchError, subprocess.SubprocessError, OSError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    res["health"] = health.total
    res["recordings"] = health.recordings
    res["load_after"] = os.getloadavg()
    res["elapsed"] = time.monotonic() - t0
    with open(os.path.join(ROOT, "build", "bench", "overhead.json"), "w") as f:
        json.dump(res, f, indent=1)  # every run's figures, for a closer look
    text = bench_report.write(res, args.out, args.readme)
    print(text)
    print(f"bench: wrote {os.path.relpath(args.out, ROOT)} and the summary in "
          f"{os.path.relpath(args.readme, ROOT)} ({res['elapsed']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
