"""Recordings as traces: samples of live ledgers over time, and report --format trace."""
import json
import os
import shutil
import subprocess

from mrtest import MEMREAP, MiB, ROOT, check, memreap, recording_records, tmp, wl

PHASES = ("M", "X", "C", "I")  # the Trace Event Format phases memreap writes


def check_trace_format(doc):
    """The Trace Event Format's rules (JSON object form), checked apart from the writer."""
    check(isinstance(doc.get("traceEvents"), list), "a traceEvents array")
    check(doc.get("displayTimeUnit") in ("ms", "ns"), "displayTimeUnit")
    last = {}
    for e in doc["traceEvents"]:
        check(e["ph"] in PHASES, f"phase {e['ph']!r}")
        check(e["cat"] == "memreap", f"a category, which some consumers need: {e}")
        check(isinstance(e["name"], str) and isinstance(e["pid"], int)
              and isinstance(e["tid"], int), f"name, pid, tid: {e}")
        check(isinstance(e["ts"], (int, float)) and e["ts"] >= 0, f"ts: {e}")
        check(e["ts"] >= last.get(e["pid"], 0), f"track {e['pid']} goes back in time: {e}")
        last[e["pid"]] = e["ts"]
        if e["ph"] == "X":
            check(isinstance(e["dur"], (int, float)) and e["dur"] >= 0, f"dur: {e}")
        if e["ph"] == "C":
            check(e["args"] and all(isinstance(v, int) for v in e["args"].values()), e)
        if e["ph"] == "I":
            check(e.get("s") in ("g", "p", "t"), f"an instant's scope: {e}")
        if e["ph"] == "M":
            check(e["name"] == "process_name" and e["args"]["name"], e)


def test_a_trace_shows_the_phases_of_a_process():
    rec = tmp("phases.rec")
    p = memreap("run", "-q", "-o", rec, "--", wl("phases"), "200", "150", "1")
    check(p.returncode == 0, p.stderr)
    doc = json.loads(memreap("report", rec, "--format", "json").stdout)
    led = next(l for l in doc["ledgers"] if l["comm"] == "phases")
    t = memreap("report", rec, "--format", "trace")
    check(t.returncode == 0, t.stderr)
    trace = json.loads(t.stdout)
    check_trace_format(trace)
    names = {e["pid"]: e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M"}
    track = next(pid for pid, name in names.items() if name == f"phases {led['pid']}")
    rss = [(e["ts"], sum(e["args"].values())) for e in trace["traceEvents"]
           if e["pid"] == track and e["name"] == "rss"]
    peak_at, peak = max(rss, key=lambda x: x[1])
    check(abs(peak - led["peak_rss_bytes"]) <= led["peak_rss_bytes"] * 0.05,
          f"the counter's maximum {peak} is the ledger's peak {led['peak_rss_bytes']}")
    later = [v for ts, v in rss if ts > peak_at]
    check(any(v <= 60 * MiB for v in later[:-1]), f"a sample after the munmap: {rss}")
    check(rss[-1][1] == 0, "nothing resident after the exit")
    ends = [e for e in trace["traceEvents"] if e["pid"] == track and e["ph"] == "I"
            and e["name"] in ("exit", "exec")]
    check([(e["name"], e["args"]["exit_code"]) for e in ends] == [("exit", 0)], ends)
    start = trace["traceEvents"][0]["ts"]
    life = next(e for e in trace["traceEvents"] if e["pid"] == track and e["name"] == "life")
    check(abs(life["ts"] + life["dur"] - ends[0]["ts"]) < 1, "the life slice ends at the exit")
    check(life["dur"] >= 2e6, f"it lived its two seconds: {life['dur']} us")
    releases = [e for e in trace["traceEvents"] if e["pid"] == track and e["ph"] == "I"
                and e["name"] != "exit"]
    check([(e["name"], e["args"]["bytes"]) for e in releases] == [("munmap", 150 * MiB)],
          f"one large release, the munmap of 150 MiB: {releases}")
    check(peak_at < releases[0]["ts"] < ends[0]["ts"], "between the peak and the exit")
    check(start >= 0, "microseconds from the recording's start")


CONSUMER = os.path.join(ROOT, "tests", "trace-consumer")


def test_real_trace_consumers_read_the_trace():
    """TracerBench's trace model and DevTools' trace engine (npm, pinned in
    tests/trace-consumer) read the trace of a real recording: what they model is checked here."""
    if not shutil.which("node"):
        return "skip: no node (make integration installs it; the vmtest guests have none)"
    check(os.path.isdir(os.path.join(CONSUMER, "node_modules", "@tracerbench")),
          "no tests/trace-consumer/node_modules: make integration runs npm ci there")
    rec, trace = tmp("consumer.rec"), tmp("consumer.json")
    p = memreap("record", "-o", rec, "--comm", "phases", "--", wl("phases"), "200", "150", "1")
    check(p.returncode == 0 and "recorded 1 ledger to" in p.stderr, p.stderr)
    led = json.loads(memreap("report", rec, "--format", "json").stdout)["ledgers"][0]
    with open(trace, "w") as f:
        check(subprocess.run([MEMREAP, "report", rec, "--format", "trace"], stdout=f).returncode
              == 0, "report --format trace")
    m = subprocess.run(["node", os.path.join(CONSUMER, "model.mjs"), trace], capture_output=True,
                       text=True, timeout=60)
    check(m.returncode == 0, m.stderr)
    model = json.loads(m.stdout)
    name = f"phases {led['pid']}"
    # TracerBench: the process track, its counters, instants and slice.
    (proc,) = model["tracerbench"]
    check(proc["name"] == name, f"the process track is named {name!r}: {proc['name']!r}")
    rss, released = proc["counters"]["rss"], proc["counters"]["released"]
    check(set(rss["series"]) == {"anon", "file", "shmem"}, rss)
    check(abs(rss["max"] - led["peak_rss_bytes"]) <= led["peak_rss_bytes"] * 0.05,
          f"the rss counter's maximum {rss['max']} is the ledger's peak {led['peak_rss_bytes']}")
    check(rss["series"]["anon"] >= 200 * MiB and rss["last"] == 0, f"200 MiB anon, then 0: {rss}")
    check(released["series"]["self"] >= 150 * MiB and set(released["series"])
          == {"self", "kernel", "freed"}, f"the 150 MiB it unmapped itself: {released}")
    check([(i["name"], i["args"].get("bytes"), i["args"].get("exit_code")) for i in
           proc["instants"]] == [("munmap", 150 * MiB, None), ("exit", None, 0)],
          f"the munmap of 150 MiB, then the exit: {proc['instants']}")
    munmap, exit_ = proc["instants"]
    check(rss["max_at"] < munmap["ts"] < exit_["ts"], "the peak, the munmap, the exit")
    (life,) = proc["slices"]
    check(life["name"] == "life" and life["parent"] is None, life)
    # the model adds the slice's duration to its start in floating point: equal to 1 ns (1e-3 µs)
    check(abs(life["end"] - exit_["ts"]) < 1e-3 and life["end"] - life["start"] >= 2e6,
          f"a life of two seconds or more that ends at the exit: {life}")
    # DevTools: a generic trace; the same track name, slice and instants on its thread.
    dt = model["devtools"]
    check(dt["generic"] and [(d["pid"], d["name"]) for d in dt["processes"]]
          == [(proc["pid"], name)], dt)
    check([(e["name"], e["ph"]) for e in dt["processes"][0]["entries"]]
          == [("life", "X"), ("munmap", "I"), ("exit", "I")], dt["processes"][0]["entries"])
    check(dt["processes"][0]["entries"][0]["ts"] == life["start"]
          and dt["processes"][0]["entries"][2]["ts"] == exit_["ts"], "the same times")


def test_event_min_chooses_the_releases():
    rec = tmp("events.rec")
    # Each map touched a page at a time (no temporary buffer of its size), then unmapped.
    script = ("import mmap\nfor mib in (2, 8, 32):\n    m = mmap.mmap(-1, mib << 20)\n"
              "    for i in range(0, mib << 20, 4096):\n        m[i] = 1\n    m.close()\n")
    p = memreap("run", "-q", "-o", rec, "--event-min", "5M", "--", "/usr/bin/python3.11", "-c",
                script)
    check(p.returncode == 0, p.stderr)
    trace = json.loads(memreap("report", rec, "--format", "trace").stdout)
    sizes = [e["args"]["bytes"] for e in trace["traceEvents"]
             if e["ph"] == "I" and e["name"] == "munmap"]
    check(sizes == [8 * MiB, 32 * MiB], f"the munmaps of 5 MiB or more: {sizes}")


def test_munmaps_back_to_back_are_events_of_their_own():
    rec = tmp("unmaps.rec")
    # Three 8 MiB munmaps in a row: no fault, nothing between them but the calls themselves.
    p = memreap("run", "-q", "-o", rec, "--event-min", "5M", "--", wl("unmaps"), "3", "8")
    check(p.returncode == 0, p.stderr)
    trace = json.loads(memreap("report", rec, "--format", "trace").stdout)
    sizes = [e["args"]["bytes"] for e in trace["traceEvents"]
             if e["ph"] == "I" and e["name"] == "munmap"]
    check(sizes == [8 * MiB] * 3, f"three munmaps of 8 MiB: {sizes}")


def test_a_release_during_shutdown_follows_the_shutdown_slice():
    rec = tmp("shutdown.rec")
    # 32 MiB touched and left to the interpreter's shutdown to free (one munmap).
    script = "big = bytearray(32 << 20)\nbig[::4096] = b'\\x01' * len(big[::4096])\n"
    p = memreap("run", "-q", "-o", rec, "--event-min", "16M", "--", "/usr/bin/python3.11", "-c",
                script)
    check(p.returncode == 0, p.stderr)
    trace = json.loads(memreap("report", rec, "--format", "trace").stdout)
    check_trace_format(trace)
    marks = [(e["name"], e["ph"]) for e in trace["traceEvents"] if e["ph"] in ("X", "I")]
    check(marks == [("life", "X"), ("interpreter shutdown", "X"), ("munmap", "I"), ("exit", "I")],
          f"the munmap in the shutdown, after its slice: {marks}")


def test_samples_are_only_written_for_changes():
    rec = tmp("idle.rec")
    p = memreap("run", "-q", "-o", rec, "--interval", "0.05", "--", wl("phases"), "8", "4", "1")
    check(p.returncode == 0, p.stderr)
    trace = json.loads(memreap("report", rec, "--format", "trace").stdout)
    rss = [e for e in trace["traceEvents"] if e["name"] == "rss"]
    # Two seconds at 20 samples a second would be 40; a process that holds still is sampled
    # only when it changed: its start, its touching, its munmap, its end.
    check(len(rss) <= 12, f"{len(rss)} rss samples for two quiet seconds")


def test_old_recordings_report_in_every_format():
    old = os.path.join(ROOT, "tests", "integration", "data", "version1.rec")
    for fmt in ("text", "json", "csv", "trace"):
        p = memreap("report", old, "--format", fmt)
        check(p.returncode == 0 and p.stdout, f"{fmt}: {p.stderr}")
    trace = json.loads(memreap("report", old, "--format", "trace").stdout)
    check_trace_format(trace)
    check(sum(e["ph"] == "M" for e in trace["traceEvents"]) == 5, "a track per ledger")


def test_trace_takes_top_and_refuses_by():
    rec = tmp("phases.rec")
    if not os.path.exists(rec):
        memreap("run", "-q", "-o", rec, "--", wl("phases"), "20", "10", "0.2")
    trace = json.loads(memreap("report", rec, "--format", "trace", "--top", "1").stdout)
    check(sum(e["ph"] == "M" for e in trace["traceEvents"]) == 1, "--top 1: one track")
    p = memreap("report", rec, "--format", "trace", "--by", "comm")
    check(p.returncode == 2 and "--format trace has one track per ledger" in p.stderr, p.stderr)


def chromium(*args):
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--user-data-dir=" + tmp("chromium"), *args],
                          capture_output=True, text=True, timeout=120)


def test_the_html_report_renders_offline_in_chromium():
    if not shutil.which("chromium"):
        return "skip: no chromium (make deps installs it on the host; the vmtest guests have none)"
    rec = tmp("html.rec")
    p = memreap("run", "-q", "-o", rec, "--", wl("phases"), "64", "48", "0.5")
    check(p.returncode == 0, p.stderr)
    doc = json.loads(memreap("report", rec, "--format", "json").stdout)
    pid = next(l["pid"] for l in doc["ledgers"] if l["comm"] == "phases")
    page = tmp("report.html")
    with open(page, "w") as f:
        check(subprocess.run([MEMREAP, "report", rec, "--format", "html"], stdout=f).returncode
              == 0, "report --format html")
    html = open(page).read()
    check("<script" not in html and "http://" not in html and "https://" not in html
          and " src=" not in html and "<link" not in html, "self-contained: nothing to fetch")
    dom = chromium("--dump-dom", "file://" + page)
    check(dom.returncode == 0 and "Uncaught" not in dom.stderr, dom.stderr)
    check(f'<path class="band" data-pid="{pid}"' in dom.stdout, "the chart has the pid's series")
    check(f'<line class="end" data-pid="{pid}"' in dom.stdout, "its exit is marked")
    check(f"phases {pid}: peak " in dom.stdout and "verdict" in dom.stdout and "health: ok"
          in dom.stdout, "legend, verdict and health")
    shots = os.path.join(ROOT, "build", "test-artifacts")
    os.makedirs(shots, exist_ok=True)
    for name, size in (("report-1280x800.png", "1280,800"), ("report-phone.png", "390,844")):
        shot = chromium(f"--screenshot={os.path.join(shots, name)}", f"--window-size={size}",
                        "file://" + page)
        check(shot.returncode == 0 and os.path.getsize(os.path.join(shots, name)) > 10000,
              f"{name}: {shot.stderr}")


def test_report_pid_and_comm_choose_trees_in_every_format():
    rec = tmp("trees.rec")
    cmd = f"{wl('phases')} 8 4 0.1 & sh -c '{wl('phases')} 4 2 0.1'; wait"
    p = memreap("run", "-q", "-o", rec, "--", "sh", "-c", cmd)
    check(p.returncode == 0, p.stderr)
    doc = json.loads(memreap("report", rec, "--format", "json").stdout)
    # The inner shell and the phases it exec'd are one process: its tree, with no children.
    small = next(l for l in doc["ledgers"]
                 if l["comm"] == "phases" and l["argv"][1:3] == ["4", "2"])
    tree = {l["id"] for l in doc["ledgers"] if l["pid"] == small["pid"]}
    inner = small
    mine = json.loads(memreap("report", rec, "--format", "json", "--pid",
                              str(inner["pid"])).stdout)
    check({l["id"] for l in mine["ledgers"]} == tree, f"--pid {inner['pid']}: its tree")
    check(mine["totals"]["ledgers"] == len(tree), "totals cover the chosen ledgers")
    trace = json.loads(memreap("report", rec, "--format", "trace", "--comm", "phases").stdout)
    names = sorted(e["args"]["name"].split()[0] for e in trace["traceEvents"] if e["ph"] == "M")
    phases = [l for l in doc["ledgers"] if l["comm"] == "phases"]
    check(names.count("phases") == len(phases) == 2, f"--comm phases: {names}")


def test_record_takes_interval_and_event_min():
    rec = tmp("record-events.rec")
    p = memreap("record", "-o", rec, "--interval", "0.05", "--event-min", "2M", "--comm",
                "phases", "--", wl("phases"), "8", "4", "0.3")
    check(p.returncode == 0 and "recorded 1 ledger to" in p.stderr, p.stderr)
    trace = json.loads(memreap("report", rec, "--format", "trace").stdout)
    check([(e["name"], e["args"]["bytes"]) for e in trace["traceEvents"]
           if e["ph"] == "I" and e["name"] != "exit"] == [("munmap", 4 * MiB)], trace)
    rss = [e for e in trace["traceEvents"] if e["name"] == "rss"]
    check(len(rss) >= 4, f"samples at 50 ms while it held its memory: {len(rss)}")


def test_record_without_timeline_or_compression():
    """--no-compress writes format version 2 with the same records as the default's version 3
    (compressed, smaller); --no-timeline writes no samples and no events."""
    kinds, sizes = {}, {}
    for name, extra in (("default", ()), ("plain", ("--no-compress",)),
                        ("bare", ("--no-timeline", "--no-compress"))):
        rec = tmp(f"record-{name}.rec")
        p = memreap("record", "-o", rec, "--comm", "phases", *extra, "--", wl("phases"), "8",
                    "4", "0.3")
        check(p.returncode == 0 and "recorded 1 ledger to" in p.stderr, f"{name}: {p.stderr}")
        with open(rec, "rb") as f:
            check(f.read(12)[8] == (2 if extra else 3), f"{name}: its format version")
        kinds[name] = sorted({k for k, _ in recording_records(rec)})
        sizes[name] = os.path.getsize(rec)
        doc = json.loads(memreap("report", rec, "--format", "json").stdout)
        check([led["comm"] for led in doc["ledgers"]] == ["phases"], f"{name}: {doc}")
    check(kinds["default"] == kinds["plain"] == [3, 4, 5, 6, 7], f"samples and events: {kinds}")
    check(kinds["bare"] == [3, 4, 5], f"no samples, no events: {kinds}")
    check(sizes["default"] < sizes["plain"], f"compressed is smaller: {sizes}")
    rec = tmp("run-plain.rec")
    p = memreap("run", "-q", "-o", rec, "--no-compress", "--", wl("phases"), "8", "4", "0.3")
    with open(rec, "rb") as f:
        check(p.returncode == 0 and f.read(12)[8] == 2, f"run -o --no-compress: {p.stderr}")
    run_kinds = {k for k, _ in recording_records(rec)}
    check({4, 5, 6, 7} <= run_kinds, f"run's ledgers, samples, events and end: {run_kinds}")
    p = memreap("record", "-o", tmp("x.rec"), "--no-timeline", "--interval", "1", "--", "true")
    check(p.returncode == 2 and "--no-timeline leaves no room for --interval" in p.stderr,
          p.stderr)
