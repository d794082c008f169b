"""The command line contract: exit statuses, errors, report formats, damaged recordings."""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import time

from mrtest import (MEMREAP, MiB, check, check_document, memreap, tmp, wait_for_header,
                    wait_for_ledgers, wl)


def test_exit_status_is_the_commands():
    check(memreap("run", "-q", "--", "sh", "-c", "exit 7").returncode == 7, "exit 7")
    check(memreap("run", "-q", "--", "sh", "-c", "kill -TERM $$").returncode == 128 + 15,
          "killed by SIGTERM: 128+15")


def test_command_not_found_is_127():
    p = memreap("run", "--", "/nonexistent/cmd")
    check(p.returncode == 127, f"rc {p.returncode}")
    check("cannot run /nonexistent/cmd: No such file or directory" in p.stderr, p.stderr)
    check(p.stderr.count("\n") == 1, "one line")


def test_bad_flags_are_usage_errors():
    for args in (["run"], ["run", "--bogus", "--", "true"], ["report"],
                 ["report", "a", "b"], ["report", "x", "--format", "xml"],
                 ["report", "x", "--sort", "size"], ["record"],
                 ["record", "-o", "x", "--duration", "-1"], ["record", "-o", "x", "--pid", "abc"],
                 ["run", "--map-entries", "3", "--", "true"], ["frobnicate"]):
        p = memreap(*args)
        check(p.returncode == 2, f"{args}: rc {p.returncode}")
        check(p.stderr.startswith("memreap: "), f"{args}: {p.stderr}")


def test_not_root_names_the_capabilities():
    if not shutil.which("setpriv"):
        return "skip: setpriv not installed"
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all", MEMREAP, "run", "--", "true"],
                       capture_output=True, text=True)
    check(p.returncode == 1, f"rc {p.returncode}")
    check("CAP_BPF" in p.stderr and "CAP_PERFMON" in p.stderr, p.stderr)
    check(p.stderr.count("\n") == 1, "one line")


def test_missing_btf_is_named():
    env = dict(os.environ, MEMREAP_BTF="/nonexistent/vmlinux")
    p = memreap("run", "--", "true", env=env)
    check(p.returncode == 1 and "BTF not found at /nonexistent/vmlinux" in p.stderr, p.stderr)


def test_missing_tracepoint_is_named():
    env = dict(os.environ, MEMREAP_TRACEPOINT_rss_stat="rss_stat_not_in_this_kernel")
    p = memreap("run", "--", "true", env=env)
    check(p.returncode == 1, f"rc {p.returncode}")
    check("tracepoint rss_stat_not_in_this_kernel" in p.stderr and "not in this kernel" in p.stderr,
          p.stderr)


def test_works_without_tracefs():
    # Raw tracepoints need no tracefs: prove it in a mount namespace where it is unmounted.
    script = ("umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing "
              "2>/dev/null; grep -q tracefs /proc/self/mounts && exit 99; "
              f"exec {MEMREAP} run -q --json - -- true")
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"rc {p.returncode}: {p.stderr}")
    check_document(json.loads(p.stdout))


def record_pattern():
    out = tmp("pattern.rec")
    p = memreap("record", "-o", out, "--comm", "pattern", "--", wl("pattern"), tmp("pat.json"))
    check(p.returncode == 0, p.stderr)
    check("recorded 1 ledger to" in p.stderr, p.stderr)
    return out


def test_record_then_report_in_every_format():
    out = record_pattern()
    p = memreap("report", out, "--format", "json")
    check(p.returncode == 0, p.stderr)
    doc = json.loads(p.stdout)
    check_document(doc)
    check(len(doc["ledgers"]) == 1 and doc["ledgers"][0]["comm"] == "pattern", "one ledger")
    led = doc["ledgers"][0]
    check(led["self_released_by_call"]["munmap"] >= 32 * MiB, "munmap recorded")
    p = memreap("report", out, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    check(len(rows) == 1 and rows[0]["comm"] == "pattern", "csv row")
    check(int(rows[0]["self_released_by_munmap"]) == led["self_released_by_call"]["munmap"],
          "csv matches json")
    for column, key in (("id", "id"), ("parent_id", "parent_id")):
        check(int(rows[0][column]) == led[key], f"csv {column} is the ledger's")
    check(rows[0]["shutdown_watched"] == "true", "csv shutdown_watched")
    check(rows[0]["end_inexact"] == str(led["end_inexact"]).lower(), "csv end_inexact")
    check(int(rows[0]["freed_kernel_exit_anon"]) == led["freed_by_kind"]["kernel_exit"]["anon"],
          "csv freed matches json")
    p = memreap("report", out, "--format", "csv", "--by", "comm")
    groups = list(csv.DictReader(io.StringIO(p.stdout)))
    check(groups and groups[0]["comm"] == "pattern" and groups[0]["ledgers"] == "1",
          f"the grouped csv's first column is named after the grouping: {p.stdout[:80]!r}")
    p = memreap("report", out)
    check(p.returncode == 0 and "pattern" in p.stdout and "health: ok" in p.stdout, p.stdout)
    p = memreap("report", out, "--by", "comm", "--sort", "kernel", "--top", "1")
    check(p.returncode == 0 and "pattern" in p.stdout, p.stdout)


def test_damaged_recordings():
    out = record_pattern()
    data = open(out, "rb").read()
    cut = tmp("cut.rec")
    with open(cut, "wb") as f:
        f.write(data[:-5])
    p = memreap("report", cut, "--format", "json")
    check(p.returncode == 0, f"a cut file still reports: {p.stderr}")
    check("cut short at byte offset" in p.stderr, p.stderr)
    check(len(json.loads(p.stdout)["ledgers"]) == 1, "the whole ledger before the cut")
    bad = tmp("bad.rec")
    with open(bad, "wb") as f:
        f.write(data[:200] + b"#" + data[201:])
    p = memreap("report", bad)
    check(p.returncode == 1 and "byte offset" in p.stderr, p.stderr)
    with open(tmp("foreign.rec"), "wb") as f:
        f.write(b"\x7fELF" + b"\0" * 100)
    p = memreap("report", tmp("foreign.rec"))
    check(p.returncode == 1 and "not a memreap recording" in p.stderr, p.stderr)
    p = memreap("report", tmp("does-not-exist.rec"))
    check(p.returncode == 1 and "No such file" in p.stderr, p.stderr)
    p = memreap("report", "/root" if os.path.isdir("/root") else "/")
    check(p.returncode == 1, f"a directory: rc {p.returncode}")


def test_sigkill_of_the_recorder_leaves_a_readable_file():
    out = tmp("killed.rec")
    rec = subprocess.Popen([MEMREAP, "record", "-o", out], stderr=subprocess.PIPE)
    wait_for_header(out, rec)  # loaded and attached
    subprocess.run([wl("storm"), "200", "4"], capture_output=True)
    wait_for_ledgers(out, "storm", 201, rec)
    rec.send_signal(signal.SIGKILL)
    rec.wait()
    p = memreap("report", out, "--format", "json")
    check(p.returncode == 0, p.stderr)
    check("no end record" in p.stderr or "cut short" in p.stderr, p.stderr)
    doc = json.loads(p.stdout)
    check_document(doc, clean=False)
    check(len(doc["ledgers"]) >= 200, f"{len(doc['ledgers'])} ledgers survived the kill")


def test_sigterm_finishes_the_file():
    out = tmp("term.rec")
    rec = subprocess.Popen([MEMREAP, "record", "-o", out], stderr=subprocess.PIPE, text=True)
    wait_for_header(out, rec)  # its handlers are in place
    rec.send_signal(signal.SIGTERM)
    _, err = rec.communicate(timeout=30)
    check(rec.returncode == 0, err)
    p = memreap("report", out)
    check(p.returncode == 0 and not p.stderr, f"complete file: {p.stderr}")


def test_tiny_map_is_reported_not_hidden():
    out = tmp("tiny.json")
    # 40 processes alive at once cannot fit 16 entries (plus a few per-CPU spares)
    p = memreap("run", "--map-entries", "16", "--json", out, "--",
                "sh", "-c", "for i in $(seq 40); do sleep 0.5 & done; wait")
    check(p.returncode == 0, p.stderr)
    doc = json.load(open(out))
    check(doc["health"]["map_full"] > 0, f"map_full counted: {doc['health']}")
    check("DEGRADED" in p.stderr and "map full" in p.stderr, "the summary shows it")
    check(doc["health"]["unattributed_bytes"] > 0, "changes of untracked mms are counted")
    check_document(doc, clean=False)  # the ledgers that exist still balance


def utc(ns):
    """RFC 3339 UTC with nine digits, from Python's exact integer."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)


def test_times_are_exact_in_jq():
    # Nanosecond integers lose digits in jq 1.6 and JavaScript (doubles); each X_ns has an X_utc
    # string that does not.
    if not shutil.which("jq"):
        return "skip: jq not installed"
    rec, path = tmp("times.rec"), tmp("times.json")
    p = memreap("run", "-q", "-o", rec, "--json", path, "--", "sh", "-c", "exec true")
    check(p.returncode == 0, p.stderr)
    doc = json.load(open(path))  # Python reads integers exactly
    query = ".started_utc, .ended_utc, (.ledgers[] | .start_utc, .end_utc)"
    expected = [utc(doc["started_ns"]), utc(doc["ended_ns"])]
    for led in doc["ledgers"]:
        expected += [utc(led["start_ns"]), utc(led["end_ns"])]
    check(len(doc["ledgers"]) == 2, f"sh and true: {len(doc['ledgers'])} ledgers")
    q = subprocess.run(["jq", "-r", query, path], capture_output=True, text=True)
    check(q.returncode == 0 and q.stdout.split() == expected, f"jq read {q.stdout!r}")
    report = memreap("report", rec, "--format", "json")
    q = subprocess.run(["jq", "-r", "(.ledgers[] | .start_utc, .end_utc)"], input=report.stdout,
                       capture_output=True, text=True)
    check(sorted(q.stdout.split()) == sorted(expected[2:]), f"jq read the recording's {q.stdout!r}")


def test_version_names_every_contract():
    p = memreap("--version")
    check(p.returncode == 0, p.stderr)
    for part in ("memreap/v1", "recording format 3", "memreap-metrics/v1"):
        check(part in p.stdout, f"--version names {part}: {p.stdout!r}")
