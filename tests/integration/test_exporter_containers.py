"""memreap exporter --container-labels: real cgroup v2 directories of the shapes Kubernetes
(cgroupfs and systemd drivers; containerd, CRI-O, docker), docker, podman and systemd make, a
workload moved into each, and the labels of its series in a scrape."""
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time

from mrtest import MiB, check, wl
from test_exporter import get, promtool_ok, samples, start_exporter, stop

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
    move(p.pid, root + cgroup)
    p.stdin.write("go\n")
    p.stdin.flush()
    check(p.stdout.readline().startswith("ready"), f"{comm_path} ready in {cgroup}")
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
