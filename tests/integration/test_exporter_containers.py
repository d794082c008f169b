"""memreap exporter --container-labels: real cgroup v2 directories of the shapes Kubernetes
(cgroupfs and systemd drivers; containerd, CRI-O, docker), docker, podman and systemd make, a
workload moved into each, and the labels of its series in a scrape."""
import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

from mrtest import ROOT, MiB, check, wl
from test_exporter import free_port, get, promtool_ok, samples, start_exporter, stop

MAPPED_MIB = 8  # each workload maps and touches this, then unmaps it itself


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    return None


def shapes():
    """(comm, cgroup path, container_id, pod_uid, unit): fresh ids, so that runs never meet."""
    ids = [secrets.token_hex(32) for _ in range(11)]
    uid = "%s-%s-%s-%s-%s" % tuple(secrets.token_hex(n) for n in (4, 2, 2, 2, 6))
    uid2 = "%s-%s-%s-%s-%s" % tuple(secrets.token_hex(n) for n in (4, 2, 2, 2, 6))
    sd = uid.replace("-", "_")
    sd2 = uid2.replace("-", "_")
    unit = f"mrtest-{os.getpid()}.service"
    burst = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{sd}.slice"
    best = f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{sd2}.slice"
    rootless = "/user.slice/user-1000.slice/user@1000.service/user.slice"
    return [
        # Kubernetes, cgroupfs driver: containerd and docker name the leaf by the id, CRI-O crio-
        ("mrct-k8s-ctrd", f"/kubepods/burstable/pod{uid}/{ids[0]}", ids[0][:12], uid, ""),
        ("mrct-k8s-crio", f"/kubepods/besteffort/pod{uid2}/crio-{ids[1]}", ids[1][:12], uid2, ""),
        ("mrct-k8s-dock", f"/kubepods/pod{uid}/{ids[2]}", ids[2][:12], uid, ""),
        # Kubernetes, systemd driver
        ("mrct-sd-ctrd", f"{burst}/cri-containerd-{ids[3]}.scope", ids[3][:12], uid,
         f"cri-containerd-{ids[3]}.scope"),
        ("mrct-sd-crio", f"{best}/crio-{ids[4]}.scope", ids[4][:12], uid2,
         f"crio-{ids[4]}.scope"),
        ("mrct-sd-conmon", f"{best}/crio-conmon-{ids[4]}.scope", "", uid2,
         f"crio-conmon-{ids[4]}.scope"),
        ("mrct-sd-dock", f"/kubepods.slice/kubepods-pod{sd}.slice/docker-{ids[5]}.scope",
         ids[5][:12], uid, f"docker-{ids[5]}.scope"),
        # docker
        ("mrct-docker-sd", f"/system.slice/docker-{ids[6]}.scope", ids[6][:12], "",
         f"docker-{ids[6]}.scope"),
        ("mrct-docker-fs", f"/docker/{ids[7]}", ids[7][:12], "", ""),
        # podman: root, rootless, cgroupfs
        ("mrct-podman", f"/machine.slice/libpod-{ids[8]}.scope", ids[8][:12], "",
         f"libpod-{ids[8]}.scope"),
        ("mrct-podman-rl", f"{rootless}/libpod-{ids[9]}.scope", ids[9][:12], "",
         f"libpod-{ids[9]}.scope"),
        ("mrct-podman-fs", f"/libpod_parent/libpod-{ids[10]}", ids[10][:12], "", ""),
        # systemd units, and a cgroup that is neither
        ("mrct-service", f"/system.slice/{unit}", "", "", unit),
        ("mrct-session", "/user.slice/user-1000.slice/session-%d.scope" % os.getpid(), "", "",
         "session-%d.scope" % os.getpid()),
        ("mrct-plain", f"/mrtest-plain-{os.getpid()}", "", "", ""),
    ]


def move(pid, cgroup_dir):
    with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as f:
        f.write(str(pid))


def remove_cgroups(root, made):
    """Processes back to the root, then the directories we made, children before parents."""
    for path in sorted(made, key=lambda p: p.count("/"), reverse=True):
        full = root + path
        try:
            with open(os.path.join(full, "cgroup.procs")) as f:
                for pid in f.read().split():
                    move(pid, root)
            os.rmdir(full)
        except OSError:
            pass  # gone already, or another run still uses a shared parent


def make_cgroup(root, path, made):
    """mkdir -p below root, remembering what this run made."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        sub = "/" + "/".join(parts[:i])
        if not os.path.isdir(root + sub):
            os.mkdir(root + sub)
            made.append(sub)


def start_in(root, comm_path, cgroup):
    """A shell moved into cgroup, then exec'ing the workload there (its ledger begins in it)."""
    p = subprocess.Popen(["sh", "-c", f'read go && exec "$0" {MAPPED_MIB} {MAPPED_MIB}',
                          comm_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        move(p.pid, root + cgroup)
        p.stdin.write("go\n")
        p.stdin.flush()
        check(p.stdout.readline().startswith("ready"), f"{comm_path} ready in {cgroup}")
    except BaseException:
        p.kill()
        p.wait()
        raise
    return p


def label_sets(text, comm):
    """The (container_id, pod_uid, unit) of every series of comm."""
    pat = re.compile(r'comm="%s",container_id="([^"]*)",pod_uid="([^"]*)",unit="([^"]*)"'
                     % re.escape(comm))
    return set(pat.findall(text))


def by_self(text, family, comm):
    """The anon bytes comm released itself (family: released, freed...), over its series."""
    prefix = f'memreap_{family}_bytes_total{{by="self",kind="anon",comm="{comm}",'
    return sum(v for k, v in samples(text).items() if k.startswith(prefix))


def test_container_pod_and_unit_labels_from_real_cgroups():
    root = cgroup2_root()
    if not root:
        return "skip: no cgroup2 mount"
    cases = shapes()
    exporter, base = start_exporter("--container-labels", "--max-comm-labels", "1000")
    bounded, bounded_base = start_exporter("--container-labels", "--max-comm-labels", "2")
    tmpdir = tempfile.mkdtemp(prefix="memreap-containers-")
    made, procs = [], []
    try:
        for comm, cgroup, *_ in cases:
            make_cgroup(root, cgroup, made)
            exe = os.path.join(tmpdir, comm)
            shutil.copy(wl("hog"), exe)
            procs.append(start_in(root, exe, cgroup))
        for p in procs:
            p.communicate("\n", timeout=30)
            check(p.returncode == 0, f"workload exit status {p.returncode}")
        deadline = time.time() + 15
        while True:
            status, text = get(base + "/metrics")
            pending = [c for c in cases
                       if label_sets(text, c[0]) != {c[2:]}
                       or by_self(text, "released", c[0]) < MAPPED_MIB * MiB]
            if not pending or time.time() > deadline:
                break
            time.sleep(0.2)
        check(status == 200, f"/metrics: {status}")
        for comm, cgroup, *want in cases:
            got = label_sets(text, comm)
            check(got == {tuple(want)}, f"{cgroup}: labels {got}, expected {{{tuple(want)}}}")
            got = by_self(text, "released", comm)
            check(got == MAPPED_MIB * MiB, f"{comm}: released by self {got}, expected "
                  f"{MAPPED_MIB * MiB} (what it unmapped)")
        check(promtool_ok(text), "promtool check metrics with container labels")
        # N = 2: at most 2N values of their own, all else "other" (the three labels together)
        status, text = get(bounded_base + "/metrics")
        tuples = set(re.findall(r'container_id="([^"]*)",pod_uid="([^"]*)",unit="([^"]*)"', text))
        check(status == 200 and ("other",) * 3 in tuples and len(tuples) <= 5,
              f"at most 2N+1 container label values with N = 2: {sorted(tuples)}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        remove_cgroups(root, made)
        stop(exporter)
        stop(bounded)
        shutil.rmtree(tmpdir, True)
    left = [c[1] for c in cases if os.path.isdir(root + c[1])]
    check(not left, f"cgroups left behind: {left}")


RULES = os.path.join(ROOT, "deploy", "prometheus", "memreap-pods.rules.yml")


def kube_pod_info_server(uid):
    """What kube-state-metrics serves for one pod, on a loopback port: (server, host:port)."""
    body = ("# HELP kube_pod_info Information about pod.\n# TYPE kube_pod_info gauge\n"
            'kube_pod_info{namespace="shop",pod="web-0",uid="%s",host_ip="10.0.0.1",'
            'pod_ip="10.1.0.7",node="node-a",created_by_kind="StatefulSet",'
            'created_by_name="web",priority_class="",host_network="false"} 1\n' % uid).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "127.0.0.1:%d" % server.server_address[1]


def prometheus(tmpdir, targets):
    """A real Prometheus scraping each job's target every second, with the pod rules: its URL."""
    config = os.path.join(tmpdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                f"rule_files: ['{RULES}']\nscrape_configs:\n")
        for job, target in targets.items():
            f.write(f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n")
    port = free_port()
    proc = subprocess.Popen(["prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={tmpdir}/data", "--log.level=warn",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if get(url + "/-/ready", timeout=2)[0] == 200:
                return proc, url
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise AssertionError("Prometheus never became ready")


def query(url, expr):
    status, body = get(url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    doc = json.loads(body)
    check(status == 200 and doc["status"] == "success", f"{expr!r}: {status} {body[:300]}")
    return doc["data"]["result"]


def panel_expr(title):
    with open(os.path.join(ROOT, "dashboards", "memreap.json")) as f:
        panel = [p for p in json.load(f)["panels"] if p["title"] == title][0]
    expr = panel["targets"][0]["expr"]
    return expr.replace("$__rate_interval", "1m").replace("$instance", ".*")


def wait_for_pod(url, expr, uid, timeout=20):
    """The series of expr for the pod web-0 once it is there (and above 0), or what there was."""
    deadline = time.time() + timeout
    while True:
        mine = [r for r in query(url, expr) if r["metric"].get("pod_uid") == uid]
        if (mine and float(mine[0]["value"][1]) > 0) or time.time() > deadline:
            return mine
        time.sleep(0.3)


def test_pod_names_from_kube_pod_info():
    """The README's join, the dashboard panel and the recording rule, in a real Prometheus."""
    root = cgroup2_root()
    if not root:
        return "skip: no cgroup2 mount"
    check(subprocess.run(["promtool", "check", "rules", RULES], capture_output=True).returncode
          == 0, f"promtool check rules {RULES}")
    uid = "%s-%s-%s-%s-%s" % tuple(secrets.token_hex(n) for n in (4, 2, 2, 2, 6))
    cgroup = f"/kubepods/burstable/pod{uid}/{secrets.token_hex(32)}"
    exporter, base = start_exporter("--container-labels", "--max-comm-labels", "1000")
    ksm, ksm_target = kube_pod_info_server(uid)
    tmpdir = tempfile.mkdtemp(prefix="memreap-pods-")
    made, prom = [], None
    try:
        prom, url = prometheus(tmpdir, {"memreap": base[7:], "kube-state-metrics": ksm_target})
        make_cgroup(root, cgroup, made)
        exe = os.path.join(tmpdir, "mrct-web")
        shutil.copy(wl("hog"), exe)
        start_in(root, exe, cgroup).communicate("\n", timeout=30)
        exact = ('sum by (pod_uid) (memreap_released_bytes_total{by="self",kind="anon",'
                 f'pod_uid="{uid}"}}) * on (pod_uid) group_left (namespace, pod) '
                 'max by (pod_uid, namespace, pod) (label_replace(kube_pod_info, "pod_uid", '
                 '"$1", "uid", "(.+)"))')
        for what, expr in (("released by itself", exact),
                           ("dashboard panel", panel_expr("Pods whose memory was freed the most")),
                           ("recording rule", "namespace_pod:memreap_freed_bytes:rate5m")):
            mine = wait_for_pod(url, expr, uid)
            check(len(mine) == 1 and mine[0]["metric"].get("namespace") == "shop"
                  and mine[0]["metric"].get("pod") == "web-0" and float(mine[0]["value"][1]) > 0,
                  f"{what}: the pod shop/web-0 ({uid}) in {mine}")
            if what == "released by itself":
                check(float(mine[0]["value"][1]) == MAPPED_MIB * MiB,
                      f"{what}: {mine[0]['value'][1]}, expected {MAPPED_MIB * MiB}")
    finally:
        remove_cgroups(root, made)
        if prom:
            stop(prom)
        ksm.shutdown()
        stop(exporter)
        shutil.rmtree(tmpdir, True)
