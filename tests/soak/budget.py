"""The recording budget of issue 15, checked under `make soak`'s mix (README "Recording budget").

Size: one system-wide `memreap record` as it is (samples every second, release events,
compressed) runs for the whole soak; its file must stay under 50 MiB per 10 minutes.

CPU: in slices of the soak, a system-wide `record` as it is and one as it was before timelines
(`--no-timeline --no-compress`) run side by side, so that both see the same load; each slice
attaches them in the other order (the second program on a tracepoint finds warmer caches). A
recorder's CPU is its process's user + system time and its BPF programs' run time (their fds'
fdinfo, with kernel.bpf_stats_enabled=1). Over all slices, the first may cost at most 1% of a
core more than the second. A soak shorter than a minute checks the size only.
"""
import csv
import io
import os
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time

from mrtest import MEMREAP, MiB, check, recording_records, tmp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from bench_procs import BpfStats  # noqa: E402  (make bench's, the same switch)

BYTES_PER_10_MIN = 50 * MiB
CPU_PERCENT = 1.0
CONFIGS = (("record", []), ("before timelines", ["--no-timeline", "--no-compress"]))
CPU_MIN_SECONDS = 60  # room for slices in both orders


class SystemRecorder:
    """A system-wide `memreap record`; its CPU (process, BPF) from mark() to measure()."""

    def __init__(self, name, extra):
        self.name, self.path = name, tmp(f"budget-{name.replace(' ', '-')}.rec")
        self.proc = subprocess.Popen([MEMREAP, "record", "-o", self.path, *extra],
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        try:
            while not (os.path.exists(self.path) and os.path.getsize(self.path) > 16):
                check(self.proc.poll() is None, f"the {name} recorder exited early")
                check(time.time() < deadline, f"the {name} recorder did not start in 60 s")
                time.sleep(0.05)  # its header is written once its programs are attached
        except Exception:
            self.end()
            raise

    def cpu(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        task = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        bpf = 0
        fdinfo = f"/proc/{self.proc.pid}/fdinfo"
        for fd in os.listdir(fdinfo):
            try:
                with open(os.path.join(fdinfo, fd)) as f:
                    info = dict(line.split(":", 1) for line in f if ":" in line)
            except OSError:
                continue  # an fd closed meanwhile
            if "prog_type" in info:
                bpf += int(info.get("run_time_ns", "0"))
        return task, bpf / 1e9

    def mark(self):
        self.start, self.marked = self.cpu(), time.monotonic()

    def measure(self):
        self.used = tuple(b - a for a, b in zip(self.start, self.cpu()))
        self.span = time.monotonic() - self.marked

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=120)
        check(self.proc.returncode == 0, f"{self.name} recorder: {self.proc.returncode}: {err}")

    def end(self):
        """On a failure elsewhere: a recorder left running would record the machine forever."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()


class Budget:
    def __init__(self, seconds):
        self.slice = min(30.0, seconds / 4)
        self.cpu_check = seconds >= CPU_MIN_SECONDS
        self.whole = SystemRecorder("whole soak", [])
        self.cost = {name: [0.0, 0.0, 0.0] for name, _ in CONFIGS}  # process, BPF, seconds
        self.diffs, self.error, self.live = [], None, [self.whole]
        self.stopping, self.thread = threading.Event(), None

    def start(self, deadline):
        self.whole.mark()
        self.thread = threading.Thread(target=self.slices, args=(deadline,))
        self.thread.start()

    def slices(self, deadline):
        try:
            while (self.cpu_check and not self.stopping.is_set() and
                   time.time() + self.slice + 5 < deadline):
                order = CONFIGS if len(self.diffs) % 2 == 0 else CONFIGS[::-1]
                self.one_slice(order)
        except Exception as e:  # noqa: BLE001 (re-raised by stop)
            self.error = e

    def one_slice(self, order):
        recs = []
        for name, extra in order:
            recs.append(SystemRecorder(name, extra))
            self.live.append(recs[-1])
        for r in recs:
            r.mark()
        if self.stopping.wait(self.slice):  # the measuring window, unless the soak failed
            return
        percent = {}
        for r in recs:
            r.measure()
            r.stop()
            acc = self.cost[r.name]
            acc[0], acc[1], acc[2] = acc[0] + r.used[0], acc[1] + r.used[1], acc[2] + r.span
            percent[r.name] = 100 * sum(r.used) / r.span
        self.diffs.append(percent["record"] - percent["before timelines"])

    def stop(self):
        self.thread.join()
        self.whole.measure()
        self.whole.stop()
        if self.error:
            raise self.error

    def close(self):
        self.stopping.set()
        if self.thread:
            self.thread.join()
        for r in self.live:
            r.end()

    def figures(self, elapsed):
        size = os.path.getsize(self.whole.path)
        split = split_by_type(self.whole.path)
        inflated = sum(p["bytes"] for p in split.values())
        cpu = {name: {"process_s": round(p, 2), "bpf_s": round(b, 2), "seconds": round(s, 1),
                      "percent_of_a_core": round(100 * (p + b) / s, 3)}
               for name, (p, b, s) in self.cost.items() if s}
        return {
            "seconds": round(elapsed, 1), "load_average": [round(x, 2) for x in os.getloadavg()],
            "system_processes_per_second": round(split["ledgers"]["records"] / elapsed, 1),
            "size_bytes": size, "size_per_10_min_mib": round(size / MiB * 600 / elapsed, 2),
            "uncompressed_bytes": inflated, "compression_ratio": round(inflated / size, 2),
            "split": split,
            "whole_soak_recorder_percent_of_a_core":
                round(100 * sum(self.whole.used) / self.whole.span, 3),
            "cpu": cpu, "slices": len(self.diffs), "slice_seconds": self.slice,
            "slice_differences": [round(d, 3) for d in self.diffs],
            "cpu_difference_percent_of_a_core": round(
                cpu["record"]["percent_of_a_core"] - cpu["before timelines"]["percent_of_a_core"],
                3) if len(cpu) == 2 else None,
            "median_slice_difference": round(statistics.median(self.diffs), 3)
            if self.diffs else None,
        }

    def check(self, elapsed):
        # CSV: the JSON document of a busy machine's ten minutes (740,000 ledgers once, under
        # make bench's storms) is a tree of objects larger than this machine's memory.
        p = subprocess.run([MEMREAP, "report", self.whole.path, "--format", "csv"],
                           capture_output=True, text=True)
        check(p.returncode == 0 and not p.stderr, f"the whole soak's recording: {p.returncode} "
              f"{p.stderr}")
        fig = self.figures(elapsed)
        rows = sum(1 for _ in csv.reader(io.StringIO(p.stdout))) - 1  # a comm may hold a newline
        check(rows == fig["split"]["ledgers"]["records"],
              f"report read {rows} ledgers of {fig['split']['ledgers']['records']}")
        limit = BYTES_PER_10_MIN * elapsed / 600
        check(fig["size_bytes"] <= limit,
              f"BUDGET MISSED: a system-wide recording of {fig['size_bytes']} bytes in "
              f"{elapsed:.0f} s ({fig['size_per_10_min_mib']} MiB per 10 min, over 50 MiB) at "
              f"{fig['system_processes_per_second']} processes/s: {fig}")
        if not self.cpu_check:
            return fig
        check(len(self.diffs) >= 2, f"too few CPU slices for both orders: {fig}")
        diff = fig["cpu_difference_percent_of_a_core"]
        check(diff <= CPU_PERCENT,
              f"BUDGET MISSED: record costs {diff}% of a core above record --no-timeline "
              f"--no-compress (over {CPU_PERCENT}%): {fig}")
        return fig


def split_by_type(path):
    """Bytes (framed, before compression) and records per type; samples counted one by one."""
    names = {3: "health", 4: "health", 5: "ledgers", 6: "samples", 7: "events"}
    split = {n: {"bytes": 0, "records": 0} for n in ("ledgers", "samples", "events", "health")}
    for kind, payload in recording_records(path):
        part = split.setdefault(names.get(kind, f"type {kind}"), {"bytes": 0, "records": 0})
        part["bytes"] += 12 + len(payload)
        part["records"] += struct.unpack_from("<I", payload, 8)[0] if kind == 6 else 1
    return split
