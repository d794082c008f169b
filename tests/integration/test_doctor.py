"""memreap doctor: the kernel's offer, the paths taken on it, a self-test; failures named."""
import difflib
import json
import os
import platform
import re
import subprocess

from kernel_btf import FUNC, STRUCT, KernelBTF
from mrtest import MEMREAP, check, doctor, memreap, tmp

# Each hook and the first kernel that has it.
HOOKS = {"rss_stat": "5.5", "sched_process_fork": "2.6.28", "sched_process_exec": "3.4",
         "sched_process_exit": "2.6.28", "exit_mmap": "6.1", "mm_page_free": "3.3"}
# Each BPF feature: doctor's name, the kernel's, since when, what memreap uses it for, and what
# `bpftool feature probe kernel` calls it (a raw tracepoint helper, or a map type).
FEATURES = (
    ("ring buffer", "BPF_MAP_TYPE_RINGBUF", "5.8", "for ended ledgers and rare events",
     "have_ringbuf_map_type"),
    ("task BTF", "bpf_get_current_task_btf()", "5.11",
     "the current task, read by plain loads in every hook", "bpf_get_current_task_btf"),
    ("task storage", "BPF_MAP_TYPE_TASK_STORAGE", "5.11",
     "for the release windows that measure freed memory", "have_task_storage_map_type"),
    ("task pt_regs", "bpf_task_pt_regs()", "5.15",
     "the syscall in progress, that names who released memory", "bpf_task_pt_regs"),
    ("bpf_loop", "bpf_loop()", "5.17", "walks the existing processes at start-up", "bpf_loop"),
)
NO_FALLBACK = "not supported yet, memreap cannot run without it"
# What the legacy object (-DMR_LEGACY, x86_64, kernels with atomic RSS counters: Linux 5.10) does
# without each hook or feature it has a fallback for.
FALLBACKS = {
    "exit_mmap": "an exit's teardown ends at sched_process_exit, an exec's once the task moves "
                 "on, another at its last RSS change (end_inexact)",
    "task BTF": "bpf_get_current_task() and BPF_CORE_READ() for every task field",
    "task storage": "a preallocated hash of release windows keyed by thread id, deleted at the "
                    "thread's sched_process_exit",
    "task pt_regs": "x86_64's task_pt_regs(): task->stack + THREAD_SIZE (16 KiB, 32 KiB with "
                    "KASAN) - sizeof(struct pt_regs), read with bpf_probe_read_kernel()",
    "bpf_loop": "the task iterator (iter/task, 5.8): one program run per task",
}
LEGACY_BUILT = platform.machine() == "x86_64"
OBJECT_MODERN = "memreap.bpf.o: every feature above present"
OBJECT_LEGACY = ("memreap_legacy.bpf.o (-DMR_LEGACY): the fallbacks named above, for kernels that "
                 "lack what they replace")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
NOT_CHECKED = "not checked (needs root or CAP_BPF + CAP_PERFMON)"


def lines(out):
    """{what: (status, result)} from doctor's 'what  ok|FAIL  result' lines."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"(\S.{0,19}?) +(ok|FAIL) +(.*)$", line)
        if m:
            found[m.group(1)] = (m.group(2), m.group(3))
    return found


def test_doctor_reports_the_paths_this_kernel_gets():
    p = doctor()
    check(p.returncode == 0, f"rc {p.returncode}: {p.stdout}{p.stderr}")
    found = lines(p.stdout)
    btf = KernelBTF()
    for hook in HOOKS:
        check(found.get(hook, ("",))[0] == "ok", f"hook {hook}: {found.get(hook)}")
        if btf.tracepoint_nargs(hook) is None:  # the legacy object's fallback
            check(found[hook][1].startswith("raw tracepoint MISSING ") and
                  FALLBACKS[hook] in found[hook][1], f"{hook}: {found[hook]}")
            continue
        check(found[hook][1].startswith("raw tracepoint (struct "), f"{hook} arguments")
    check(found["rss_stat"][1].startswith("raw tracepoint (struct mm_struct *, int"),
          "rss_stat's first arguments are (mm, member)")
    # mark_victim's arguments changed in 6.8 (backported to 6.1.y): both are understood.
    victim = found.get("mark_victim", ("",))
    check(victim[0] == "ok" and re.match(r"raw tracepoint \((struct task_struct \*, uid_t|int)\)",
                                         victim[1]), f"hook mark_victim: {victim}")
    # What BTF says and what CO-RE chose at load time agree.
    atomic = found["rss counters"][1].startswith("atomic")
    chose = found["counter path"][1]
    check(chose == "CO-RE chose the atomic counters" if atomic else
          chose.startswith("CO-RE chose the percpu_counters, booked per CPU ("),
          f"counter path: {chose}")
    m = re.match(r"sched_process_exit (before|after) exit_mm \((\d+) of (\d+) exits",
                 found["exit order"][1])
    check(m and int(m.group(2)) >= 1, f"exit order observed: {found['exit order']}")
    check(found["self-test"][0] == "ok" and "exit code 7" in found["self-test"][1],
          f"self-test: {found['self-test']}")
    check(found["task storage"][0] == "ok", f"task storage: {found['task storage']}")
    # The legacy object exactly where something it has a fallback for is missing.
    fallbacks = [what for what in FALLBACKS if "MISSING" in found[what][1] or
                 found[what][1].startswith("missing: ")]
    check(found["BPF object"] == ("ok", OBJECT_LEGACY if fallbacks else OBJECT_MODERN),
          f"BPF object: {found['BPF object']} (fallbacks: {fallbacks})")
    ender = "the teardown's end ends it (exit_mmap's fallback)" if fallbacks else "exit_mmap ends it"
    check(found["exit order"][1].endswith(ender), f"exit order: {found['exit order']}")
    check(p.stdout.rstrip().endswith("verdict: memreap works on this kernel"), "verdict")


def bpftool_probe():
    """bpftool's own probe of this kernel: {helper or map type name: present}."""
    bpftool = next(p for p in ("/usr/sbin/bpftool", "/usr/bin/bpftool") if os.path.exists(p))
    p = subprocess.run([bpftool, "feature", "probe", "kernel", "-j"], capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0, f"bpftool feature probe: {p.stderr}")
    probe = json.loads(p.stdout)
    found = dict(probe["map_types"])
    found.update((h, True) for h in probe["helpers"]["raw_tracepoint_available_helpers"])
    return found


def fallback_of(what):
    """What doctor says memreap does without a hook or feature here: its fallback, or none."""
    if what in FALLBACKS and LEGACY_BUILT:
        return "fallback (legacy object): " + FALLBACKS[what]
    return NO_FALLBACK


def test_doctor_names_what_this_kernel_lacks():
    """Every hook and feature doctor names is checked against the tests' own reading of this
    kernel's BTF and bpftool's probe of it: present ones are ok, a missing one the legacy object
    has a fallback for is ok and names it (5.10), any other is a FAIL line saying there is none,
    and then `run` and `record` refuse in one line naming those."""
    btf, probe = KernelBTF(), bpftool_probe()
    atomic = btf.has(STRUCT, "mm_rss_stat")
    p = doctor()
    found, missing, hard = lines(p.stdout), [], []
    for hook, since in HOOKS.items():
        nargs = btf.tracepoint_nargs(hook)
        status, result = found[hook]
        if nargs is None:
            fallback = fallback_of(hook)
            missing.append(f"the raw tracepoint {hook} ({since}+)")
            if fallback == NO_FALLBACK:
                hard.append(missing[-1])
            check(status == ("FAIL" if fallback == NO_FALLBACK else "ok") and result.startswith(
                f"raw tracepoint MISSING (in Linux since {since}): {fallback}; memreap reads ("),
                f"{hook}: {status} {result}")
            continue
        check(status == "ok" and result.startswith("raw tracepoint (") and
              len(result[:result.index(")")].split(",")) == nargs, f"{hook}: {status} {result}")
    three = btf.tracepoint_nargs("rss_stat") == 3  # (mm, member, count) before 6.2
    check(found["rss_stat"][1].endswith("; its third, count (before 6.2: (mm, member, count)), "
                                        "is not read: the ledger reads the mm's counter itself")
          == three, f"rss_stat: {found['rss_stat']}")
    atomic = btf.has(STRUCT, "mm_rss_stat")
    split = "rss_stat" in btf.members("task_struct")
    counters = found["rss counters"][1]
    check(counters.startswith("atomic per member (struct mm_rss_stat, before 6.2)") == atomic and
          ("(SPLIT_RSS_COUNTING)" in counters) == split, f"rss counters: {counters}")
    for name, ident, since, what, bpftool_name in FEATURES:
        fallback = fallback_of(name)
        status = "FAIL" if fallback == NO_FALLBACK else "ok  "
        want = (f"{name:<20} ok   present: {ident}, {what} ({since}+)"
                if probe.get(bpftool_name) else
                f"{name:<20} {status} missing: {ident} (Linux {since}+), {what}; {fallback}")
        check(want in p.stdout.splitlines(), f"want {want!r} in:\n{p.stdout}")
        if not probe.get(bpftool_name):
            missing.append(f"{ident} ({since}+)")
            if fallback == NO_FALLBACK:
                hard.append(missing[-1])
    # Not needed, only faster: where the kernel has the kfunc, raw tracepoints may call it (so
    # far); without it the same words are copied by bpf_probe_read_kernel().
    direct = found["direct loads"]
    check(direct[0] == "ok" and direct[1].startswith("present: bpf_rdonly_cast(): ") ==
          btf.has(FUNC, "bpf_rdonly_cast"), f"direct loads: {direct}")
    if not hard and (atomic or not missing):
        check(p.returncode == 0 and memreap("run", "--", "true").returncode == 0, p.stdout)
        check(lines(p.stdout)["BPF object"][1] == (OBJECT_LEGACY if missing else OBJECT_MODERN),
              p.stdout)
        return
    if hard:
        check(p.returncode == 1 and p.stdout.splitlines()[-2:] == [
            "load and attach      FAIL not tried: this kernel lacks what the FAIL lines above "
            "name", "verdict: memreap does NOT work on this kernel"], p.stdout)
    refusal = ("memreap: unsupported kernel: it lacks " +
               ", ".join(hard if atomic and LEGACY_BUILT else missing) +
               "; memreap doctor says what each is for\n")
    out = tmp("refused.mrrec")
    for args in (("run", "--", "true"), ("record", "-o", out, "--duration", "1")):
        r = memreap(*args)
        check(r.returncode == 1 and r.stderr == refusal and r.stdout == "",
              f"{args[0]}: rc {r.returncode}: {r.stderr!r}, want {refusal!r}")


def test_doctor_names_what_is_missing():
    # A hook no fallback replaces (exit_mmap has the legacy object's on 5.10).
    env = dict(os.environ, MEMREAP_TRACEPOINT_mm_page_free="mm_page_free_not_in_this_kernel")
    p = memreap("doctor", env=env)
    check(p.returncode == 1, f"rc {p.returncode}")
    found = lines(p.stdout)
    check(found["load and attach"][0] == "FAIL" and
          "mm_page_free_not_in_this_kernel" in found["load and attach"][1],
          f"names the tracepoint: {found.get('load and attach')}")
    check("does NOT work" in p.stdout, "verdict")
    p = memreap("doctor", env=dict(os.environ, MEMREAP_BTF="/nonexistent/vmlinux"))
    check(p.returncode == 1 and lines(p.stdout)["BTF"][0] == "FAIL", p.stdout)
    check("/nonexistent/vmlinux" in lines(p.stdout)["BTF"][1], "names the file")
    p = memreap("doctor", "--bogus")
    check(p.returncode == 2 and "--bogus" in p.stderr, "bad flag is a usage error")


def doctor_as_nobody(caps, env=None):
    amb = ["--ambient-caps=" + caps] if caps != "-all" else []
    return subprocess.run([*NOBODY, "--inh-caps=" + caps, *amb, MEMREAP, "doctor"],
                          capture_output=True, text=True, timeout=60, env=env)


def test_doctor_without_privileges_checks_what_it_can_and_blames_no_kernel():
    """As nobody: what needs no privileges (the kernel, its BTF, the tracepoints BTF names, the
    counters) is checked and says what root's doctor says, word for word; what needs loading BPF
    is not checked, never a FAIL; the verdict asks for root (or says that what it checked
    already fails on this kernel), exit status 1."""
    root = doctor()
    as_root = {line[:20].rstrip(): line for line in root.stdout.splitlines()}
    checkable = ("kernel", "BTF", *HOOKS, "rss counters", "not used")
    broken = any(as_root[what][21:25] == "FAIL" for what in checkable)
    check((root.returncode == 0) != broken, f"root: rc {root.returncode}: {root.stdout}")
    for caps, missing in (("-all", "CAP_BPF and CAP_PERFMON"), ("+bpf", "CAP_PERFMON")):
        p = doctor_as_nobody(caps)
        want = [
            "privileges           --   missing privileges: loading and attaching memreap's BPF "
            "programs needs CAP_BPF and CAP_PERFMON (interpreter shutdown uprobes: "
            f"CAP_SYS_ADMIN), or root; missing {missing}",
            *(as_root[what] for what in ("kernel", "BTF", *HOOKS, "mark_victim",
                                         "rss counters")),
            *(f"{f[0]:<20} --   {NOT_CHECKED}" for f in (*FEATURES, ("direct loads",))),
            as_root["not used"],
            *(f"{what:<20} --   {NOT_CHECKED}" for what in ("load and attach", "self-test",
                                                            "BPF object", "counter path",
                                                            "exit order", "uprobes")),
            "verdict: memreap does NOT work on this kernel (FAIL above); run memreap doctor as "
            "root (or with CAP_BPF and CAP_PERFMON) for what was not checked" if broken else
            "verdict: run memreap doctor as root (or with CAP_BPF and CAP_PERFMON) to check "
            "this kernel",
        ]
        got = p.stdout.splitlines()
        check(got == want, f"{caps}:\n" + "\n".join(difflib.unified_diff(want, got, "want", "got",
                                                                        lineterm="")))
        check(p.returncode == 1 and p.stderr == "", f"{caps}: rc {p.returncode} {p.stderr}")


def test_doctor_without_privileges_still_fails_what_it_checked():
    """A BTF file that is not there is a FAIL for anyone; one this user may not read is not."""
    unreadable = tmp("root-only-vmlinux")
    with open("/sys/kernel/btf/vmlinux", "rb") as src, open(unreadable, "wb") as dst:
        dst.write(src.read())
    os.chmod(unreadable, 0o600)
    p = doctor_as_nobody("-all", env=dict(os.environ, MEMREAP_BTF=unreadable))
    check(lines(p.stdout).get("BTF") is None and
          f"BTF                  --   {unreadable}: Permission denied (not checked: this user "
          "may not read it)" in p.stdout.splitlines(), p.stdout)
    check(p.returncode == 1 and "FAIL" not in p.stdout and p.stdout.splitlines()[-1] ==
          "verdict: run memreap doctor as root (or with CAP_BPF and CAP_PERFMON) to check this "
          "kernel", p.stdout)
    p = doctor_as_nobody("-all", env=dict(os.environ, MEMREAP_BTF="/nonexistent/vmlinux"))
    check(p.returncode == 1, f"rc {p.returncode}")
    check(lines(p.stdout)["BTF"] == ("FAIL", "/nonexistent/vmlinux: No such file or directory "
                                     "(needs CONFIG_DEBUG_INFO_BTF=y, or MEMREAP_BTF=FILE)"),
          p.stdout)
    check(p.stdout.splitlines()[-1] ==
          "verdict: memreap does NOT work on this kernel (FAIL above); run memreap doctor as root "
          "(or with CAP_BPF and CAP_PERFMON) for what was not checked", p.stdout)


def test_doctor_with_the_legacy_object_where_it_can_load():
    """MEMREAP_BPF_OBJECT=legacy loads the legacy object (5.10's fallbacks) on any x86_64 kernel
    with atomic RSS counters (before 6.2): there its self-test passes too, and doctor names it."""
    if not LEGACY_BUILT or not KernelBTF().has(STRUCT, "mm_rss_stat"):
        return "skip: the legacy object is x86_64's, for atomic RSS counters (before 6.2)"
    p = memreap("doctor", env=dict(os.environ, MEMREAP_BPF_OBJECT="legacy"))
    found = lines(p.stdout)
    check(p.returncode == 0 and found["BPF object"] == ("ok", OBJECT_LEGACY), p.stdout)
    check(found["self-test"][0] == "ok" and found["exit order"][1].endswith(
        "the teardown's end ends it (exit_mmap's fallback)"), p.stdout)
