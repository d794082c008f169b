"""What people read: the tree with exec chains as rows, uncut columns, the tree's verdict,
--top and --min-peak in every format, per-command help, the man page and the completion."""
import json
import os
import re
import shutil
import subprocess

from mrtest import MEMREAP, MiB, ROOT, check, memreap, tmp, wl

HOG = wl("hog")


def run_text_and_json(cmd, *extra):
    path = tmp("out.json")
    p = memreap("run", "--json", path, *extra, "--", *cmd)
    with open(path) as f:
        return p, json.load(f)


def table(text):
    """The tree table's lines: from the PID header to the legend."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("PID "))
    end = next(i for i, l in enumerate(lines) if i > start and not re.match(r"^[ `0-9=(]", l))
    return lines[start:end]


def rows(doc):
    """The tree's rows from the JSON: ledgers that no exec replaced into, with their chains."""
    by_id = {l["id"]: l for l in doc["ledgers"]}
    nxt = {l["parent_id"]: l for l in doc["ledgers"]
           if l["parent_id"] in by_id and by_id[l["parent_id"]]["end"] == "exec"
           and by_id[l["parent_id"]]["pid"] == l["pid"]}
    heads = [l for l in doc["ledgers"] if l not in nxt.values()]
    chains = []
    for h in heads:
        chain = [h]
        while chain[-1]["id"] in nxt:
            chain.append(nxt[chain[-1]["id"]])
        chains.append(chain)
    return chains


def test_an_exec_chain_is_one_row():
    p, doc = run_text_and_json(["sh", "-c", "exec env sleep 0"])
    check(p.returncode == 0, p.stderr)
    check([l["comm"] for l in sorted(doc["ledgers"], key=lambda l: l["start_ns"])] ==
          ["sh", "env", "sleep"], "JSON keeps one ledger per image")
    t = table(p.stderr)
    check(len(t) == 2, f"a header and one row: {t}")
    check(t[1].split()[1:6] == ["sh", "->", "env", "->", "sleep"], t[1])
    check("verdict: sleep (pid" in p.stderr, "a one-row tree's verdict is its process's")


def test_exit_codes_and_signals_are_never_cut():
    for script, end in (("exit 42", "exit 42"), ("exit 137", "exit 137"), ("kill -9 $$", "sig 9")):
        p = memreap("run", "--", "sh", "-c", script)
        row = table(p.stderr)[1]
        check(f" {end} " in row, f"{script}: {row}")


DEEP = """
import os, sys
def down(n):
    if n == 0:
        return
    pid = os.fork()
    if pid == 0:
        down(n - 1)
        os._exit(0)
    os.waitpid(pid, 0)
down(int(sys.argv[1]))
"""


def test_a_deep_tree_indents_boundedly_and_stays_aligned():
    p, doc = run_text_and_json(["/usr/bin/python3.11", "-c", DEEP, "12"])
    check(p.returncode == 0, p.stderr)
    t = table(p.stderr)
    procs = [l for l in t[1:] if not l.lstrip().startswith("=")]
    check(len(procs) == 13, f"the root and 12 descendants: {t}")
    width = t[0].index("SELF%") + len("SELF%")
    check(all(len(l) >= width and l[width - 1] != " " and l[width:width + 1] in ("", " ")
              for l in t), "the numbers' columns align on every line")
    check(t[0].endswith(" COMMAND") and all(" /usr/bin/python3.11 -c " in l for l in procs),
          "13 rows named python3.11 show their command lines")
    pids = sorted(l["pid"] for l in doc["ledgers"])
    for depth, line in enumerate(procs):
        check(line.split()[1] == "python3.11" and " exit 0 " in line, line)
        check(line.lstrip().split("`-")[-1].split()[0] in map(str, pids), line)
        if depth > 8:
            check(line.startswith(" " * 13 + f"{depth}`-"), f"depth {depth}: {line!r}")
        elif depth:
            check(line.startswith(" " * (2 * depth - 2) + "`-"), f"depth {depth}: {line!r}")
    check(max(len(l) - len(l.lstrip()) for l in t) <= 16, "the indent is bounded")


def test_the_verdict_covers_the_tree():
    p, doc = run_text_and_json(["sh", "-c", f"{HOG} 40 0 </dev/null >/dev/null; true"])
    check(p.returncode == 0, p.stderr)
    hog = max(doc["ledgers"], key=lambda l: l["peak_rss_bytes"])
    check(hog["comm"] == "hog" and hog["peak_rss_bytes"] >= 40 * MiB, "the hog is the largest")
    verdict = p.stderr[p.stderr.index("verdict on the tree of sh"):]
    largest = verdict.split("largest peaks: ")[1]
    chain = next(c for c in rows(doc) if c[-1] is hog)
    label = " -> ".join(l["comm"] for l in chain)
    check(largest.startswith(f"{label} (pid {hog['pid']}) "), largest)
    check(f"the whole tree, {len(doc['ledgers'])} ledgers (sums of resident sets)" in verdict,
          verdict)
    check("\n  root: sh (pid " in verdict, verdict)


def test_top_and_min_peak_select_rows_in_every_format():
    rec = tmp("sel.rec")
    cmd = f"{HOG} 40 0 </dev/null >/dev/null; sh -c true; sh -c true"
    p = memreap("run", "--top", "1", "-o", rec, "--", "sh", "-c", cmd)
    check(p.returncode == 0, p.stderr)
    doc = json.loads(memreap("report", rec, "--format", "json").stdout)
    chains = rows(doc)
    t = table(p.stderr)
    shown = [l for l in t[1:] if not l.lstrip().startswith(("=", "("))]
    check(len(shown) == 2 and re.match(r"`-\d+ +(sh -> )?hog ", shown[1]),
          f"the hog and its parent: {t}")
    check(f"({len(chains) - 2} more rows not shown: --top 1; the sums include them)" in p.stderr,
          p.stderr)

    one = json.loads(memreap("report", rec, "--format", "json", "--top", "1").stdout)
    check([l["comm"] for l in one["ledgers"]] == ["hog"], one["ledgers"])
    check(one["selection"] == {"top": 1, "min_peak": 0, "shown": 1, "of": len(doc["ledgers"])},
          one["selection"])
    check(one["totals"] == doc["totals"], "totals cover every ledger")
    big = json.loads(memreap("report", rec, "--format", "json", "--min-peak", "30M").stdout)
    check([l["comm"] for l in big["ledgers"]] == ["hog"], "--min-peak 30M keeps the hog")
    csv = memreap("report", rec, "--format", "csv", "--top", "2").stdout.splitlines()
    check(len(csv) == 3, f"a header and 2 rows: {csv}")
    text = memreap("report", rec, "--min-peak", "30M").stdout
    check(f"({len(doc['ledgers']) - 1} more rows not shown: --min-peak 30.0 MiB" in text, text)


def test_grouped_and_tree_json():
    rec = tmp("grp.rec")
    memreap("run", "-q", "-o", rec, "--", "sh", "-c", "sh -c true; sh -c true; true")
    doc = json.loads(memreap("report", rec, "--format", "json").stdout)
    g = json.loads(memreap("report", rec, "--format", "json", "--by", "comm").stdout)
    check(g["grouped_by"] == "comm" and "ledgers" not in g, list(g))
    check({x["key"]: x["ledgers"] for x in g["groups"]} ==
          {"sh": sum(1 for l in doc["ledgers"] if l["comm"] == "sh")}, g["groups"])
    t = json.loads(memreap("report", rec, "--format", "json", "--by", "tree").stdout)
    first = min(doc["ledgers"], key=lambda l: l["start_ns"])
    check(t["ledgers"][0]["id"] == first["id"], "tree order starts at the root")
    check(sorted(l["id"] for l in t["ledgers"]) == sorted(l["id"] for l in doc["ledgers"]),
          "the same ledgers")


def test_long_group_keys_are_whole():
    d = tmp("a-directory-with-a-rather-long-name-to-hold/the-binary")
    os.makedirs(d, exist_ok=True)
    exe = os.path.join(d, "hog")
    shutil.copy(HOG, exe)
    rec = tmp("exe.rec")
    memreap("run", "-q", "-o", rec, "--", exe, "4", "0", input="")
    text = memreap("report", rec, "--by", "exe").stdout
    check(any(l.startswith(exe + " ") for l in text.splitlines()), f"{exe} whole: {text}")


def test_one_ledger_is_singular():
    rec = tmp("one.rec")
    p = memreap("record", "-o", rec, "--comm", "hog", "--", wl("hog"), "1", "0", input="")
    check("recorded 1 ledger to " in p.stderr, p.stderr)
    check(memreap("report", rec).stdout.splitlines()[0].endswith(": 1 ledger"), "title")


def test_json_on_stdout_stays_a_document():
    p = memreap("run", "--json", "-", "--", "sh", "-c", "echo from-the-command")
    doc = json.loads(p.stdout)
    check(doc["schema"] == "memreap/v1", "stdout is the document alone")
    check("from-the-command" in p.stderr, "CMD's stdout went to stderr")


def test_errors_name_the_problem():
    p = memreap("record", "-o", tmp("x.rec"), "--pid", "999999")
    check(p.returncode == 1 and p.stderr == "memreap: --pid 999999: no such process\n", p.stderr)
    p = memreap("record", "-o")
    check(p.returncode == 2 and p.stderr.startswith("memreap: -o needs a value\n"), p.stderr)
    p = memreap("report", "x", "--format")
    check(p.returncode == 2 and p.stderr.startswith("memreap: --format needs a value\n"),
          p.stderr)
    p = memreap("run", "--min-peak", "lots", "--", "true")
    check(p.returncode == 2 and "--min-peak needs a size" in p.stderr, p.stderr)


def test_every_command_has_its_own_help():
    listing = memreap("help").stdout
    names = re.findall(r"^  (\w+) ", listing, re.M)
    check(names == ["run", "record", "report", "top", "exporter", "doctor", "version", "help"],
          names)
    for name in names:
        own = memreap(name, "--help")
        check(own.returncode == 0, f"{name} --help: {own.stderr}")
        check(own.stdout == memreap("help", name).stdout, f"help {name} is {name} --help")
        check(own.stdout.startswith(f"usage: memreap {name} ") and "example:\n" in own.stdout,
              own.stdout)
        check(max(len(l) for l in own.stdout.splitlines()) <= 100, f"{name}: 100 columns")
    report = memreap("report", "--help").stdout
    for field in ("peak", "kernel_exit", "freed", "start", "name"):
        check(f" {field}" in report.split("--sort")[1], f"--sort lists {field}")
    check("--min-peak SIZE" in memreap("run", "--help").stdout, "run --help")
    top = memreap("top", "--help").stdout
    check("\nkeys (full screen):\n  q " in top and "  /    " in top,
          f"top --help has the keys: {top}")


def test_man_page_and_completion_hold_every_option():
    man = os.path.join(ROOT, "build", "memreap.1")
    page = subprocess.run(["man", "-l", man], capture_output=True, text=True,
                          env=dict(os.environ, MANWIDTH="100"))
    check(page.returncode == 0 and "memreap report [OPTIONS] FILE" in page.stdout, page.stderr)
    for name in ("run", "record", "report", "top", "exporter"):
        opts = re.findall(r"--([a-z-]+)", memreap(name, "--help").stdout.split("options:")[1])
        for o in opts:
            check(f"--{o}" in page.stdout, f"the man page has {name} --{o}")
    comp = os.path.join(ROOT, "build", "memreap.bash")
    script = f"""source {comp}
COMP_WORDS=(memreap report x --format ''); COMP_CWORD=4; _memreap; echo "${{COMPREPLY[*]}}"
COMP_WORDS=(memreap run --mi); COMP_CWORD=2; _memreap; echo "${{COMPREPLY[*]}}"
COMP_WORDS=(memreap re); COMP_CWORD=1; _memreap; echo "${{COMPREPLY[*]}}"
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout
    check(out.splitlines() == ["text json csv trace html", "--min-peak", "record report"], out)
    zsh = os.path.join(ROOT, "build", "memreap.zsh")
    p = subprocess.run(["zsh", "-n", zsh], capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr, f"zsh -n: {p.stderr}")
    text = open(zsh).read()
    check("'--min-peak[" in text and ":FORMAT:(text json csv trace html)'" in text,
          "zsh has the options")


def report_peak(rec, fmt):
    """report's output in format fmt, and its peak RSS in bytes: wait4's ru_maxrss through the
    truth tool, whose small process forks it (forked from this Python, a process's maxrss starts
    at Python's own: exec keeps the largest of the mm it leaves)."""
    tpath = tmp(f"peak-{fmt}.json")
    p = subprocess.run([wl("truth"), tpath, MEMREAP, "report", rec, "--format", fmt],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0, f"report --format {fmt}: {p.returncode} {p.stderr[-300:]!r}")
    with open(tpath) as f:
        return p.stdout, json.load(f)["ru_maxrss_bytes"]


def test_json_report_of_many_ledgers_is_written_one_ledger_at_a_time():
    """A json-c tree of every ledger took about 48 KiB a ledger (465 MiB for 10k; a 740k-ledger
    recording ran out of memory): report writes them one at a time (the unit tests check the
    bytes are the tree's), and needs no more memory than the CSV report of the same file."""
    rec = tmp("many.rec")
    p = memreap("record", "-o", rec, "--comm", "storm", "--", wl("storm"), "10000", "8")
    check(p.returncode == 0, p.stderr)
    out, json_peak = report_peak(rec, "json")
    doc = json.loads(out)
    check(len(doc["ledgers"]) == 10001, f"{len(doc['ledgers'])} ledgers")
    _, csv_peak = report_peak(rec, "csv")
    check(json_peak < csv_peak + 16 * MiB,
          f"report's peak RSS: {json_peak >> 20} MiB for JSON, {csv_peak >> 20} MiB for CSV")
    grouped = json.loads(memreap("report", rec, "--format", "json", "--top", "5").stdout)
    check(grouped["selection"] == {"top": 5, "min_peak": 0, "shown": 5, "of": 10001} and
          len(grouped["ledgers"]) == 5, f"--top 5: {grouped['selection']}")
