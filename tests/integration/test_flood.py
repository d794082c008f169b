"""Floods and limits: 10,000 processes at once, a ring buffer and a ledger map made tiny on
purpose. Nothing may be lost silently: every ledger is there, or its loss is counted."""
import json
import subprocess

from mrtest import MEMREAP, check, check_document, memreap, run_json, tmp, wl

STORM = 10000


def storm_ledgers(doc, storm_pid):
    """The storm process's own ledger and its children's."""
    return [l for l in doc["ledgers"] if l["pid"] == storm_pid or l["ppid"] == storm_pid]


def storm_pid_in(doc, memreap_pid):
    """memreap's CMD: the storm whose parent is memreap (other storms may run on the machine)."""
    roots = [l for l in doc["ledgers"] if l["comm"] == "storm" and l["ppid"] == memreap_pid]
    check(len(roots) == 1, f"one storm under memreap, got {[l['pid'] for l in roots]}")
    return roots[0]["pid"]


def test_burst_of_10000_processes_balances_and_loses_nothing():
    doc, p = run_json([wl("storm"), str(STORM), "16"])
    check(p.returncode == 0, p.stderr)
    check(json.loads(p.stdout)["started"] == STORM, "storm started them all")
    check_document(doc)  # every ledger balances to the byte; no drop, no map full, no loss
    ended = [l for l in doc["ledgers"] if l["end"] == "exit"]
    check(len(ended) == STORM + 1, f"{len(ended)} exit ledgers for {STORM} children + storm")


def test_tiny_ring_buffer_drops_are_counted_and_parked_not_lost():
    out = tmp("tiny-ring.json")
    p = memreap("run", "--ringbuf-size", "4096", "--json", out, "--",
                wl("storm"), str(STORM), "64")
    check(p.returncode == 0, p.stderr)
    doc = json.load(open(out))
    h = doc["health"]
    check(h["ringbuf_drops"] > 0, f"a 4 KiB ring buffer must overflow under {STORM} exits: {h}")
    check(h["parked"] > 0, f"what did not fit was parked: {h}")
    check("DEGRADED" in p.stderr and "ring buffer drops %d" % h["ringbuf_drops"] in p.stderr,
          f"the text summary shows the drops: {p.stderr[-300:]}")
    check_document(doc, clean=False)
    ended = [l for l in doc["ledgers"] if l["end"] == "exit"]
    # Parked ends and parked forks reach user space: none missing unless counted as lost.
    check(len(ended) + h["lost_ledgers"] == STORM + 1,
          f"{len(ended)} exit ledgers + {h['lost_ledgers']} lost != {STORM + 1}")
    check(h["lost_ledgers"] == 0, f"the parked maps held every overflow: {h}")


def test_tiny_ring_buffer_in_a_system_wide_recording():
    rec = tmp("tiny-ring.rec")
    rp = subprocess.Popen([MEMREAP, "record", "-o", rec, "--ringbuf-size", "4096", "--",
                           wl("storm"), "5000", "64"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    _, err = rp.communicate(timeout=120)
    check(rp.returncode == 0, err)
    check("DEGRADED" in err, f"record's summary shows the drops: {err}")
    p = memreap("report", rec, "--format", "json")
    check(p.returncode == 0, p.stderr)
    doc = json.loads(p.stdout)
    check(doc["health"]["ringbuf_drops"] > 0 and doc["health"]["parked"] > 0, doc["health"])
    check_document(doc, clean=False)
    storm = storm_ledgers(doc, storm_pid_in(doc, rp.pid))
    check(len(storm) + doc["health"]["lost_ledgers"] >= 5001,
          f"{len(storm)} storm ledgers + {doc['health']['lost_ledgers']} lost < 5001")
    p = memreap("report", rec)
    check("DEGRADED" in p.stdout and "ring buffer drops" in p.stdout, "report text shows it")


def tiny_map_workload():
    # 40 processes alive at once cannot fit 16 entries (plus a few per-CPU spares)
    return ["sh", "-c", "for i in $(seq 40); do sleep 0.6 & done; wait"]


def test_tiny_map_in_a_recording_shows_in_every_report_format():
    rec = tmp("tiny-map.rec")
    p = memreap("record", "-o", rec, "--map-entries", "16", "--", *tiny_map_workload())
    check(p.returncode == 0, f"memreap kept running: {p.stderr}")
    check("DEGRADED" in p.stderr and "map full" in p.stderr, p.stderr)
    p = memreap("report", rec, "--format", "json")
    doc = json.loads(p.stdout)
    check(doc["health"]["map_full"] > 0, doc["health"])
    check_document(doc, clean=False)
    full = doc["health"]["map_full"]
    p = memreap("report", rec)
    check(f"map full {full}" in p.stdout and "DEGRADED" in p.stdout, p.stdout[-300:])
    p = memreap("report", rec, "--by", "comm")
    check(f"map full {full}" in p.stdout, p.stdout[-300:])
    p = memreap("report", rec, "--format", "csv")
    check(p.returncode == 0 and f"map full {full}" in p.stderr,
          f"CSV has no health line: the warning goes to stderr: {p.stderr}")


def test_tiny_map_in_top_and_top_keeps_running():
    load = subprocess.Popen(["sh", "-c", "sleep 1; " + tiny_map_workload()[2]])
    try:
        p = subprocess.run([MEMREAP, "top", "--batch", "-n", "8", "-d", "0.5",
                            "--map-entries", "16"], capture_output=True, text=True, timeout=60)
    finally:
        load.wait()
    check(p.returncode == 0, f"rc {p.returncode}: {p.stderr}")
    frames = p.stdout.split("memreap top")[1:]
    check(len(frames) == 8, f"top printed {len(frames)} of 8 frames")
    degraded = [f for f in frames if "map full" in f and "health: ok" not in f]
    check(degraded, "a frame shows the map full in its health line")
    check("health: ok" not in frames[-1], "the count stays shown")
