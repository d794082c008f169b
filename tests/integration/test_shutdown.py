"""The interpreter's own shutdown phase, seen through uprobes, against kernel truth."""
import json
import os
import shutil

from mrtest import (MiB, PYTHON, SCRIPTS, check, check_document, check_truth, memreap,
                    run_json, total, truth_run)


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
    doc, p = run_json([PYTHON, os.path.join(SCRIPTS, "pool.py")])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    parent = [l for l in doc["ledgers"] if l["comm"] == "python3.11" and l["end"] == "exit"
              and any(k["ppid"] == l["pid"] for k in doc["ledgers"])]
    check(len(parent) == 1, "the pool's parent")
    parent = parent[0]
    workers = [l for l in doc["ledgers"] if l["ppid"] == parent["pid"]]
    check(len(workers) >= 3, f"{len(workers)} worker ledgers")
    check(finalized(parent), "the parent runs its shutdown")
    check(all(not finalized(w) for w in workers), "no worker finalizes")
    check(all(w["interpreter"] and w["interpreter"]["name"] == "python" for w in workers),
          "workers are python too")
    p = memreap("run", "--", PYTHON, os.path.join(SCRIPTS, "pool.py"))
    check("never ran its shutdown" not in p.stderr.split("verdict:")[1].splitlines()[0]
          and "during interpreter shutdown" in p.stderr, f"verdict: {p.stderr}")


def test_perl_destruct_is_seen():
    doc, p = run_json(["/usr/bin/perl", "-e", "my @a = (1) x 1000000; 1"])
    check(p.returncode == 0, p.stderr)
    led = [l for l in doc["ledgers"] if l["comm"] == "perl"][0]
    check(finalized(led), "perl_destruct seen")


def test_node_free_environment_and_process_exit():
    if not shutil.which("node"):
        return "skip: node not installed"
    doc, p = run_json(["node", "-e", "globalThis.a = new Array(1e6).fill(1)"])
    led = [l for l in doc["ledgers"] if l["comm"] == "node"][0]
    check(finalized(led), "node::FreeEnvironment seen on a normal exit")
    doc, p = run_json(["node", "-e", "process.exit(0)"])
    led = [l for l in doc["ledgers"] if l["comm"] == "node"][0]
    check(not finalized(led), "process.exit() skips FreeEnvironment")
