"""The interpreter's own shutdown phase, seen through uprobes, against kernel truth."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from mrtest import (MEMREAP, MiB, PYTHON, SCRIPTS, check, check_document, check_truth, close, memreap, tmp,
                    run_json, total, truth_run, wait_for_header, wait_for_ledgers)


def finalized(led):
    return led["shutdown_started_ns"] is not None


def test_python_normal_exit_runs_its_shutdown():
    doc, truth, led, p = truth_run([PYTHON, os.path.join(SCRIPTS, "demo.py")])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    check_truth(truth, led)
    check(finalized(led), "Py_FinalizeEx seen")
    check(led["start_ns"] < led["shutdown_started_ns"] < led["end_ns"], "shutdown within life")
    sd, self_ = led["shutdown_released"]["total"], led["self_released"]["total"]
    check(0 < sd <= self_, f"shutdown_released {sd} within self_released {self_}")
    check(led["rss_at_shutdown_bytes"] <= led["peak_rss_bytes"], "rss at shutdown <= peak")
    # demo.py keeps an 8 MiB buffer to the end: CPython frees it during finalization
    check(sd >= 8 * MiB, f"the kept 8 MiB buffer is freed in shutdown: {sd}")


def test_python_os_exit_skips_shutdown():
    doc, truth, led, p = truth_run([PYTHON, os.path.join(SCRIPTS, "demo.py"), "os_exit"])
    check_document(doc)
    check_truth(truth, led)
    check(not finalized(led) and led["shutdown_released"]["total"] == 0, "no shutdown")
    check(led["kernel_exit"]["anon"] >= 8 * MiB, "the kept buffer goes back through the kernel")


def test_python_sigkill_skips_shutdown():
    doc, truth, led, p = truth_run([PYTHON, "-c",
                                    "import os; x = bytearray(32 << 20); os.kill(os.getpid(), 9)"])
    check(p.returncode == 137, f"rc {p.returncode}")
    check_document(doc)
    check_truth(truth, led)
    check(led["signal"] == 9 and not finalized(led), "killed: no shutdown")


def test_pool_workers_never_finalize():
    doc, truth, parent, p = truth_run([PYTHON, os.path.join(SCRIPTS, "pool.py")])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    # the pool's parent is the process the truth tool traced: its RSS at the exit stop is its
    # own, but wait4's ru_maxrss also covers the workers it reaped, so it only bounds the peak
    at_exit = truth["rss_at_exit_bytes"]
    close(total(parent["kernel_exit"]), total(at_exit), MiB, "kernel_exit vs the exit stop")
    check(parent["peak_rss_bytes"] <= truth["ru_maxrss_bytes"] + MiB, "peak within ru_maxrss")
    workers_peak = max(l["peak_rss_bytes"] for l in doc["ledgers"] if l["ppid"] == parent["pid"])
    close(max(parent["peak_rss_bytes"], workers_peak), truth["ru_maxrss_bytes"], MiB,
          "ru_maxrss is the largest peak in the tree")
    workers = [l for l in doc["ledgers"] if l["ppid"] == parent["pid"]]
    check(len(workers) >= 3, f"{len(workers)} worker ledgers")
    check(finalized(parent), "the parent runs its shutdown")
    check(all(not finalized(w) for w in workers), "no worker finalizes")
    check(all(w["interpreter"] and w["interpreter"]["name"] == "python" for w in workers),
          "workers are python too")
    p = memreap("run", "--", PYTHON, os.path.join(SCRIPTS, "pool.py"))
    check("never ran its shutdown" not in p.stderr.split("  root:")[1].splitlines()[0]
          and "during interpreter shutdown" in p.stderr, f"verdict: {p.stderr}")


def test_perl_destruct_is_seen():
    doc, p = run_json(["/usr/bin/perl", "-e", "my @a = (1) x 1000000; 1"])
    check(p.returncode == 0, p.stderr)
    led = [l for l in doc["ledgers"] if l["comm"] == "perl"][0]
    check(finalized(led), "perl_destruct seen")


def test_ruby_php_and_lua_shutdowns_are_seen():
    """ruby_sig_finalize (after the at_exit blocks), php_module_shutdown, lua_close: each seen
    on a normal exit, not when the process is killed with SIGKILL."""
    cases = ((["/usr/bin/ruby", "-e"], "ruby", "x = 'a' * (8 << 20)",
              "Process.kill(:KILL, $$)"),
             (["/usr/bin/php", "-r"], "php", "$x = str_repeat('a', 8 << 20);",
              "exec('kill -9 ' . getmypid());"),
             (["/usr/bin/lua5.4", "-e"], "lua5.4", "x = string.rep('a', 8 << 20)",
              "os.execute('kill -9 $PPID')"))
    for cmd, comm, normal, killed in cases:
        doc, p = run_json([*cmd, normal])
        check(p.returncode == 0, p.stderr)
        led = [l for l in doc["ledgers"] if l["comm"] == comm][0]
        check(finalized(led) and led["shutdown_watched"], f"{comm}: its shutdown seen")
        check(0 < led["shutdown_released"]["total"] <= led["self_released"]["total"],
              f"{comm}: shutdown_released {led['shutdown_released']}")
        doc, p = run_json([*cmd, killed])
        led = [l for l in doc["ledgers"] if l["comm"] == comm][0]
        check(led["signal"] == 9 and not finalized(led), f"{comm}: killed, no shutdown: {led}")


def test_node_free_environment_and_process_exit():
    if not shutil.which("node"):
        return "skip: node not installed"
    doc, p = run_json(["node", "-e", "globalThis.a = new Array(1e6).fill(1)"])
    led = [l for l in doc["ledgers"] if l["comm"] == "node"][0]
    check(finalized(led), "node::FreeEnvironment seen on a normal exit")
    doc, p = run_json(["node", "-e", "process.exit(0)"])
    led = [l for l in doc["ledgers"] if l["comm"] == "node"][0]
    check(not finalized(led), "process.exit() skips FreeEnvironment")


def test_report_by_tree_keeps_orphans_and_sums_subtrees():
    rec = tmp("tree.rec")
    script = (f"{PYTHON} {os.path.join(SCRIPTS, 'pool.py')}; "
              "(sleep 0.3; true) & "          # an orphan once this shell exits
              "sleep 5 & kill -9 $!; wait $!; "  # a child killed
              "exit 0")
    p = memreap("run", "-q", "-o", rec, "--", "sh", "-c", script)
    check(p.returncode == 0, p.stderr)
    doc = json.loads(memreap("report", rec, "--format", "json").stdout)
    check_document(doc)
    text = memreap("report", rec, "--by", "tree").stdout
    lines = text.splitlines()
    root = [l for l in doc["ledgers"] if l["comm"] == "sh" and l["end"] == "exit"
            and l["observed_from_start"] and l["exit_code"] == 0]
    check(root, "the shell's ledger")
    root_pid = root[0]["pid"]
    check(lines[2].split()[0] == str(root_pid), f"the shell is the first root:\n{text}")
    # the orphaned subshell is still under the shell that forked it
    orphan = [l for l in doc["ledgers"] if l["ppid"] == root_pid and l["end"] == "alive"]
    check(orphan, "the orphan is reported alive, under its original parent")
    killed = [l for l in doc["ledgers"] if l["signal"] == 9 and l["ppid"] == root_pid]
    check(killed, "the killed child is in the tree")
    total_line = [l for l in lines if re.match(rf"\s*= sum of \d+ ledgers under {root_pid} ", l)]
    check(total_line, f"subtree total of the root:\n{text}")
    check(f"{len(doc['ledgers'])} ledgers" in total_line[0], f"it counts every ledger: {total_line}")


def test_perl_and_node_against_truth():
    doc, truth, led, p = truth_run(["/usr/bin/perl", "-e", "my @a = (1) x 3000000; 1"])
    check_document(doc)
    check_truth(truth, led)
    check(finalized(led), "perl_destruct seen")
    if not shutil.which("node"):
        return "skip: node not installed"
    doc, truth, led, p = truth_run([shutil.which("node"), "-e", "globalThis.a = new Array(3e6).fill(1)"])
    check_document(doc)
    check_truth(truth, led)
    check(finalized(led), "node::FreeEnvironment seen")


def test_interpreter_binary_appearing_later_is_watched():
    out = tmp("later.rec")
    newbin = tmp("late-python")
    if os.path.exists(newbin):
        os.unlink(newbin)
    rec = subprocess.Popen([MEMREAP, "record", "-o", out, "--comm", "late-python"],
                           stderr=subprocess.PIPE, text=True)
    wait_for_header(out, rec)
    shutil.copy(PYTHON, newbin)  # a new file: not in PATH, not running at start-up
    for _ in range(2):
        subprocess.run([newbin, "-c", "import time; x = bytearray(16 << 20); time.sleep(0.3)"],
                       check=True)
    wait_for_ledgers(out, "late-python", 2, rec)
    rec.send_signal(signal.SIGINT)
    rec.communicate(timeout=30)
    doc = json.loads(memreap("report", out, "--format", "json").stdout)
    leds = [l for l in doc["ledgers"] if l["comm"] == "late-python" and l["end"] == "exit"]
    check(len(leds) == 2, f"{len(leds)} ledgers")
    check(all(finalized(l) for l in leds), "its shutdown is seen from its first run")
