/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The container, the Kubernetes pod and the systemd unit a cgroup v2 path names: what the
 * exporter's --container-labels show (README "Exporter"). Pure string logic, unit-tested against
 * the path shapes the runtimes make:
 *
 *   Kubernetes, cgroupfs driver: /kubepods[/burstable|/besteffort]/pod<uid>/<id> (containerd,
 *     docker), .../pod<uid>/crio-<id> (CRI-O)
 *   Kubernetes, systemd driver: /kubepods.slice/kubepods-burstable.slice/
 *     kubepods-burstable-pod<uid, _ for ->.slice/cri-containerd-<id>.scope (crio-, docker-)
 *   docker: /system.slice/docker-<id>.scope, /docker/<id>
 *   podman: /machine.slice/libpod-<id>.scope, /libpod_parent/libpod-<id>
 *   systemd: /system.slice/nginx.service, /user.slice/user-1000.slice/session-3.scope
 *
 * <id> is 64 lowercase hex digits; <uid> a lowercase UUID, or 32 hex digits for a static pod (the
 * kubelet names those by a hash of their manifest). The innermost match wins (a container in a
 * container; crun's "container" sub-cgroup is inside its container). Monitors (crio-conmon-<id>,
 * libpod-conmon-<id>) are not containers, though conmon is in its pod.
 */
#ifndef MR_CONTAINER_H
#define MR_CONTAINER_H

#include <stddef.h>

#define CONTAINER_ID_HEX   64
#define CONTAINER_SHORT_ID 12 /* as docker ps and crictl ps show it */
#define POD_UID_LEN	   36 /* 8-4-4-4-12 */

struct container_ref {
	char id[CONTAINER_SHORT_ID + 1]; /* short id; "" outside containers */
	char pod_uid[POD_UID_LEN + 1];	 /* with dashes; "" outside Kubernetes pods */
	const char *unit;		 /* innermost *.service or *.scope, inside the path */
	size_t unit_len;		 /* 0 if none */
};

/* What path (a cgroup v2 path, "/system.slice/..."; NULL or "" if unknown) names. */
void container_parse(const char *path, struct container_ref *out);

#endif
