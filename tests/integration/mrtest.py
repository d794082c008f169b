"""Helpers for memreap's integration tests: run the real binary, load its JSON, check ledgers."""
import functools
import json
import os
import struct
import subprocess
import tempfile
import time
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# MEMREAP_BIN: another build of memreap (make test-asan); the workloads stay in build/
MEMREAP = os.environ.get("MEMREAP_BIN") or os.path.join(ROOT, "build", "memreap")
WORKLOADS = os.path.join(ROOT, "build", "workloads")
SCRIPTS = os.path.join(ROOT, "tests", "workloads")
PYTHON = "/usr/bin/python3.11"
MiB = 1 << 20
KINDS = ("anon", "file", "shmem")
RELEASES = ("self_released", "kernel_live", "kernel_exit", "kernel_exec")
OUTS = RELEASES + ("rss_at_end",)


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def close(actual, expected, tol, what):
    check(abs(actual - expected) <= tol,
          f"{what}: {actual} is not within {tol} of {expected} (off by {actual - expected})")


def wl(name):
    return os.path.join(WORKLOADS, name)


def tmp(name):
    return os.path.join(TMPDIR, name)


TMPDIR = tempfile.mkdtemp(prefix="memreap-test-")


def memreap(*args, input=None, timeout=120, env=None):
    """Run memreap; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([MEMREAP, *args], input=input, capture_output=True, text=True,
                          timeout=timeout, env=env)


def run_json(cmd, extra=(), stdin=None):
    """memreap run --json on cmd (stdin: text for its standard input); returns (document,
    completed process)."""
    path = tmp("run.json")
    if os.path.exists(path):
        os.unlink(path)
    p = memreap("run", "-q", "--json", path, *extra, "--", *cmd, input=stdin)
    check(os.path.exists(path), f"no JSON written; rc={p.returncode} stderr={p.stderr}")
    with open(path) as f:
        return json.load(f), p


def truth_run(cmd):
    """Run cmd under the ptrace truth tool inside memreap run; returns (doc, truth, ledger)."""
    tpath = tmp("truth.json")
    doc, p = run_json([wl("truth"), tpath, *cmd])
    with open(tpath) as f:
        truth = json.load(f)
    led = [l for l in doc["ledgers"] if l["pid"] == truth["pid"] and l["end"] == "exit"]
    check(len(led) == 1, f"expected one exit ledger for pid {truth['pid']}, got {len(led)}")
    return doc, truth, led[0], p


def total(k):
    return k["anon"] + k["file"] + k["shmem"]


def check_balanced(ledger):
    """The identity, per kind, to the byte."""
    for kind in KINDS:
        inflow = ledger["baseline"][kind] + ledger["faulted_in"][kind]
        outflow = sum(ledger[c][kind] for c in OUTS)
        check(inflow == outflow,
              f"ledger pid {ledger['pid']} ({ledger['comm']}) does not balance for {kind}: "
              f"in {inflow} != out {outflow}")
        for c in ("baseline", "faulted_in") + OUTS:
            check(ledger[c]["total"] == total(ledger[c]), f"{c}.total is not the sum of kinds")
    calls = sum(ledger["self_released_by_call"].values())
    check(calls == ledger["self_released"]["total"],
          f"self_released_by_call sums to {calls}, not {ledger['self_released']['total']}")
    check_freed_within_released(ledger)


def check_freed_within_released(ledger):
    """What is called freed never exceeds what left, per category and kind, to the byte."""
    if ledger["freed"] is None:
        check(ledger["freed_by_kind"] is None, "freed unknown, freed_by_kind known")
        return  # a recording made before memreap measured freed bytes
    for c in RELEASES:
        freed = ledger["freed_by_kind"][c]
        check(ledger["freed"][c] == freed["total"] == total(freed),
              f"freed.{c} is not the sum of freed_by_kind.{c}")
        for kind in KINDS:
            check(freed[kind] <= ledger[c][kind],
                  f"ledger pid {ledger['pid']} ({ledger['comm']}): freed {freed[kind]} of "
                  f"{c}.{kind} is more than the {ledger[c][kind]} released")


def check_document(doc, clean=True):
    check(doc["schema"] == "memreap/v1", "schema")
    for led in doc["ledgers"]:
        check_balanced(led)
        check(isinstance(led["end_inexact"], bool), f"end_inexact: {led['end_inexact']!r}")
    for c in RELEASES if doc["totals"]["freed"] is not None else ():
        freed = sum(l["freed"][c] for l in doc["ledgers"])
        check(doc["totals"]["freed"][c] == freed, f"totals.freed.{c} is not the ledgers' sum")
    # An ended ledger ends with nothing resident: the teardown took it all.
    stale = [l for l in doc["ledgers"] if l["end"] != "alive" and total(l["rss_at_end"])]
    check(not stale,
          f"ended ledgers with rss_at_end: {[(l['pid'], l['comm'], l['rss_at_end']) for l in stale]}")
    if clean:
        h = doc["health"]
        check(h["ringbuf_drops"] == 0 and h["map_full"] == 0 and h["lost_ledgers"] == 0,
              f"health not clean: {h}")


@functools.cache
def doctor():
    """`memreap doctor` as root, run once per test run: what it says of this kernel does not
    change, and each run loads every program and runs its self-test (seconds under qemu)."""
    return memreap("doctor")


def legacy_object():
    """memreap loads its legacy object here (Linux 5.10: `memreap doctor`'s BPF object line)."""
    return "memreap_legacy.bpf.o" in doctor().stdout


def baseline_lag(kind="anon"):
    """Bytes a start-up baseline may miss, per counter: before 6.2 each thread caches up to 64
    page faults before its mm's counter sees them (SPLIT_RSS_COUNTING; `memreap doctor` says
    so). An anonymous fault maps one page, a file or shmem fault up to 16 (fault-around)."""
    if "SPLIT_RSS_COUNTING" not in doctor().stdout:
        return 0
    return 64 * (1 if kind == "anon" else 16) * os.sysconf("SC_PAGE_SIZE")


def check_truth(truth, led, self_expected=None):
    """Compare a ledger with the kernel's own numbers for the same process."""
    close(led["peak_rss_bytes"], truth["ru_maxrss_bytes"], MiB, "peak vs ru_maxrss")
    at_exit = truth["rss_at_exit_bytes"]
    close(total(led["kernel_exit"]), total(at_exit), MiB,
          "kernel_exit vs RssAnon+RssFile+RssShmem at the exit stop")
    for kind in KINDS:
        close(led["kernel_exit"][kind], at_exit[kind], MiB, f"kernel_exit.{kind}")
    if self_expected is not None:
        close(led["self_released"]["total"], self_expected, MiB, "self_released")


def memory_cgroup(limit=None, name="memreap-test"):
    """A memory cgroup (v2 or v1), limited to `limit` bytes if given; returns its directory."""
    for base, knob in (("/sys/fs/cgroup", "memory.max"), ("/sys/fs/cgroup/unified", "memory.max"),
                       ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")):
        if os.path.exists(os.path.join(base, knob if "limit" in knob else "cgroup.controllers")):
            if knob == "memory.max":
                with open(os.path.join(base, "cgroup.controllers")) as f:
                    if "memory" not in f.read().split():
                        continue
                with open(os.path.join(base, "cgroup.subtree_control"), "w") as f:
                    f.write("+memory")
            path = os.path.join(base, "%s-%d" % (name, os.getpid()))
            os.makedirs(path, exist_ok=True)
            if limit is not None:
                with open(os.path.join(path, knob), "w") as f:
                    f.write(str(limit))
            return path
    return None



def memcg_anon(path):
    """Anonymous memory charged to a memory cgroup: memory.stat anon (v2) or rss (v1)."""
    with open(os.path.join(path, "memory.stat")) as f:
        stat = dict(line.split() for line in f)
    return int(stat["anon"] if "anon" in stat else stat["rss"])


def wait_for_header(path, proc, timeout=20):
    """memreap writes the file header once it is loaded and attached."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 16:
            return
        check(proc.poll() is None, f"memreap exited early: {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"no recording header in {path} after {timeout}s")


def recorded_ledgers(path, comm):
    """The ledgers of comm in a recording that is still being written (read to its last record)."""
    p = memreap("report", path, "--format", "json")
    return [l for l in json.loads(p.stdout)["ledgers"] if l["comm"] == comm] if p.stdout else []


def wait_for_ledgers(path, comm, count, proc, timeout=30):
    """Until a recording being written holds count ledgers of comm (each one ended)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len([l for l in recorded_ledgers(path, comm) if l["end"] != "alive"]) >= count:
            return
        check(proc.poll() is None, f"memreap exited early: {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"{path} never held {count} ledgers of {comm}")


def recording_records(path):
    """Each record of a recording as (type, payload), after its header: the compressed blocks
    (type 8) of a version 3 file inflated into the records they hold (README "Recording
    format"). Stops at a cut tail, as `report` does."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"MEMREAP\0", f"{path} is not a memreap recording")
    inflate, inner = zlib.decompressobj(-15), b""

    def frames(buf):
        at = 0
        while at + 8 <= len(buf):
            length, kind = struct.unpack_from("<II", buf, at)
            if at + 12 + length > len(buf):
                break
            yield kind, buf[at + 8:at + 8 + length]
            at += 12 + length
        return at

    outer = frames(data[16:])
    next(outer)  # the header
    for kind, payload in outer:
        if kind != 8:
            yield kind, payload
            continue
        inner += inflate.decompress(payload)
        gen = frames(inner)
        try:
            while True:
                yield next(gen)
        except StopIteration as stop:
            inner = inner[stop.value:]
