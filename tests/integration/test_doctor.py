"""memreap doctor: the kernel's offer, the paths taken on it, a self-test; failures named."""
import os
import re

from mrtest import check, memreap


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
    for hook in ("rss_stat", "sched_process_fork", "sched_process_exec", "sched_process_exit",
                 "exit_mmap", "mm_page_free"):
        check(found.get(hook, ("",))[0] == "ok", f"hook {hook}: {found.get(hook)}")
        check(found[hook][1].startswith("raw tracepoint (struct "), f"{hook} arguments")
    check(found["rss_stat"][1].startswith("raw tracepoint (struct mm_struct *, int"),
          "rss_stat's first arguments are (mm, member)")
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
