"""The DaemonSet's container, for real: the image `make image` builds (deploy/container/), run by
podman with the securityContext, host mounts, resources and args of
deploy/kubernetes/memreap-exporter.yaml, derived from the manifest itself so that a change to it
is tested. A second container of the same image, under the same securityContext, runs a workload
under `memreap run` and writes its ledger; the exporter's scrape must show that workload with the
second container's id and the ledger's numbers."""
import atexit
import json
import os
import pty
import re
import resource
import select
import shutil
import signal
import subprocess
import time

from mrtest import MiB, ROOT, check, check_document, close, wl
from test_exporter import free_port, get, promtool_ok, samples

MEMREAP_BUILD = os.path.join(ROOT, "build", "memreap")  # the image holds this build, not ASan's
MANIFEST = os.path.join(ROOT, "deploy", "kubernetes", "memreap-exporter.yaml")
CAP_SYS_RESOURCE = 24
PODMAN_NPROC = 32768  # podman 4.3.1 sets its own RLIMIT_NPROC to this (strace), runc inherits it
_built = {}


def podman(*args, input=None, timeout=60):
    return subprocess.run(["podman", *args], input=input, capture_output=True, text=True,
                          timeout=timeout)


def image():
    """Builds the image once per run, as `make image` does, under a name of this run's own: two
    worktrees testing at once would otherwise move one tag between their two builds."""
    if _built:
        return _built["name"]
    name = f"localhost/memreap-test:{os.getpid()}"
    atexit.register(podman, "rmi", "--force", name)
    p = subprocess.run([os.path.join(ROOT, "deploy", "container", "build.sh"), MEMREAP_BUILD,
                        name], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"build.sh: rc {p.returncode}\n{p.stdout}{p.stderr}")
    print(f"     {p.stdout.strip()}")
    _built["name"] = name
    return name


def manifest():
    """(pod spec, the exporter container) of the DaemonSet."""
    import yaml
    with open(MANIFEST) as f:
        ds = [d for d in yaml.safe_load_all(f) if d and d["kind"] == "DaemonSet"]
    check(len(ds) == 1, "one DaemonSet in the manifest")
    spec = ds[0]["spec"]["template"]["spec"]
    check(len(spec["containers"]) == 1, "one container")
    return spec, spec["containers"][0]


def quantity(q):
    """A Kubernetes quantity (256Mi, 500m, 1, 0.5, 1G) as a number."""
    m = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(q))
    check(m, f"quantity {q!r}")
    scale = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1 << 10, "Mi": 1 << 20,
             "Gi": 1 << 30}[m.group(2)]
    return float(m.group(1)) * scale


def security_flags(sc):
    """podman flags for a container securityContext; a key this does not map fails the test."""
    flags = []
    for key, value in sc.items():
        if key == "privileged":
            flags += ["--privileged"] if value else []
        elif key == "runAsUser":
            flags += [f"--user={value}"]
        elif key == "readOnlyRootFilesystem":
            # Kubernetes adds no writable tmpfs; podman would add /tmp, /var/tmp and /run
            flags += ["--read-only", "--read-only-tmpfs=false"] if value else []
        elif key == "allowPrivilegeEscalation":
            flags += [] if value else ["--security-opt=no-new-privileges"]
        elif key == "capabilities":
            flags += [f"--cap-drop={c.lower()}" for c in value.get("drop", [])]
            flags += [f"--cap-add=CAP_{c}" for c in value.get("add", [])]
        elif key == "seccompProfile":
            check(value["type"] in ("Unconfined", "RuntimeDefault"), f"seccompProfile {value}")
            flags += ["--security-opt=seccomp=unconfined"] if value["type"] == "Unconfined" else []
        else:
            raise AssertionError(f"securityContext.{key} is not mapped to podman: add it here")
    return flags


def resource_flags(res):
    """Limits as the kubelet sets them: memory and CPU quota; requests as reservation and shares."""
    flags = []
    limits, requests = res.get("limits", {}), res.get("requests", {})
    if "memory" in limits:
        flags.append(f"--memory={int(quantity(limits['memory']))}")
    if "cpu" in limits:
        flags.append(f"--cpus={quantity(limits['cpu'])}")
    if "memory" in requests:
        flags.append(f"--memory-reservation={int(quantity(requests['memory']))}")
    if "cpu" in requests:
        flags.append(f"--cpu-shares={max(2, int(quantity(requests['cpu']) * 1024))}")
    return flags


def mount_flags(spec, c):
    """Each volumeMount of a hostPath volume as a bind mount (read-only where it says so)."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    flags = []
    for m in c.get("volumeMounts", []):
        v = volumes[m["name"]]
        check("hostPath" in v, f"volume {m['name']}: only hostPath volumes are mapped")
        host = v["hostPath"]["path"]
        check(os.path.isdir(host), f"hostPath {host} ({v['hostPath'].get('type')}) on this machine")
        flags.append(f"--volume={host}:{m['mountPath']}" + (":ro" if m.get("readOnly") else ""))
    return flags


def machine_flags():
    """What this machine needs beyond the manifest (README "Container image"), and why."""
    flags = []
    with open("/proc/self/status") as f:
        cap_eff = int(re.search(r"^CapEff:\s*(\w+)", f.read(), re.M).group(1), 16)
    if not cap_eff & (1 << CAP_SYS_RESOURCE):
        # Rootful podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576; without
        # CAP_SYS_RESOURCE the runtime cannot raise them (setrlimit: EPERM). Ask for what we have.
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nproc = min(resource.getrlimit(resource.RLIMIT_NPROC)[1], PODMAN_NPROC)
        flags += [f"--ulimit=nofile={nofile}:{nofile}", f"--ulimit=nproc={nproc}:{nproc}"]
    unified = "/sys/fs/cgroup/unified/cgroup.controllers"
    if os.path.exists(unified):
        with open(unified) as f:
            if f.read().strip():
                # crun refuses a hybrid hierarchy whose v2 half has any controller ("cgroups in
                # hybrid mode not supported, drop all controllers from cgroupv2"); runc takes it
                flags.append("--runtime=runc")
    return flags


def container_flags(spec, c):
    check(spec.get("hostPID") is True, "the DaemonSet uses the host's PID namespace")
    flags = ["--pid=host"] + machine_flags()
    flags += security_flags(c.get("securityContext", {}))
    flags += resource_flags(c.get("resources", {}))
    flags += mount_flags(spec, c)
    flags += [f"--env={e['name']}={e['value']}" for e in c.get("env", [])]
    if "command" in c:
        flags.append(f"--entrypoint={json.dumps(c['command'])}")
    return flags


def skip_reason():
    if not shutil.which("podman"):
        return "skip: podman is not installed (make deps installs it)"
    return None


def test_image_holds_memreap_its_libraries_and_nothing_else():
    if skip_reason():
        return skip_reason()
    name = image()
    ldd = subprocess.run(["ldd", MEMREAP_BUILD], capture_output=True, text=True).stdout
    libs = set(re.findall(r"=> (/\S+)", ldd)) | set(re.findall(r"^\s*(/\S+)", ldd, re.M))
    terminfo = {"/lib/terminfo/" + t for t in ("x/xterm", "x/xterm-256color", "s/screen",
                                                "s/screen-256color", "t/tmux", "t/tmux-256color",
                                                "l/linux", "v/vt100", "v/vt220", "d/dumb")}
    locale = {os.path.join(d, f) for d, _, files in os.walk("/usr/lib/locale/C.utf8")
              for f in files}
    want = {"/usr/local/bin/memreap", "/etc/passwd", "/etc/group"} | libs | terminfo | locale
    root = podman("image", "mount", name).stdout.strip()
    check(root, f"podman image mount {name}")
    try:
        have = set()
        for d, _, files in os.walk(root):
            have |= {os.path.join(d, f)[len(root):] for f in files}
        check(have == want, f"the image's files: extra {sorted(have - want)}, "
              f"missing {sorted(want - have)}")
        with open(os.path.join(root, "usr/local/bin/memreap"), "rb") as a, \
                open(MEMREAP_BUILD, "rb") as b:
            check(a.read() == b.read(), "the image's memreap is this build")
    finally:
        podman("image", "unmount", name)
    cfg = json.loads(podman("image", "inspect", name).stdout)[0]
    check(len(cfg["RootFS"]["Layers"]) == 1, f"one layer, no base image: {cfg['RootFS']}")
    check(cfg["Config"]["Entrypoint"] == ["/usr/local/bin/memreap"], "memreap is the entrypoint")
    p = podman("run", "--rm", *machine_flags(), name, "--version")
    version = subprocess.run([MEMREAP_BUILD, "--version"], capture_output=True, text=True).stdout
    check(p.returncode == 0 and p.stdout == version,
          f"podman run {name} --version: rc {p.returncode} {p.stdout!r} {p.stderr!r}")
    print(f"     {len(want)} files: memreap, {len(libs)} from ldd, {len(terminfo)} terminfo, "
          f"{len(locale)} of C.UTF-8, /etc/passwd, /etc/group")


def test_top_full_screen_in_the_image():
    """`kubectl exec -it` into the DaemonSet's container and `memreap top`: under a terminal,
    with the manifest's securityContext, it draws its screen (terminfo, UTF-8 blocks) and q
    quits it with status 0."""
    if skip_reason():
        return skip_reason()
    name = image()
    spec, c = manifest()
    argv = ["podman", "run", "--rm", "--interactive", "--tty", "--env=TERM=xterm-256color",
            "--network=none", *container_flags(spec, c), name, "top"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    screen, quit_sent, deadline = b"", None, time.time() + 30
    try:
        while time.time() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the terminal's other side closed
                    break
                if not chunk:
                    break
                screen += chunk
            # The first frame (columns and rate graphs) drawn: quit after the second
            if quit_sent is None and b"PEAK" in screen and "\u2588".encode() in screen:
                quit_sent = time.time() + 1.5
            if quit_sent and time.time() > quit_sent:
                os.write(fd, b"q")
                quit_sent = float("inf")
    finally:
        if quit_sent != float("inf"):
            os.kill(pid, signal.SIGKILL)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        os.close(fd)
    text = screen.decode(errors="replace")
    check(b"Error opening terminal" not in screen, f"terminfo: {text[:200]!r}")
    check(quit_sent == float("inf") and status == 0,
          f"top drew its screen and quit on q: status {status}, {len(screen)} bytes: "
          f"{text[-300:]!r}")
    print(f"     {len(screen)} bytes of screen, blocks drawn, q: status {status}")


def remove(name):
    podman("rm", "--force", "--time", "10", name, timeout=30)


def wait_healthy(url, name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if get(url, timeout=2) == (200, "ok\n"):
                return
        except OSError:
            pass
        state = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
        check(state == "running", f"{name} is {state}: {podman('logs', name).stderr}")
        time.sleep(0.2)
    raise AssertionError(f"{url}: not healthy after {timeout}s; {podman('logs', name).stderr}")


def check_applied(name, c):
    """The kernel's view of the exporter in its container: the manifest's capabilities exactly,
    no new privileges, no seccomp filter, a read-only root, the host's PID namespace."""
    pid = int(podman("inspect", "--format", "{{.State.Pid}}", name).stdout)
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    caps = {"BPF": 39, "PERFMON": 38, "SYS_ADMIN": 21, "SYS_PTRACE": 19, "DAC_READ_SEARCH": 2}
    sc = c["securityContext"]
    check(sc["capabilities"]["drop"] == ["ALL"], "all capabilities dropped first")
    want = sum(1 << caps[n] for n in sc["capabilities"]["add"])
    # The container got exactly these; memreap itself keeps fewer once loaded (CAP_BPF goes)
    check(int(status["CapBnd"], 16) == want, f"CapBnd {status['CapBnd']} != {want:016x}")
    check(int(status["CapEff"], 16) & ~want == 0, f"CapEff {status['CapEff']} within {want:x}")
    check(status["NoNewPrivs"].strip() == "1", "no_new_privs")
    check(status["Seccomp"].strip() == "0", "seccomp Unconfined")
    with open(f"/proc/{pid}/mountinfo") as f:
        root = [line.split() for line in f if line.split()[4] == "/"]
    check(root and "ro" in root[-1][5].split(","), f"read-only root: {root}")
    check(os.readlink(f"/proc/{pid}/ns/pid") == os.readlink("/proc/self/ns/pid"), "host PID ns")


def run_ledger(name, spec, c, comm):
    """`memreap run` of the workload in a container of the image, same securityContext: its
    memreap/v1 document (on stdout) and the container's short id."""
    cidfile = f"/tmp/memreap-image-{os.getpid()}.cid"
    if os.path.exists(cidfile):
        os.unlink(cidfile)
    p = podman("run", "--rm", "-i", "--network=none", f"--cidfile={cidfile}",
               f"--volume={wl('hog')}:/{comm}:ro", *container_flags(spec, c), name,
               "run", "-q", "--json", "-", "--", f"/{comm}", "96", "32", input="go\n")
    check(p.returncode == 0, f"memreap run in the container: rc {p.returncode}\n{p.stderr}")
    with open(cidfile) as f:
        cid = f.read().strip()
    os.unlink(cidfile)
    return json.loads(p.stdout), cid[:12]


def series(text, family, **labels):
    """Sum of a family's samples whose labels include these."""
    total = 0.0
    for key, value in samples(text).items():
        if key.startswith(family + "{") and all(f'{k}="{v}"' in key for k, v in labels.items()):
            total += value
    return total


def test_daemonset_container_scraped_while_another_writes_a_ledger():
    if skip_reason():
        return skip_reason()
    name = image()
    spec, c = manifest()
    port = c["ports"][0]["containerPort"]
    host_port = free_port()
    exporter = f"memreap-exporter-test-{os.getpid()}"
    remove(exporter)
    atexit.register(remove, exporter)
    # A pod network of its own (slirp4netns: no host bridge or firewall rules), the manifest's
    # port published on loopback only
    # The manifest's args, and one more for a machine shared with other tests: with the default
    # 20 comm values all taken by the time the workload starts, its first ledger would be
    # counted as comm="other" (README "Bounded labels"), which is right but not checkable here
    p = podman("run", "--detach", f"--name={exporter}", "--network=slirp4netns",
               f"--publish=127.0.0.1:{host_port}:{port}", *container_flags(spec, c), name,
               *c["args"], "--max-comm-labels", "1000")
    check(p.returncode == 0, f"podman run: rc {p.returncode}\n{p.stderr}")
    base = f"http://127.0.0.1:{host_port}"
    started = time.time()
    wait_healthy(base + c["livenessProbe"]["httpGet"]["path"], exporter)
    print(f"     healthy {time.time() - started:.1f}s after podman run")
    check(get(base + c["readinessProbe"]["httpGet"]["path"]) == (200, "ok\n"), "readiness")
    check_applied(exporter, c)

    comm = "mrimage"
    doc, cid = run_ledger(name, spec, c, comm)
    check_document(doc)
    led = [l for l in doc["ledgers"] if l["comm"] == comm]
    check(len(led) == 1 and led[0]["end"] == "exit" and led[0]["exit_code"] == 0, f"{led}")
    led = led[0]
    check(led["self_released"]["anon"] == 32 * MiB, f"munmap of 32 MiB: {led['self_released']}")
    check(led["kernel_exit"]["anon"] >= 64 * MiB, f"64 MiB left at exit: {led['kernel_exit']}")
    close(led["freed_by_kind"]["self_released"]["anon"], 32 * MiB, MiB, "freed by the munmap")

    # The exporter, in its own container, saw the same address space from the other container
    mine = {"comm": comm, "container_id": cid}
    deadline = time.time() + 15
    while True:
        status, text = get(base + "/metrics")
        ended = series(text, "memreap_address_spaces_ended_total", end="exit", **mine)
        if ended >= 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    comms = sorted(set(re.findall(r'comm="([^"]*)"', text)))
    check(ended == 1, f"one exit of {comm} in container {cid}: {ended}; comms {comms}")
    for family, by, field in (("released", "self", "self_released"),
                              ("released", "kernel_exit", "kernel_exit"),
                              ("freed", "self", None)):
        got = series(text, f"memreap_{family}_bytes_total", by=by, kind="anon", **mine)
        want = led[field]["anon"] if field else led["freed_by_kind"]["self_released"]["anon"]
        check(got == want, f"memreap_{family}_bytes_total{{by={by},kind=anon}}: scrape {got}, "
              f"ledger {want}")
    got = series(text, "memreap_faulted_in_bytes_total", kind="anon", **mine)
    check(got == led["faulted_in"]["anon"], f"faulted_in: scrape {got}, ledger {led['faulted_in']}")
    check(promtool_ok(text), "promtool check metrics accepts the scrape")
    own = series(text, "memreap_faulted_in_bytes_total", comm="memreap",
                 container_id=p.stdout.strip()[:12])
    check(own > 0, "the exporter's own address space, labelled with its own container")

    # SIGTERM, as the kubelet stops a pod: exit status 0, never OOM-killed under the limit
    podman("stop", "--time", "10", exporter, timeout=30)
    state = json.loads(podman("inspect", exporter).stdout)[0]["State"]
    check(state["ExitCode"] == 0 and not state["OOMKilled"], f"stopped: {state}")
    print(f"     ledger and scrape agree: self {led['self_released']['anon']}, kernel_exit "
          f"{led['kernel_exit']['anon']}, faulted_in {led['faulted_in']['anon']} (container "
          f"{cid}); exporter container {p.stdout.strip()[:12]}")
