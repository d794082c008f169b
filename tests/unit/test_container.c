// SPDX-License-Identifier: GPL-2.0
/*
 * Container, pod and unit names from cgroup v2 paths (core/container.c), and the exporter's
 * --container-labels built on them: every shape the runtimes make, and malformed ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>
#include "container.h"
#include "metrics.h"
#include "fixtures.h"

#define ID    "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"
#define SHORT "4f797c539e6c"
#define ID2   "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
#define UID   "74c13223-5a00-11e9-b385-42010a80018d"
#define UID_  "74c13223_5a00_11e9_b385_42010a80018d" /* as the systemd driver writes it */
#define HASH  "6b0e5e8e2d0d1e2c8f5c3b1e9a4f7d21"     /* a static pod's UID */

/* "path -> id|pod_uid|unit": a failure shows which path. */
static void expect(const char *path, const char *id, const char *uid, const char *unit)
{
	struct container_ref r;
	char got[1024], want[1024];

	container_parse(path, &r);
	snprintf(got, sizeof(got), "%s -> %s|%s|%.*s", path ? path : "(null)", r.id, r.pod_uid,
		 (int)r.unit_len, r.unit ? r.unit : "");
	snprintf(want, sizeof(want), "%s -> %s|%s|%s", path ? path : "(null)", id, uid, unit);
	assert_string_equal(got, want);
}

static void kubernetes_cgroupfs(void **state)
{
	/* containerd and docker name the leaf by the bare id; CRI-O prefixes crio- */
	expect("/kubepods/pod" UID "/" ID, SHORT, UID, "");
	expect("/kubepods/burstable/pod" UID "/" ID, SHORT, UID, "");
	expect("/kubepods/besteffort/pod" UID "/" ID, SHORT, UID, "");
	expect("/kubepods/besteffort/pod" UID "/crio-" ID, SHORT, UID, "");
	expect("/kubepods/burstable/pod" UID "/crio-conmon-" ID, "", UID, "");
	expect("/kubepods/burstable/pod" UID, "", UID, "");
	expect("/kubepods/burstable", "", "", "");
	expect("/kubelet/kubepods/besteffort/pod" UID "/" ID, SHORT, UID, ""); /* --cgroup-root */
	expect("/kubepods/burstable/pod" HASH "/" ID, SHORT, HASH, "");
	expect("//kubepods//burstable///pod" UID "//" ID "/", SHORT, UID, "");
}

static void kubernetes_systemd(void **state)
{
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" ID ".scope",
	       SHORT, UID, "cri-containerd-" ID ".scope");
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-" ID ".scope",
	       SHORT, UID, "crio-" ID ".scope");
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/crio-conmon-" ID ".scope",
	       "", UID, "crio-conmon-" ID ".scope");
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/docker-" ID ".scope",
	       SHORT, UID, "docker-" ID ".scope");
	/* guaranteed pods: directly under kubepods.slice */
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope", SHORT, UID,
	       "cri-containerd-" ID ".scope");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice", "", UID, "");
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" HASH
	       ".slice/crio-" ID ".scope",
	       SHORT, HASH, "crio-" ID ".scope");
	/* kind: --cgroup-root=/kubelet, inside the node's own container */
	expect("/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	       "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope",
	       SHORT, UID, "cri-containerd-" ID ".scope");
	expect("/system.slice/docker-" ID2 ".scope/kubepods/pod" UID "/crio-conmon-" ID, "", UID,
	       "docker-" ID2 ".scope");
}

static void docker_and_podman(void **state)
{
	expect("/system.slice/docker-" ID ".scope", SHORT, "", "docker-" ID ".scope");
	expect("/docker/" ID, SHORT, "", "");
	expect("/docker/" ID2 "/docker/" ID, SHORT, "", ""); /* docker in docker */
	expect("/system.slice/docker-" ID2 ".scope/system.slice/containerd.service", "9ec39b91f3d7",
	       "", "containerd.service");
	expect("/machine.slice/libpod-" ID ".scope", SHORT, "", "libpod-" ID ".scope");
	expect("/machine.slice/libpod-" ID ".scope/container", SHORT, "", "libpod-" ID ".scope");
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	       SHORT, "", "libpod-" ID ".scope");
	expect("/libpod_parent/libpod-" ID, SHORT, "", "");
	expect("/machine.slice/libpod-conmon-" ID ".scope", "", "", "libpod-conmon-" ID ".scope");
	expect("/libpod_parent/conmon", "", "", "");
}

static void systemd_units(void **state)
{
	expect("/system.slice/nginx.service", "", "", "nginx.service");
	expect("/user.slice/user-1000.slice/session-3.scope", "", "", "session-3.scope");
	expect("/system.slice/system-getty.slice/getty@tty1.service", "", "", "getty@tty1.service");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service", "", "",
	       "dbus.service");
	expect("/user.slice/user-1000.slice/user@1000.service/init.scope", "", "", "init.scope");
	expect("/init.scope", "", "", "init.scope");
	expect("/system.slice", "", "", "");
	expect("/", "", "", "");
	expect("", "", "", "");
	expect(NULL, "", "", "");
	expect("/system.slice/.service", "", "", "");
	expect("/system.slice/.scope", "", "", "");
}

#define ID63  "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c3842814297"
#define IDUP  "4F797C539E6C745DE61A93CA3FF892358ECBCACCD8414D5DB545C38428142970"
#define IDNOT "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c3842814297g"

static void malformed(void **state)
{
	expect("/docker/" ID63, "", "", "");
	expect("/docker/" ID "0", "", "", "");
	expect("/docker/" IDUP, "", "", "");
	expect("/docker/" IDNOT, "", "", "");
	expect("/system.slice/docker-" ID63 ".scope", "", "", "docker-" ID63 ".scope");
	expect("/system.slice/docker-" ID "0.scope", "", "", "docker-" ID "0.scope");
	expect("/system.slice/docker-" IDUP ".scope", "", "", "docker-" IDUP ".scope");
	expect("/machine.slice/libpod-" IDNOT ".scope", "", "", "libpod-" IDNOT ".scope");
	expect("/system.slice/" ID ".scope", "", "", ID ".scope"); /* a bare id is no scope */
	expect("/system.slice/containerd-" ID ".scope", "", "", "containerd-" ID ".scope");
	expect("/kubepods/burstable/pod" UID "/crio-" ID ".slice", "", UID, "");
	expect("/kubepods/burstable/pod" UID "/crio-" ID "x", "", UID, "");
	/* pod UIDs: outside kubepods, uppercase, truncated, too long, the other separator */
	expect("/pod" UID "/" ID, SHORT, "", "");
	expect("/kubepods/pod74C13223-5a00-11e9-b385-42010a80018d/" ID, SHORT, "", "");
	expect("/kubepods/pod74c13223-5a00-11e9-b385-42010a80018/" ID, SHORT, "", "");
	expect("/kubepods/pod74c13223-5a00-11e9-b385-42010a80018d0/" ID, SHORT, "", "");
	expect("/kubepods/pod74c13223-5a00-11e9-b385-42010a80018g/" ID, SHORT, "", "");
	expect("/kubepods/pod" UID_ "/" ID, SHORT, "", "");
	expect("/kubepods/pod74c132235-a00-11e9-b385-42010a80018d/" ID, SHORT, "", "");
	expect("/kubepods/pod" HASH "0/" ID, SHORT, "", "");
	expect("/kubepods/pod/" ID, SHORT, "", "");
	expect("/kubepods.slice/kubepods-pod" UID ".slice/crio-" ID ".scope", SHORT, "",
	       "crio-" ID ".scope");
	expect("/machine.slice/machine-pod" UID_ ".slice/crio-" ID ".scope", SHORT, "",
	       "crio-" ID ".scope");
	expect("/kubepods.slice/kubepods-pod" UID_ ".scope", "", "", "kubepods-pod" UID_ ".scope");
	expect("/kubepods.slice/xkubepods-pod" UID_ ".slice", "", "", "");
	expect("/kubepods.slice/kubepods-pod.slice", "", "", "");
	expect("/kubepods.slice/-pod" UID_ ".slice", "", "", "");
}

static uint64_t generation;

static char *render(struct metrics *m)
{
	struct metrics_state s = {.version = "0.1.0", .kernel = "6.18"};
	size_t len;

	s.generation = ++generation;
	s.served = generation - 1;
	free(metrics_render(m, &s, &len));
	s.generation = ++generation;
	s.served = generation - 1;
	return metrics_render(m, &s, &len);
}

static struct ledger ended(uint64_t id, const char *comm, const char *cgroup, uint64_t bytes)
{
	struct ledger l;

	memset(&l, 0, sizeof(l));
	l.id = id;
	l.pid = 100 + (uint32_t)id;
	l.end = MR_END_EXIT;
	snprintf(l.comm, sizeof(l.comm), "%s", comm);
	l.exe = "";
	l.cgroup = (char *)cgroup;
	l.bytes[CAT_FAULTED_IN][MR_ANON] = bytes;
	l.bytes[CAT_KERNEL_EXIT][MR_ANON] = bytes;
	return l;
}

#define EXIT_LINE(labels)                                                                          \
	"\nmemreap_released_bytes_total{by=\"kernel_exit\",kind=\"anon\"," labels                  \
	",interpreter=\"none\"} "

static void exporter_labels(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 2, .container_labels = true};
	struct metrics *m = metrics_new(&o);
	struct ledger pod = ended(1, "app", "/kubepods/burstable/pod" UID "/" ID, 64 * MiB),
		      svc = ended(2, "nginx", "/system.slice/nginx.service", 32 * MiB),
		      small = ended(3, "sh", "/docker/" ID2, 1 * MiB);
	char *t;

	metrics_ended(m, &pod);
	metrics_ended(m, &svc);
	metrics_ended(m, &small); /* N = 2 values are taken: it is "other" */
	t = render(m);
	assert_non_null(t);
	assert_non_null(strstr(t, EXIT_LINE("comm=\"app\",container_id=\"" SHORT "\",pod_uid=\"" UID
					    "\",unit=\"\"") "67108864\n"));
	assert_non_null(strstr(t, EXIT_LINE("comm=\"nginx\",container_id=\"\",pod_uid=\"\","
					    "unit=\"nginx.service\"") "33554432\n"));
	assert_non_null(strstr(t, EXIT_LINE("comm=\"other\",container_id=\"other\",pod_uid="
					    "\"other\",unit=\"other\"") "1048576\n"));
	assert_null(strstr(t, "9ec39b91f3d7"));
	assert_null(strstr(t, "cgroup="));
	free(t);
	metrics_free(m);
}

static void no_labels_unless_asked(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 2};
	struct metrics *m = metrics_new(&o);
	struct ledger pod = ended(1, "app", "/kubepods/burstable/pod" UID "/" ID, 64 * MiB);
	char *t;

	metrics_ended(m, &pod);
	t = render(m);
	assert_non_null(strstr(t, EXIT_LINE("comm=\"app\"") "67108864\n"));
	assert_null(strstr(t, "container_id="));
	assert_null(strstr(t, "pod_uid="));
	free(t);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kubernetes_cgroupfs),
	    cmocka_unit_test(kubernetes_systemd),
	    cmocka_unit_test(docker_and_podman),
	    cmocka_unit_test(systemd_units),
	    cmocka_unit_test(malformed),
	    cmocka_unit_test(exporter_labels),
	    cmocka_unit_test(no_labels_unless_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
