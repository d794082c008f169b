"""Environments memreap cannot work in give one line and status 1, never a document with wrong
numbers (missing BTF, tracefs and a missing tracepoint are in test_cli)."""
import json
import os

from mrtest import MiB, ROOT, check, check_document, memreap, tmp, wl


def refuses(env_btf, *expected):
    out = tmp("env.json")
    if os.path.exists(out):
        os.unlink(out)
    p = memreap("run", "--json", out, "--", "true", env=dict(os.environ, MEMREAP_BTF=env_btf))
    check(p.returncode == 1, f"{env_btf}: rc {p.returncode}: {p.stderr}")
    check(p.stderr.count("\n") == 1 and all(e in p.stderr for e in expected), p.stderr)
    check(not os.path.exists(out) or os.path.getsize(out) == 0, "no document written")


def test_btf_of_something_else_is_an_unsupported_kernel():
    # A BPF object's BTF has task_struct and mm_struct (from vmlinux.h) but no tracepoints:
    # loading against it once gave an empty, "healthy" result.
    refuses(os.path.join(ROOT, "build", "memreap.bpf.o"), "unsupported kernel",
            "it lacks the raw tracepoint rss_stat (5.5+), ")


def test_a_file_that_is_not_btf_is_named():
    path = tmp("garbage.btf")
    with open(path, "w") as f:
        f.write("not BTF\n")
    refuses(path, f"cannot read kernel BTF from {path}: not a BTF or ELF file")


def test_kernel_btf_copied_elsewhere_works():
    path = tmp("vmlinux.btf")
    with open("/sys/kernel/btf/vmlinux", "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    out = tmp("btf-copy.json")
    p = memreap("run", "-q", "--json", out, "--", wl("hog"), "8", "0", input="go\n",
                env=dict(os.environ, MEMREAP_BTF=path))
    check(p.returncode == 0, p.stderr)
    with open(out) as f:
        doc = json.load(f)
    check_document(doc)
    hog = [l for l in doc["ledgers"] if l["comm"] == "hog"]
    check(len(hog) == 1 and hog[0]["end"] == "exit" and hog[0]["exit_code"] == 0,
          f"the command's ledger: {hog}")
    check(hog[0]["kernel_exit"]["anon"] >= 8 * MiB, f"its 8 MiB left at exit: {hog[0]}")


def test_hostile_names_cannot_break_lines_or_drive_the_terminal():
    # A process may name itself anything: a newline and a terminal escape in its comm.
    script = "open('/proc/self/comm', 'w').write('evil\\n\\x1b[2J')"
    p = memreap("run", "--", "/usr/bin/python3.11", "-c", script)
    check(p.returncode == 0, p.stderr)
    check("\x1b" not in p.stderr, "no escape reaches the terminal")
    rows = [l for l in p.stderr.splitlines() if "evil" in l]
    check(len(rows) == 2 and all("evil??[2J" in r for r in rows), f"row and verdict: {rows}")
