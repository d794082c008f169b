"""Freed, not just unmapped: what left each address space and went back to the page allocator.

Truth comes from workloads that know what they mapped, touched, shared and unmapped, from
mincore() (file pages still cached after the exit) and from a memory cgroup's own charge.
"""
import ctypes
import json
import mmap
import os
import re
import subprocess
import time

from kernel_btf import FUNC, KernelBTF
from mrtest import (MEMREAP, MiB, PYTHON, ROOT, SCRIPTS, check, check_document, close, memcg_anon,
                    memory_cgroup, run_json, tmp, wl)


def freed(led, category, kind="anon"):
    return led["freed_by_kind"][category][kind]


def test_private_memory_is_freed_by_munmap_and_at_exit():
    doc, p = run_json([wl("hog"), "64", "32"], stdin="go\n")
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    led = [l for l in doc["ledgers"] if l["comm"] == "hog"][0]
    check(led["self_released_by_call"]["munmap"] >= 32 * MiB, f"munmap: {led['self_released']}")
    # Private pages: their last reference goes with the release (a few may still sit in another
    # CPU's page batch and be freed a moment later there).
    close(freed(led, "self_released"), led["self_released"]["anon"], MiB, "freed by munmap")
    check(led["kernel_exit"]["anon"] >= 32 * MiB, f"kernel_exit: {led['kernel_exit']}")
    close(freed(led, "kernel_exit"), led["kernel_exit"]["anon"], MiB, "freed at exit")
    print(f"     munmap: {led['self_released']['anon']} released, "
          f"{freed(led, 'self_released')} freed; exit: {led['kernel_exit']['anon']} released, "
          f"{freed(led, 'kernel_exit')} freed")


def cow_ledgers(write_mib):
    doc, p = run_json([wl("cow"), "64", "3", str(write_mib)])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    cow = [l for l in doc["ledgers"] if l["comm"] == "cow"]
    parent = [l for l in cow if l["parent_id"] not in {c["id"] for c in cow}]
    check(len(cow) == 4 and len(parent) == 1, f"{len(cow)} cow ledgers, one parent")
    return parent[0], [l for l in cow if l is not parent[0]]


def test_fork_children_that_never_write_free_almost_nothing():
    parent, kids = cow_ledgers(0)
    for kid in kids:
        check(kid["kernel_exit"]["anon"] >= 64 * MiB, f"the child unmaps the parent's 64 MiB: "
              f"{kid['kernel_exit']}")
        check(freed(kid, "kernel_exit") < 2 * MiB,
              f"but frees almost nothing (the pages stay the parent's): {kid['freed_by_kind']}")
    # the parent exits last: its exit frees the 64 MiB
    check(parent["end_ns"] > max(k["end_ns"] for k in kids), "the parent ends last")
    close(freed(parent, "kernel_exit"), parent["kernel_exit"]["anon"], MiB, "parent's exit")
    check(freed(parent, "kernel_exit") >= 64 * MiB, f"parent: {parent['freed_by_kind']}")
    print(f"     children freed {[freed(k, 'kernel_exit') for k in kids]} of "
          f"{kids[0]['kernel_exit']['anon']}; parent {freed(parent, 'kernel_exit')}")


def test_fork_children_that_write_every_page_free_their_copies():
    parent, kids = cow_ledgers(64)
    for kid in kids:
        check(64 * MiB - MiB <= freed(kid, "kernel_exit") <= kid["kernel_exit"]["anon"],
              f"the child's 64 MiB of copies are its own and freed at its exit: "
              f"{kid['freed_by_kind']['kernel_exit']} of {kid['kernel_exit']}")
    check(freed(parent, "kernel_exit") >= 64 * MiB, f"parent: {parent['freed_by_kind']}")


def resident_pages(path):
    """mincore() of the whole file: how many of its pages are in the page cache."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size, page = os.path.getsize(path), mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        check(addr not in (None, ctypes.c_void_p(-1).value), "mmap for mincore")
        vec = ctypes.create_string_buffer((size + page - 1) // page)
        check(libc.mincore(addr, size, vec) == 0, f"mincore: errno {ctypes.get_errno()}")
        libc.munmap(addr, size)
    finally:
        os.close(fd)
    return sum(b & 1 for b in vec.raw)


def test_a_mapped_file_left_by_os_exit_stays_cached():
    path = "/var/tmp/memreap-cached-%d.dat" % os.getpid()  # not tmpfs: real page cache
    try:
        with open(path, "wb") as f:
            f.write(os.urandom(64 * MiB))
            os.fsync(f.fileno())
        script = ("import mmap, os, sys\n"
                  "f = open(sys.argv[1], 'rb')\n"
                  "m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
                  "s = sum(m[i] for i in range(0, len(m), mmap.PAGESIZE))\n"
                  "os._exit(0)\n")
        doc, p = run_json([PYTHON, "-c", script, path])
        check(p.returncode == 0, p.stderr)
        check_document(doc)
        led = [l for l in doc["ledgers"] if l["comm"] == "python3.11"][0]
        check(led["kernel_exit"]["file"] >= 64 * MiB, f"the file's pages left it at exit: "
              f"{led['kernel_exit']}")
        check(freed(led, "kernel_exit", "file") == 0,
              f"file pages are not freed by an exit: {led['freed_by_kind']['kernel_exit']}")
        # mincore() counts a page only while its folio is uptodate: a folio being migrated
        # (compaction) reads as absent for a moment, so look again before calling it gone.
        for _ in range(20):
            pages = resident_pages(path)
            if pages == 64 * MiB // mmap.PAGESIZE:
                break
            time.sleep(0.01)
        check(pages == 64 * MiB // mmap.PAGESIZE,
              f"mincore: {pages} of the file's {64 * MiB // mmap.PAGESIZE} pages still cached")
        print(f"     kernel_exit.file {led['kernel_exit']['file']}, freed 0; "
              f"mincore after the exit: {pages} pages cached")
    finally:
        os.unlink(path)


def test_shared_memory_is_freed_only_when_its_file_lets_go():
    doc, p = run_json([wl("shmfree")])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    led = [l for l in doc["ledgers"] if l["comm"] == "shmfree"][0]
    close(led["self_released"]["shmem"], 48 * MiB, MiB, "both memfds left it")
    # 32 MiB unmapped while its memfd stays open: not freed; 16 MiB truncated: freed
    close(freed(led, "self_released", "shmem"), 16 * MiB, MiB,
          "only the truncated memfd's pages are freed")


def test_pages_a_later_call_frees_are_not_the_release_s():
    path = "/var/tmp/memreap-unmaptrunc-%d.dat" % os.getpid()  # not tmpfs: real page cache
    try:
        doc, p = run_json([wl("unmaptrunc"), path, "16"])
        check(p.returncode == 0, p.stderr)
        check_document(doc)
        led = [l for l in doc["ledgers"] if l["comm"] == "unmaptrunc"][0]
        close(led["self_released_by_call"]["munmap"], 16 * MiB, MiB, "the munmap released the file")
        # The truncate freed them, in the same process, but in a call of its own.
        check(freed(led, "self_released", "file") == 0,
              f"the truncate's frees are not the munmap's: {led['freed_by_kind']['self_released']}")
        check(os.path.getsize(path) == 0, "the workload truncated its file")
        print(f"     munmap released {led['self_released']['file']} B of file pages, freed "
              f"{freed(led, 'self_released', 'file')} B (the truncate freed them after)")
    finally:
        os.unlink(path)


def test_memory_cgroup_charge_confirms_what_a_child_freed():
    cg = memory_cgroup(name="memreap-cow")
    if not cg:
        return "skip: no memory cgroup controller (v1 or v2) available"
    path = tmp("cow-memcg.json")
    try:
        p = subprocess.Popen([MEMREAP, "run", "-q", "--json", path, "--", wl("cow"), "64", "1",
                              "32", os.path.join(cg, "cgroup.procs")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = p.stdout.readline()
        check(ready.startswith("ready"), f"child ready: {ready!r}")
        charged = memcg_anon(cg)  # the child's 32 MiB of copies, and what else it wrote
        p.communicate("go\n", timeout=60)
        check(p.returncode == 0, f"rc {p.returncode}")
        left = memcg_anon(cg)
        with open(path) as f:
            doc = json.load(f)
    finally:
        os.rmdir(cg)
    check_document(doc)
    child = [l for l in doc["ledgers"] if l["pid"] == int(ready.split()[1])][0]
    # Before 5.13 memory.stat leaves out what each CPU holds back until it passes
    # MEMCG_CHARGE_BATCH (32 pages): 5.10 read 8 pages short. Since, reading it flushes them
    # (mem_cgroup_css_rstat_flush).
    held = 0 if KernelBTF().has(FUNC, "mem_cgroup_css_rstat_flush") else \
        32 * mmap.PAGESIZE * os.cpu_count()
    check(charged >= 32 * MiB - held, f"the cgroup was charged the copies: {charged}")
    close(freed(child, "kernel_exit"), charged - left, MiB,
          "freed at the child's exit vs the drop of its memory cgroup's anon charge")
    check(child["kernel_exit"]["anon"] >= 64 * MiB, f"while 64 MiB left it: {child['kernel_exit']}")
    print(f"     memcg anon {charged} -> {left}; freed at exit {freed(child, 'kernel_exit')} of "
          f"{child['kernel_exit']['anon']} unmapped")


def window_slots():
    with open(os.path.join(ROOT, "bpf", "window_store.bpf.h")) as f:
        return int(re.search(r"#define MR_WINDOW_SLOTS (\d+)", f.read()).group(1))


def test_a_thread_whose_window_slot_is_taken_still_has_its_frees_matched():
    """Two hogs whose pids share a release-window slot, each releasing while the other lives: the
    second's window goes to task storage, and both ledgers free what they unmapped."""
    slots = window_slots()
    doc, p = run_json([PYTHON, os.path.join(SCRIPTS, "pidpair.py"), wl("hog"), str(slots), "32",
                       "16"])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    check(doc["health"]["unfollowed_releases"] == 0, f"health: {doc['health']}")
    pids = [int(w) for w in p.stdout.split()[1:]] if p.stdout.startswith("pids") else []
    check(len(pids) == 2 and pids[1] - pids[0] == slots, f"the pair: {p.stdout!r}")
    hogs = {l["pid"]: l for l in doc["ledgers"] if l["comm"] == "hog" and l["end"] == "exit"}
    check(sorted(hogs) == pids, f"hog ledgers {sorted(hogs)}, pids {pids}")
    for pid in pids:
        led = hogs[pid]
        # and the loader's few pages of its own start-up
        check(16 * MiB <= led["self_released_by_call"]["munmap"] <= 17 * MiB,
              f"{pid} unmapped 16 MiB: {led['self_released_by_call']}")
        close(freed(led, "self_released"), led["self_released"]["anon"], MiB,
              f"{pid}'s munmap freed")
        close(freed(led, "kernel_exit"), led["kernel_exit"]["anon"], MiB, f"{pid}'s exit freed")


def test_exec_frees_the_old_image():
    doc, p = run_json([wl("execer"), "true"])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    old = [l for l in doc["ledgers"] if l["end"] == "exec" and l["comm"] == "execer"][0]
    check(freed(old, "kernel_exec") >= 32 * MiB - MiB,
          f"exec freed the old image's 32 MiB: {old['freed_by_kind']['kernel_exec']}")
    close(freed(old, "kernel_exec"), old["kernel_exec"]["anon"], MiB, "kernel_exec freed")


def test_the_text_report_tells_freed_from_still_held():
    text = subprocess.run([MEMREAP, "run", "--", wl("cow"), "64", "1", "0"], capture_output=True,
                          text=True).stderr
    header = [l for l in text.splitlines() if l.startswith("PID")][0]
    check("FREED" in header.split() and "STILL-HELD" in header.split(), header)
    check("= sum of 2 ledgers under" in text, f"the subtree row says it is a sum: {text}")
    check("Sums add resident sets" in text, "the legend says what a sum adds")
    verdict = text[text.index("  root:"):]
    check("freed (back to the page allocator)" in verdict and "still in memory elsewhere" in
          verdict, verdict)
