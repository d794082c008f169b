"""OOM kills: a process in a 64 MiB memory cgroup touches memory until the OOM killer takes it.
Its ledger says so (oom:mark_victim), run, report and top say "killed by the OOM killer", the
exporter counts it once for its comm, and the OOM reaper's work stays kernel_live; a process
that SIGKILLs itself is not an OOM kill."""
import json
import os
import shutil
import subprocess
import time

from mrtest import (MEMREAP, MiB, check, check_document, memory_cgroup, memreap, tmp, wl)
from test_exporter import get, samples, start_exporter, stop

COMM = "mroomhog"  # a name of its own: the exporter's counter is per comm
OOM_WORDS = "killed by the OOM killer"


def hog_copy():
    path = tmp(COMM)
    if not os.path.exists(path):
        shutil.copy(wl("hog"), path)
    return path


def oom_counter(base):
    """memreap_oom_kills_total of COMM (0 while it has no series yet) and the refreshes so far."""
    status, text = get(base + "/metrics")
    check(status == 200, f"scrape: {status}")
    s = samples(text)
    count = s.get('memreap_oom_kills_total{comm="%s",interpreter="none"}' % COMM, 0.0)
    return count, s["memreap_refresh_duration_seconds_count"]


def wait_for_refreshes(base, n, timeout=10):
    """Until n more refreshes than now have been rendered: what ended before is counted."""
    _, start = oom_counter(base)
    deadline = time.time() + timeout
    while time.time() < deadline:
        count, refreshes = oom_counter(base)
        if refreshes >= start + n:
            return count
        time.sleep(0.05)
    raise AssertionError(f"the exporter rendered fewer than {n} refreshes in {timeout}s")


def run_hog(cmd, name):
    """memreap run (text summary, JSON document and a recording) of cmd; returns
    (process, document, hog's ledger, recording path)."""
    doc_path, rec = tmp(f"{name}.json"), tmp(f"{name}.rec")
    p = memreap("run", "--json", doc_path, "-o", rec, "--", *cmd)
    with open(doc_path) as f:
        doc = json.load(f)
    check_document(doc, clean=False)
    hogs = [l for l in doc["ledgers"] if l["comm"] == COMM and l["end"] == "exit"]
    check(len(hogs) == 1, f"{name}: one ledger of {COMM} that ended by exit: {hogs}")
    return p, doc, hogs[0], rec


def in_cgroup(cg, *cmd):
    """The shell moves itself into the cgroup, then becomes cmd."""
    return ["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec "$@"', "sh", *cmd]


def test_oom_kill_in_a_64_mib_memory_cgroup():
    cg = memory_cgroup(64 * MiB, name="memreap-oom")
    if not cg:
        return "skip: no memory cgroup controller (v1 or v2) available"
    hog = hog_copy()
    try:
        # 256 MiB cannot fit in 64 MiB: the OOM killer takes it while it touches its pages.
        p, doc, led, rec = run_hog(in_cgroup(cg, hog, "256", "0", "kill"), "oom")
        check(p.returncode == 128 + 9, f"run exits 128+9 for SIGKILL: {p.returncode} {p.stderr}")
        check(led["oom_killed"] is True and led["signal"] == 9 and led["exit_code"] is None,
              f"the OOM killer's victim, by SIGKILL: {led['oom_killed']} sig {led['signal']}")
        check(all(l["oom_killed"] is False for l in doc["ledgers"] if l is not led),
              "no other ledger is an OOM kill")
        # Killed while touching: it released nothing itself; the OOM reaper (kernel_live) and
        # the exit's teardown (kernel_exit) took what it had, and freed it.
        anon = led["faulted_in"]["anon"]
        check(40 * MiB <= anon <= 72 * MiB, f"it filled its 64 MiB cgroup: {anon / MiB:.1f} MiB")
        check(led["self_released"]["anon"] < MiB, f"not its own release: {led['self_released']}")
        kernel = led["kernel_live"]["anon"] + led["kernel_exit"]["anon"]
        check(kernel >= anon - MiB, f"the reaper and the exit took it: {kernel} of {anon}")
        check(led["freed_by_kind"]["kernel_live"]["anon"] <= led["kernel_live"]["anon"],
              "the reaper's frees are kernel_live's")
        summary = p.stdout + p.stderr
        check(OOM_WORDS in summary and "oom-kill" in summary,
              f"run says {OOM_WORDS!r}:\n{summary}")
        row = [line for line in summary.splitlines()
               if line.split() and line.split()[0].isdigit() and f" {COMM} " in line]
        check(len(row) == 1 and " oom-kill " in row[0], f"its END column: {row}")
        # report reads it back from the recording (binary ledgers) and says the same
        r = memreap("report", rec)
        check(r.returncode == 0 and OOM_WORDS in r.stdout and " oom-kill " in r.stdout,
              f"report: {r.stdout}{r.stderr}")
        r = memreap("report", rec, "--format", "json", "--comm", COMM)
        check([l["oom_killed"] for l in json.loads(r.stdout)["ledgers"] if l["end"] == "exit"]
              == [True], f"report --format json: {r.stdout[:400]}")

        # A process that SIGKILLs itself is not an OOM kill, and the counter does not move.
        p, _, led, rec = run_hog([hog, "16", "0", "kill"], "sigkill")
        check(led["oom_killed"] is False and led["signal"] == 9,
              f"a plain SIGKILL: oom_killed {led['oom_killed']}, sig {led['signal']}")
        check(OOM_WORDS not in p.stdout + p.stderr, f"run: {p.stdout}{p.stderr}")
        r = memreap("report", rec)
        check(OOM_WORDS not in r.stdout and " sig 9 " in r.stdout, f"report: {r.stdout}")
    finally:
        os.rmdir(cg)


def test_exporter_counts_an_oom_kill_once():
    cg = memory_cgroup(64 * MiB, name="memreap-oom-exp")
    if not cg:
        return "skip: no memory cgroup controller (v1 or v2) available"
    hog = hog_copy()
    exporter, base = start_exporter("--max-comm-labels", "1000")
    try:
        before = wait_for_refreshes(base, 1)
        oom = subprocess.run(in_cgroup(cg, hog, "256", "0", "kill"), timeout=60)
        killed = subprocess.run([hog, "16", "0", "kill"], timeout=60)
        check(oom.returncode == killed.returncode == -9, f"{oom.returncode} {killed.returncode}")
        # A new series shows 0 until a scrape fetched that 0: poll until it counts the kill,
        # then two more refreshes must not count the plain SIGKILL too.
        deadline = time.time() + 10
        while oom_counter(base)[0] == before and time.time() < deadline:
            time.sleep(0.05)
        after = wait_for_refreshes(base, 2)
        check(after == before + 1, f"memreap_oom_kills_total{{comm={COMM!r}}}: {before} -> {after}")
    finally:
        stop(exporter)
        os.rmdir(cg)


def test_top_says_killed_by_the_oom_killer():
    cg = memory_cgroup(64 * MiB, name="memreap-oom-top")
    if not cg:
        return "skip: no memory cgroup controller (v1 or v2) available"
    hog = hog_copy()
    top = subprocess.Popen([MEMREAP, "top", "--batch", "-d", "0.3", "--comm", COMM],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "COLUMNS": "100"})
    try:
        check(top.stdout.readline().startswith("memreap top"), "top's first frame")
        subprocess.run(in_cgroup(cg, hog, "256", "0", "kill"), timeout=60)
        deadline, frame = time.time() + 15, ""
        while time.time() < deadline and "oom-kill: " + OOM_WORDS not in frame:
            line = top.stdout.readline()
            frame = "" if line.startswith("memreap top") else frame + line
        rows = [line for line in frame.splitlines() if f" {COMM} " in line]
        check(rows and " oom-kill " in rows[0] and "oom-kill: " + OOM_WORDS in frame,
              f"top's pane: {frame}")
    finally:
        top.terminate()
        top.communicate(timeout=10)
        os.rmdir(cg)


def test_teardown_flags_the_victim_when_the_tracepoint_gives_no_task():
    """Before 6.8 mark_victim's only argument is a pid: its program finds no task there. Attached
    to wake_reaper (pid), it cannot flag anything; the exit reads the victim's signal->oom_mm."""
    cg = memory_cgroup(64 * MiB, name="memreap-oom-pid")
    if not cg:
        return "skip: no memory cgroup controller (v1 or v2) available"
    doc_path = tmp("oom-pid.json")
    try:
        p = memreap("run", "-q", "--json", doc_path, "--",
                    *in_cgroup(cg, hog_copy(), "256", "0", "kill"),
                    env={**os.environ, "MEMREAP_TRACEPOINT_mark_victim": "wake_reaper"})
        check(p.returncode == 128 + 9, f"rc {p.returncode}: {p.stderr}")
        with open(doc_path) as f:
            led = [l for l in json.load(f)["ledgers"] if l["comm"] == COMM]
        check(len(led) == 1 and led[0]["oom_killed"] is True and led[0]["signal"] == 9,
              f"flagged at its teardown: {led}")
    finally:
        os.rmdir(cg)


def test_recordings_made_before_oom_killed_read_as_unknown():
    """tests/integration/data/version2-before-oom.rec: memreap at 83b8801 (format version 2,
    binary ledgers with argv, no oom_killed byte) ran `sh -c 'hog 8 0 kill; true'`."""
    rec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                       "version2-before-oom.rec")
    p = memreap("report", rec, "--format", "json")
    check(p.returncode == 0 and not p.stderr, f"rc {p.returncode}: {p.stderr}")
    ledgers = json.loads(p.stdout)["ledgers"]
    check([(l["comm"], l["signal"], l["oom_killed"]) for l in ledgers] ==
          [("hog", 9, None), ("sh", None, None)], f"oom_killed unknown, not false: {ledgers}")
    check(ledgers[0]["argv"] == ["build/workloads/hog", "8", "0", "kill"], "argv still read")
    p = memreap("report", rec)
    check(p.returncode == 0 and " sig 9 " in p.stdout and "oom" not in p.stdout, p.stdout)
