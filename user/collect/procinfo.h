/* SPDX-License-Identifier: GPL-2.0 */
/* Names for numbers: a pid's executable, a cgroup id's path. */
#ifndef MR_PROCINFO_H
#define MR_PROCINFO_H

#include <stddef.h>
#include <stdint.h>
#include "cmdline.h"
#include "util.h"

/* readlink /proc/PID/exe; "" if the process is gone or has no mm. */
const char *exe_of_pid(uint32_t pid, char *buf, size_t len);
/* The executable named by an exec's filename: symlinks resolved when the path is absolute. */
const char *exe_of_filename(const char *filename, char *buf, size_t len);

/* /proc/PID/cmdline as it reads now, bounded; unknown if the process is gone or a zombie. */
void cmdline_of_pid(uint32_t pid, struct cmdline *c);

struct cgroup_names {
	struct idmap paths; /* cgroup v2 id -> path below the cgroup mount */
	uint64_t last_scan_ns;
	char root[256]; /* where cgroup2 is mounted */
};

/* The path of a cgroup v2 id ("/system.slice/ssh.service"), rescanning at most once a second. */
const char *cgroup_path(struct cgroup_names *c, uint64_t id);
void cgroup_names_free(struct cgroup_names *c);

#endif
