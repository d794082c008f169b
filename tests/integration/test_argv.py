"""Command lines per ledger: each image's own argv as of its exec, a fork's inherited one,
bounded exactly as the README says, and the same through a recording."""
import json
import os

from mrtest import check, check_document, memreap, run_json, tmp

MAX_ARGS = 16
MAX_BYTES = 512  # each argument counted with its terminating NUL


def argvs(doc):
    """(comm, end, argv, argv_truncated) of every ledger, sorted."""
    return sorted(((l["comm"], l["end"], l["argv"], l["argv_truncated"]) for l in doc["ledgers"]),
                  key=json.dumps)


def proc_cmdline(text):
    """The arguments cat printed from /proc/PID/cmdline: the kernel's own command line."""
    check(text.endswith("\0"), f"not a /proc cmdline: {text!r}")
    return text[:-1].split("\0")


def test_each_image_has_its_own_argv():
    # The shell forks a subshell that never execs, then execs cat, which prints its own command
    # line as the kernel keeps it.
    script = "(:); exec /bin/cat /proc/self/cmdline"
    doc, p = run_json(["sh", "-c", script])
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    cat = proc_cmdline(p.stdout)
    check(cat == ["/bin/cat", "/proc/self/cmdline"], f"cat's own command line: {cat}")
    sh = ["sh", "-c", script]
    expected = sorted([("cat", "exit", cat, False), ("sh", "exec", sh, False),
                       ("sh", "exit", sh, False)], key=json.dumps)  # the subshell: inherited
    check(argvs(doc) == expected, f"argv per ledger: {argvs(doc)}")


def test_more_than_sixteen_arguments():
    # The shell's own command line, printed by a forked cat from /proc: the truth to bound.
    script = "cat /proc/$$/cmdline; true"
    extra = [f"arg{i:02d}" for i in range(40)]
    doc, p = run_json(["sh", "-c", script, "sh", *extra])
    check_document(doc)
    truth = proc_cmdline(p.stdout)
    check(truth == ["sh", "-c", script, "sh", *extra], f"the shell's command line: {truth}")
    bounded = truth[:MAX_ARGS]
    # dash starts cat by vfork (no ledger until its exec); busybox's ash forks, and its copy
    # that exec'd cat has the shell's argv too. Either way one shell ended by its exit.
    sh = [l for l in doc["ledgers"] if l["comm"] == "sh" and l["end"] == "exit"]
    check(len(sh) == 1 and sh[0]["argv"] == bounded and sh[0]["argv_truncated"],
          f"the shell: {argvs(doc)}")
    copies = [l for l in doc["ledgers"] if l["comm"] == "sh" and l["end"] == "exec"]
    check(all(c["argv"] == bounded and c["argv_truncated"] for c in copies),
          f"a forked copy inherits the shell's argv: {argvs(doc)}")
    cat = [l for l in doc["ledgers"] if l["comm"] == "cat"]
    check(len(cat) == 1 and cat[0]["argv"] == ["cat", f"/proc/{sh[0]['pid']}/cmdline"]
          and not cat[0]["argv_truncated"], f"cat: {argvs(doc)}")


def test_exactly_sixteen_arguments_are_whole():
    for count, truncated in ((MAX_ARGS, False), (MAX_ARGS + 1, True)):
        cmd = ["/bin/true", *[f"a{i}" for i in range(1, count)]]
        doc, p = run_json(cmd)
        check(p.returncode == 0, p.stderr)
        led = [l for l in doc["ledgers"] if l["comm"] == "true"]
        check(len(led) == 1, f"one ledger for true: {argvs(doc)}")
        check(led[0]["argv"] == cmd[:MAX_ARGS] and led[0]["argv_truncated"] == truncated,
              f"{count} arguments: {led[0]['argv']} truncated={led[0]['argv_truncated']}")


def test_long_argument_is_cut_at_512_bytes():
    # "/bin/true\0" takes 10 bytes: an argument of 501 bytes and its NUL fill the 512 exactly.
    for length, truncated in ((501, False), (502, True), (5000, True)):
        doc, p = run_json(["/bin/true", "x" * length])
        check(p.returncode == 0, p.stderr)
        led = [l for l in doc["ledgers"] if l["comm"] == "true"]
        check(len(led) == 1, f"one ledger for true: {argvs(doc)}")
        argv = led[0]["argv"]
        check(argv == ["/bin/true", "x" * min(length, 501)],
              f"argument of {length}: kept {len(argv[1]) if len(argv) > 1 else None} bytes")
        check(led[0]["argv_truncated"] == truncated, f"argument of {length}: truncated flag")
        check(sum(len(a) + 1 for a in argv) <= MAX_BYTES, "512 bytes at most, NULs included")


def test_control_characters_and_bad_utf8():
    # JSON escapes control characters; bytes that are not UTF-8 become '?'.
    doc, p = run_json(["/bin/true", "a\nb", "\x1b[31m", "caf\u00e9", "\udcff\udcfe"])
    check(p.returncode == 0, p.stderr)
    led = [l for l in doc["ledgers"] if l["comm"] == "true"]
    check(len(led) == 1 and led[0]["argv"] == ["/bin/true", "a\nb", "\x1b[31m", "caf\u00e9", "??"],
          f"argv: {led[0]['argv'] if led else None}")


def test_recording_keeps_argv():
    rec = tmp("argv.rec")
    if os.path.exists(rec):
        os.unlink(rec)
    script = '(:); exec /bin/true "$@"'
    extra = [f"a{i:02d}" for i in range(1, 17)]
    doc, p = run_json(["sh", "-c", script, "sh", *extra], extra=("-o", rec))
    check(p.returncode == 0, p.stderr)
    sh = ["sh", "-c", script, "sh", *extra][:MAX_ARGS]
    true = ["/bin/true", *extra][:MAX_ARGS]
    expected = sorted([("sh", "exec", sh, True), ("sh", "exit", sh, True),
                       ("true", "exit", true, True)], key=json.dumps)
    check(argvs(doc) == expected, f"run --json: {argvs(doc)}")
    r = memreap("report", rec, "--format", "json")
    check(r.returncode == 0 and not r.stderr, r.stderr)
    recorded = json.loads(r.stdout)
    check(argvs(recorded) == expected, f"report --format json: {argvs(recorded)}")
    by_id = {l["id"]: l["argv"] for l in doc["ledgers"]}
    check(all(by_id[l["id"]] == l["argv"] for l in recorded["ledgers"]), "the same ledgers' argv")


def test_no_argv_leaves_every_argv_null():
    path = tmp("no-argv.json")
    p = memreap("run", "-q", "--no-argv", "--json", path, "--", "sh", "-c", "(:); exec /bin/true a")
    if p.returncode == 2 and "no-argv" in p.stderr:
        return "skip: this build has no --no-argv flag yet (collector_opts.no_argv is there)"
    check(p.returncode == 0, p.stderr)
    doc = json.load(open(path))
    check(len(doc["ledgers"]) == 3, f"three ledgers: {argvs(doc)}")
    check(all(l["argv"] is None and l["argv_truncated"] is False for l in doc["ledgers"]),
          f"every argv null: {argvs(doc)}")
