#!/usr/bin/env python3
"""make soak: a mixed load under `memreap record --pid` for SOAK_SECONDS (default 600).

Three workers run, at random (seeded), fork storms, threaded processes, exec chains, python
workloads (a fork, a multiprocessing Pool) and processes killed with SIGKILL. Each knows how many
address spaces it creates and how they end. At the end every ledger must balance to the byte,
each expected ledger must be in the recording (no loss), health must be clean (or a drop must be
counted), and memreap's own memory must stay flat. SOAK_RINGBUF=BYTES shrinks the ring buffer.

SOAK_BUDGET=1 (make soak-budget) also checks the recording budget (tests/soak/budget.py): a
system-wide recording of the whole soak under 50 MiB per 10 minutes, and `record` at most 1% of a
core above `record --no-timeline --no-compress`, side by side. Those three more observers on 2
CPUs can delay the soak's own recorder: ring-buffer drops are then accepted if every one was
parked (no ledger lost).
"""
import collections
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mrtest import MEMREAP, MiB, PYTHON, SCRIPTS, check, check_document, tmp, total, wl  # noqa
from budget import CPU_MIN_SECONDS, Budget, BpfStats  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
RINGBUF = os.environ.get("SOAK_RINGBUF")
BUDGET = os.environ.get("SOAK_BUDGET", "0") != "0"
expected = collections.Counter()  # (comm, how it ended) -> ledgers
lock = threading.Lock()


def expect(comm, end, n=1):
    with lock:
        expected[(comm, end)] += n


def storm(rng):
    n = rng.choice([100, 300])
    subprocess.run([wl("storm"), str(n), str(rng.choice([4, 16, 64]))], check=True,
                   capture_output=True)
    expect("storm", "exit", n + 1)


def threads(rng):
    subprocess.run([wl("threads")], check=True, capture_output=True)
    expect("threads", "exit")


def exec_chain(rng):
    depth = rng.randint(1, 4)
    subprocess.run([wl("execer")] * depth + ["true"], check=True)
    expect("execer", "exec", depth)
    expect("true", "exit")


def python_fork(rng):
    code = ("import os; pid = os.fork(); pid or os._exit(0); os.waitpid(pid, 0); "
            "x = bytearray(16 << 20)")
    subprocess.run([PYTHON, "-c", code], check=True)
    expect("python3.11", "exit", 2)


def python_pool(rng):
    subprocess.run([PYTHON, os.path.join(SCRIPTS, "pool.py")], check=True, capture_output=True)
    expect("python3.11", "exit", 4)  # the parent and its three fork workers


def sigkill(rng):
    p = subprocess.Popen([wl("hog"), str(rng.choice([16, 64])), "0"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    p.stdout.readline()  # ready: all of it resident
    time.sleep(rng.random() * 0.3)
    p.kill()
    p.wait()
    expect("hog", "sig 9")


# About 150 address spaces a second on 2 CPUs: ten minutes stay within a report's reach.
WORKLOADS = [(storm, 1), (threads, 4), (exec_chain, 4), (python_fork, 3), (python_pool, 2),
             (sigkill, 4)]


def worker(seed, deadline, runs):
    rng = random.Random(seed)
    funcs, weights = zip(*WORKLOADS)
    while time.time() < deadline:
        fn = rng.choices(funcs, weights)[0]
        fn(rng)
        with lock:
            runs[fn.__name__] += 1


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def end_of(led):
    """SIGKILL is told apart; a Pool's worker may end by SIGTERM or exit 0, both an exit."""
    return "sig 9" if led["end"] == "exit" and led["signal"] == 9 else led["end"]


def main():
    with BpfStats() if BUDGET and SECONDS >= CPU_MIN_SECONDS else contextlib.nullcontext():
        soak()


def soak():
    budget = Budget(SECONDS) if BUDGET else None
    try:
        soak_under(budget)
    finally:
        if budget:
            budget.close()


def soak_under(budget):
    rec = tmp("soak.rec")
    args = [MEMREAP, "record", "-o", rec, "--pid", str(os.getpid())]
    if RINGBUF:
        args += ["--ringbuf-size", RINGBUF]
    recorder = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    while not (os.path.exists(rec) and os.path.getsize(rec) > 16):
        check(recorder.poll() is None, "memreap record exited early")
        time.sleep(0.05)
    with open(f"/proc/{recorder.pid}/maps") as f:
        asan = "libasan" in f.read()  # ASan's quarantine grows by design: no flatness check
    started = time.time()
    deadline = started + SECONDS
    if budget:
        budget.start(deadline)
    runs = collections.Counter()
    pool = [threading.Thread(target=worker, args=(seed, deadline, runs)) for seed in range(3)]
    for t in pool:
        t.start()
    samples = []
    while any(t.is_alive() for t in pool):
        samples.append((time.time() - started, rss_kib(recorder.pid)))
        time.sleep(min(10, max(1, SECONDS / 20)))
    for t in pool:
        t.join()
    elapsed = time.time() - started
    time.sleep(0.5)
    if budget:
        budget.stop()
    recorder.send_signal(signal.SIGINT)
    _, err = recorder.communicate(timeout=120)
    check(recorder.returncode == 0, f"recorder: {recorder.returncode}: {err}")

    p = subprocess.run([MEMREAP, "report", rec, "--format", "json"], capture_output=True,
                       text=True)
    check(p.returncode == 0 and not p.stderr, f"the recording is complete: {p.stderr}")
    doc = json.loads(p.stdout)
    h = doc["health"]
    busy = budget and budget.cpu_check  # the budget's recorders take CPU from the soak's
    check_document(doc, clean=not RINGBUF and not busy)
    check(not busy or (h["parked"] >= h["ringbuf_drops"] and h["lost_ledgers"] == 0 and
                       h["map_full"] == 0), f"health: {h}")
    seen = collections.Counter((l["comm"], end_of(l)) for l in doc["ledgers"])
    missing = {k: (v, seen[k]) for k, v in expected.items() if seen[k] + h["lost_ledgers"] < v}
    check(not missing, f"expected vs recorded ledgers: {missing}")
    extra = {k: (v, seen[k]) for k, v in expected.items() if seen[k] > v}
    check(not extra, f"more ledgers than processes: {extra}")
    for led in doc["ledgers"]:
        if led["comm"] == "execer":
            check(total(led["kernel_exec"]) >= 32 * MiB, f"execer's 32 MiB at exec: {led}")
        if led["comm"] == "hog":
            check(total(led["kernel_exit"]) >= 16 * MiB, f"the killed hog's pages: {led}")
    warm = [kib for t, kib in samples if t >= min(60, SECONDS / 4)] or [samples[-1][1]]
    growth = max(warm) - min(warm)
    ledgers = sum(expected.values())
    print(json.dumps({
        "seconds": round(elapsed, 1), "runs": dict(runs), "expected_ledgers": ledgers,
        "recorded_ledgers": len(doc["ledgers"]), "ledgers_per_second": round(ledgers / elapsed),
        "health": h, "memreap_rss_kib": {"first": samples[0][1], "after_warmup_min": min(warm),
                                         "after_warmup_max": max(warm)},
    }, indent=1))
    check(asan or growth < 16 * 1024,
          f"memreap's RSS grew by {growth} KiB after warm-up: {samples}")
    if budget:
        print(json.dumps({"budget": budget.check(elapsed)}, indent=1))
        print("soak: recording budget ok" if budget.cpu_check else
              "soak: recording size within budget (CPU checked from a minute on)")
    print("soak: ok")


if __name__ == "__main__":
    main()
