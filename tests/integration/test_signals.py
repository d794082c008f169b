"""Signals and faults while recording: every stop signal finishes the file, SIGKILL leaves it
readable up to its last whole record, a full disk is one clear error and a readable partial
file, and the observed command's exit status still comes through."""
import json
import os
import signal
import subprocess
import tempfile
import time

from mrtest import (MEMREAP, check, check_document, memreap, recorded_ledgers, tmp,
                    wait_for_header, wl)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def start(args, path, **kw):
    p = subprocess.Popen([MEMREAP, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, **kw)
    wait_for_header(path, p)
    return p


def wait_for_command(proc, comm, timeout=20):
    """The command runs: a signal sent before memreap forked it would reach nobody."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/comm") as c:
                        if c.read().strip() == comm:
                            return
                except FileNotFoundError:
                    pass
        time.sleep(0.05)
    raise AssertionError(f"{comm} never started under memreap")


def report_json(path, complete):
    p = memreap("report", path, "--format", "json")
    check(p.returncode == 0, f"{path}: {p.stderr}")
    if complete:
        check(p.stderr == "", f"a finished file reads without a warning: {p.stderr}")
    else:
        check("no end record" in p.stderr or "cut short" in p.stderr,
              f"a cut file names where it ends: {p.stderr}")
    doc = json.loads(p.stdout)
    check_document(doc, clean=False)
    return doc


def test_record_finishes_the_file_on_every_stop_signal():
    for sig in STOP_SIGNALS:
        out = tmp(f"record-{sig.name}.rec")
        p = start(["record", "-o", out], out)
        # The storm's ledgers are in the ring buffer once it returns: the stop drains it.
        subprocess.run([wl("storm"), "100", "4"], capture_output=True)
        p.send_signal(sig)
        _, err = p.communicate(timeout=30)
        check(p.returncode == 0, f"{sig.name}: rc {p.returncode}: {err}")
        check("recorded" in err, f"{sig.name}: {err}")
        doc = report_json(out, complete=True)
        check(sum(l["comm"] == "storm" for l in doc["ledgers"]) >= 101,
              f"{sig.name}: the storm is in the file")


def test_record_with_a_command_passes_the_signal_and_its_status():
    for sig in STOP_SIGNALS:
        out = tmp(f"record-cmd-{sig.name}.rec")
        p = start(["record", "-o", out, "--", "sleep", "30"], out)
        wait_for_command(p, "sleep")
        p.send_signal(sig)
        _, err = p.communicate(timeout=30)
        check(p.returncode == 128 + sig, f"{sig.name}: rc {p.returncode}, want {128 + sig}")
        doc = report_json(out, complete=True)
        check(any(l["comm"] == "sleep" and l["signal"] == sig for l in doc["ledgers"]),
              f"{sig.name}: sleep's ledger ends by the signal")


def test_run_finishes_its_recording_on_every_stop_signal():
    for sig in STOP_SIGNALS:
        out = tmp(f"run-{sig.name}.rec")
        p = start(["run", "-q", "-o", out, "--", "sleep", "30"], out, start_new_session=True)
        wait_for_command(p, "sleep")
        if sig == signal.SIGINT:
            os.killpg(p.pid, sig)  # as ^C does: run leaves SIGINT to its command
        else:
            p.send_signal(sig)  # forwarded to the command
        _, err = p.communicate(timeout=30)
        check(p.returncode == 128 + sig, f"{sig.name}: rc {p.returncode}, want {128 + sig}: {err}")
        doc = report_json(out, complete=True)
        check([l["signal"] for l in doc["ledgers"] if l["comm"] == "sleep"] == [sig],
              f"{sig.name}: one sleep ledger, killed by it")


def test_sigkill_of_run_leaves_a_readable_file():
    out = tmp("run-killed.rec")
    p = start(["run", "-q", "-o", out, "--", "sh", "-c",
               f"{wl('storm')} 300 4 >/dev/null; exec sleep 30"], out)
    wait_for_command(p, "sleep")  # the storm is over: its 301 ledgers ended
    deadline = time.time() + 20  # and reach the file within a flush (100 ms)
    while time.time() < deadline and len(recorded_ledgers(out, "storm")) < 301:
        time.sleep(0.1)
    with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
        command = [int(pid) for pid in f.read().split()]
    p.kill()
    p.wait()
    for pid in command:  # the command outlives memreap: end it by its pid
        os.kill(pid, signal.SIGKILL)
    p.communicate()
    doc = report_json(out, complete=False)
    storm = [l for l in doc["ledgers"] if l["comm"] == "storm"]
    check(len(storm) == 301, f"{len(storm)} storm ledgers survived the kill, want 301")


class SmallDisk:
    """A 64 KiB tmpfs, unmounted on exit (6,000 ledgers fill it, compressed)."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="memreap-full-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", self.dir], check=True)
        return self.dir

    def __exit__(self, *exc):
        subprocess.run(["umount", self.dir], check=False)
        os.rmdir(self.dir)


def check_one_error_line(err, path):
    lines = [l for l in err.splitlines() if "No space left on device" in l]
    check(len(lines) == 1, f"one error line naming the full disk: {err}")
    check(lines[0].startswith(f"memreap: writing {path}: No space left on device"), lines[0])


def test_full_disk_stops_record_with_one_error_and_a_readable_file():
    with SmallDisk() as d:
        out = os.path.join(d, "full.rec")
        p = start(["record", "-o", out], out)
        subprocess.run([wl("storm"), "6000", "8"], capture_output=True)
        _, err = p.communicate(timeout=30)  # it stops by itself
        check(p.returncode == 1, f"rc {p.returncode}: {err}")
        check_one_error_line(err, out)
        doc = report_json(out, complete=False)
        check(len(doc["ledgers"]) > 10, f"{len(doc['ledgers'])} ledgers before the disk filled")


def test_full_disk_in_run_keeps_the_commands_status():
    with SmallDisk() as d:
        out = os.path.join(d, "full.rec")
        p = memreap("run", "-q", "-o", out, "--", "sh", "-c", f"{wl('storm')} 6000 8; exit 3")
        check(p.returncode == 3, f"the command's status, not memreap's: rc {p.returncode}")
        check_one_error_line(p.stderr, out)
        report_json(out, complete=False)
        p = memreap("record", "-o", out, "--", "sh", "-c", f"{wl('storm')} 6000 8; exit 4")
        check(p.returncode == 4, f"record -- CMD too: rc {p.returncode}: {p.stderr}")
        check_one_error_line(p.stderr, out)
        report_json(out, complete=False)
