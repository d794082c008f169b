"""Processes for the bench: workloads that print timing, observers running in the background,
the BPF hooks a process has attached (bpftool perf show) and its programs' run-time statistics."""
import json
import os
import signal
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, "build", "bench")
MEMREAP = os.path.join(ROOT, "build", "memreap")
PYTHON = "/usr/bin/python3"
SHM = "/dev/shm"


class BenchError(Exception):
    """A bench step that cannot give a valid figure: the suite stops with this one line."""


def bench_bin(name):
    return os.path.join(BUILD, name)


def parse_timing(stdout, what):
    """The workloads' last line: WALL CPU OPS (bench/timing.h)."""
    lines = [l for l in stdout.strip().splitlines() if l.strip()]
    try:
        wall, cpu, ops = lines[-1].split()[:3]
        return {"wall": float(wall), "cpu": float(cpu), "ops": int(ops)}
    except (IndexError, ValueError):
        raise BenchError(f"{what}: no timing line in its output: {stdout[-200:]!r}")


def pinned(cpu):
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def run_rusage(argv, what, timeout=600, cpu=None):
    """Run a command to its end: (exit status, stdout, stderr, pid, rusage of it and its
    waited-for children)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, preexec_fn=pinned(cpu))
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                os.wait4(p.pid, 0)
                raise BenchError(f"{what} did not finish within {timeout} s")
            time.sleep(0.01)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read(), err.read(), p.pid, usage


def run_timed(argv, what, timeout=600, cpu=None):
    """Run a workload (maybe wrapped) to its end; its own timing line, and its pid."""
    status, out, err, pid, _ = run_rusage(argv, what, timeout, cpu)
    if status != 0:
        raise BenchError(f"{what} failed (exit {status}): {err.strip()[-300:]}")
    return dict(parse_timing(out, what), pid=pid)


def run_parallel(argv, what, cpus, timeout=600):
    """One copy per CPU in cpus, all at once; their timing lines."""
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=pinned(c)) for c in cpus]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        if p.returncode != 0:
            raise BenchError(f"{what} failed (exit {p.returncode}): {err.strip()[-300:]}")
        results.append(parse_timing(out, what))
    return results


def hooks_of(pid):
    """The BPF attachments a process holds: sorted (type, tracepoint or FILE:OFFSET)."""
    out = subprocess.run(["bpftool", "perf", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for e in json.loads(out or "[]"):
        if e.get("pid") != pid:
            continue
        if "tracepoint" in e:
            found.append((e["fd_type"], e["tracepoint"], e["prog_id"]))
        elif "filename" in e:
            found.append((e["fd_type"], f"{e['filename']}:{e['offset']}", e["prog_id"]))
    return sorted(found)


def prog_stats(prog_ids):
    """run_time_ns and run_cnt per program id (counted while kernel.bpf_stats_enabled=1)."""
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    stats = {}
    for p in json.loads(out or "[]"):
        if p["id"] in prog_ids:
            stats[p["id"]] = {"name": p.get("name", "?"), "ns": p.get("run_time_ns", 0),
                              "cnt": p.get("run_cnt", 0)}
    return stats


def stats_delta(before, after):
    return {i: {"name": a["name"], "ns": a["ns"] - before.get(i, {}).get("ns", 0),
                "cnt": a["cnt"] - before.get(i, {}).get("cnt", 0)} for i, a in after.items()}


class BpfStats:
    """kernel.bpf_stats_enabled=1 inside the block, the previous value restored after."""
    PATH = "/proc/sys/kernel/bpf_stats_enabled"

    def __enter__(self):
        with open(self.PATH) as f:
            self.old = f.read().strip()
        with open(self.PATH, "w") as f:
            f.write("1")
        return self

    def __exit__(self, *exc):
        with open(self.PATH, "w") as f:
            f.write(self.old)


def cpu_seconds(pid):
    """utime + stime of a live process, from /proc (clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise BenchError(f"no VmHWM for pid {pid}")


class Background:
    """An observer (memreap, the floor, bpftrace, sleepers) running while workloads run.

    ready(bg) says when it is observing; stop() ends it with SIGINT and returns its rusage."""

    def __init__(self, name, argv, ready, env=None, settle=0.3, timeout=60):
        self.name, self.argv, self.ready = name, argv, ready
        self.env, self.settle, self.timeout = env, settle, timeout
        self.out = os.path.join(SHM, f"memreap-bench-{name}.out")
        self.proc = None

    def start(self):
        env = dict(os.environ, **(self.env or {}))
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while not self.ready(self):
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited at start (status {self.proc.returncode}): "
                                 f"{self.output()[-300:]!r}")
            if time.monotonic() > deadline:
                self.kill()
                raise BenchError(f"{self.name} was not ready after {self.timeout} s")
            time.sleep(0.1)
        time.sleep(self.settle)
        return self

    def output(self):
        with open(self.out, errors="replace") as f:
            return f.read()

    def hooks(self):
        return hooks_of(self.proc.pid)

    def stop(self, sig=signal.SIGINT, timeout=120):
        """End it; returns (exit status, rusage)."""
        self.proc.send_signal(sig)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.kill()
                raise BenchError(f"{self.name} did not stop within {timeout} s")
            time.sleep(0.05)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return self.proc.returncode, usage

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def has_hooks(count, kind=None):
    """A ready() for a BPF observer: at least count attachments (of fd_type kind) are listed."""
    def ready(bg):
        return len([h for h in bg.hooks() if kind is None or h[0] == kind]) >= count
    return ready


def printed(word):
    def ready(bg):
        return word in bg.output()
    return ready


def run_peak_rss(argv, what, timeout=300):
    """Run a command to its end, sampling its VmHWM (ru_maxrss would also count the pre-exec
    copy of this Python process); returns the last sample, in bytes."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, deadline = 0, time.monotonic() + timeout
    while p.poll() is None:
        try:
            peak = max(peak, peak_rss_bytes(p.pid))
        except (OSError, BenchError):
            pass  # exiting
        if time.monotonic() > deadline:
            p.kill()
            raise BenchError(f"{what} did not finish within {timeout} s")
        time.sleep(0.02)
    if p.returncode:
        raise BenchError(f"{what} exited {p.returncode}: {p.stderr.read()[-300:]}")
    return peak
