"""memreap doctor: the kernel's offer, the paths taken on it, a self-test; failures named."""
import difflib
import os
import re
import subprocess

from mrtest import MEMREAP, check, memreap, tmp

HOOKS = ("rss_stat", "sched_process_fork", "sched_process_exec", "sched_process_exit",
         "exit_mmap", "mm_page_free")
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
    p = memreap("doctor")
    check(p.returncode == 0, f"rc {p.returncode}: {p.stdout}{p.stderr}")
    found = lines(p.stdout)
    for hook in HOOKS:
        check(found.get(hook, ("",))[0] == "ok", f"hook {hook}: {found.get(hook)}")
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
    check(p.stdout.rstrip().endswith("verdict: memreap works on this kernel"), "verdict")


def test_doctor_names_what_is_missing():
    env = dict(os.environ, MEMREAP_TRACEPOINT_exit_mmap="exit_mmap_not_in_this_kernel")
    p = memreap("doctor", env=env)
    check(p.returncode == 1, f"rc {p.returncode}")
    found = lines(p.stdout)
    check(found["load and attach"][0] == "FAIL" and
          "exit_mmap_not_in_this_kernel" in found["load and attach"][1],
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
    is not checked, never a FAIL; the verdict asks for root, exit status 1."""
    root = memreap("doctor")
    check(root.returncode == 0, f"root: rc {root.returncode}: {root.stdout}")
    as_root = {line[:20].rstrip(): line for line in root.stdout.splitlines()}
    for caps, missing in (("-all", "CAP_BPF and CAP_PERFMON"), ("+bpf", "CAP_PERFMON")):
        p = doctor_as_nobody(caps)
        want = [
            "privileges           --   missing privileges: loading and attaching memreap's BPF "
            "programs needs CAP_BPF and CAP_PERFMON (interpreter shutdown uprobes: "
            f"CAP_SYS_ADMIN), or root; missing {missing}",
            *(as_root[what] for what in ("kernel", "BTF", *HOOKS, "mark_victim",
                                         "rss counters")),
            *(f"{what:<20} --   {NOT_CHECKED}" for what in ("ring buffer", "bpf_loop",
                                                            "task storage")),
            as_root["not used"],
            *(f"{what:<20} --   {NOT_CHECKED}" for what in ("load and attach", "self-test",
                                                            "counter path", "exit order",
                                                            "uprobes")),
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
