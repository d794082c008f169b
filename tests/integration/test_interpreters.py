"""Interpreter detection: from the executable's symbols and libraries, never from comm alone."""
import json
import os
import shutil
import subprocess

from mrtest import MEMREAP, PYTHON, check, check_document, memreap, run_json, tmp


def interpreter_of(cmd, comm):
    doc, p = run_json(cmd)
    check(p.returncode == 0, p.stderr)
    check_document(doc)
    led = [l for l in doc["ledgers"] if l["comm"] == comm and l["end"] == "exit"]
    check(led, f"a ledger for {comm}: {[l['comm'] for l in doc['ledgers']]}")
    return led[0]["interpreter"]


def test_debian_python_exports_its_runtime():
    i = interpreter_of([PYTHON, "-c", "pass"], "python3.11")
    check(i is not None and i["name"] == "python", f"{i}")
    v = subprocess.run([PYTHON, "-c", "import platform; print(platform.python_version())"],
                       capture_output=True, text=True).stdout.strip()
    check(i["version"] == v, f"version {i['version']} is not {v}")


def test_renamed_python_is_still_python():
    renamed = tmp("not-a-snake")
    shutil.copy(PYTHON, renamed)
    i = interpreter_of([renamed, "-c", "pass"], "not-a-snake")
    check(i and i["name"] == "python" and i["version"].startswith("3.11."), f"{i}")


def test_python_through_its_shared_library():
    # pyenv's python is a small launcher that needs libpython3.X.so through its RUNPATH
    found = [os.path.join(r, f) for r, _, fs in os.walk("/root/.pyenv/versions")
             for f in fs if f.startswith("python3.") and "config" not in f
             and os.access(os.path.join(r, f), os.X_OK) and r.endswith("/bin")] \
        if os.path.isdir("/root/.pyenv/versions") else []
    if not found:
        return "skip: no pyenv python on this machine"
    exe = sorted(found)[0]
    v = subprocess.run([exe, "-c", "import platform; print(platform.python_version())"],
                       capture_output=True, text=True).stdout.strip()
    i = interpreter_of([exe, "-c", "pass"], os.path.basename(exe)[:15])
    check(i and i["name"] == "python" and i["version"] == v, f"{i} (expected {v})")


def test_perl_and_node():
    i = interpreter_of(["/usr/bin/perl", "-e", "1"], "perl")
    v = subprocess.run(["/usr/bin/perl", "-e", "printf '%vd', $^V"], capture_output=True,
                       text=True).stdout
    check(i == {"name": "perl", "version": v}, f"{i} (expected {v})")
    if not shutil.which("node"):
        return "skip: node not installed"
    i = interpreter_of(["node", "-e", "0"], "node")
    v = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    check(i == {"name": "node", "version": v.lstrip("v")}, f"{i} (expected {v})")


def test_ruby_php_and_lua():
    """Debian's ruby, php-cli and lua5.4 (make deps installs them): name and version against
    each one's own version output."""
    cases = (("ruby", ["/usr/bin/ruby", "-e", "1"], "ruby",
              ["/usr/bin/ruby", "-e", "print RUBY_VERSION"]),
             ("php", ["/usr/bin/php", "-r", "1;"], "php", ["/usr/bin/php", "-r", "echo PHP_VERSION;"]),
             ("lua", ["/usr/bin/lua5.4", "-e", "x = 1"], "lua5.4", ["/usr/bin/lua5.4", "-v"]))
    for name, cmd, comm, ask in cases:
        i = interpreter_of(cmd, comm)
        v = subprocess.run(ask, capture_output=True, text=True).stdout.split()
        v = v[1] if name == "lua" else v[0]  # "Lua 5.4.4  Copyright ..."
        check(i == {"name": name, "version": v}, f"{name}: {i} (expected {v})")


def test_not_an_interpreter_is_null():
    check(interpreter_of(["/bin/sleep", "0"], "sleep") is None, "sleep is no interpreter")


def test_report_by_interpreter():
    out = tmp("interp.rec")
    p = memreap("run", "-q", "-o", out, "--", "sh", "-c",
                f"{PYTHON} -c pass; {PYTHON} -c pass; /usr/bin/perl -e 1")
    check(p.returncode == 0, p.stderr)
    p = memreap("report", out, "--by", "interpreter")
    check(p.returncode == 0, p.stderr)
    lines = {l.split()[0] + " " + l.split()[1]: l.split()[2] for l in p.stdout.splitlines()
             if l.startswith(("python ", "perl "))}
    check(any(k.startswith("python 3.11") and v == "2" for k, v in lines.items()),
          f"two python ledgers: {p.stdout}")
    check(any(k.startswith("perl 5") and v == "1" for k, v in lines.items()), p.stdout)


def test_java_launcher_is_jvm():
    java = shutil.which("java")
    if not java:
        return "skip: java not installed"
    i = interpreter_of([java, "-version"], "java")
    v = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    check(i and i["name"] == "jvm", f"{i}")
    check(i["version"] and f'"{i["version"]}' in v, f"version {i['version']} in: {v.splitlines()[0]}")
