// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "procinfo.h"

#include <mntent.h>

const char *exe_of_pid(uint32_t pid, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

const char *exe_of_filename(const char *filename, char *buf, size_t len)
{
	char resolved[PATH_MAX];

	if (filename[0] == '/' && realpath(filename, resolved))
		snprintf(buf, len, "%s", resolved);
	else
		snprintf(buf, len, "%s", filename);
	return buf;
}

void cmdline_of_pid(uint32_t pid, struct cmdline *c)
{
	char path[64], buf[CMDLINE_MAX_BYTES + 1]; /* one byte more: a longer one is truncated */
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	cmdline_free(c);
	if (n > 0)
		cmdline_set(c, buf, (size_t)n, false);
}

/* nftw has no context argument. */
static struct idmap *scan_target;
static size_t scan_root_len;

/* The cgroup2 mount: /sys/fs/cgroup on unified hosts, .../unified on hybrid ones. */
static int find_cgroup2(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int rc = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	endmntent(f);
	return rc;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	int mount_id;

	if (type != FTW_D)
		return 0;
	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) == 0 &&
	    h.fh.handle_bytes == sizeof(h.id)) {
		const char *rel = path + scan_root_len;

		idmap_put(scan_target, h.id, *rel ? rel : "/");
	}
	return 0;
}

/*
 * A cgroup v2 id is its directory's file handle: open it by handle and read the path back, at once
 * (needs CAP_DAC_READ_SEARCH). A container's cgroup is made just before its first process runs:
 * without this, its first ledgers could come before the next scan and have no path.
 */
static const char *path_by_handle(struct cgroup_names *c, uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = {.fh.handle_bytes = sizeof(h.id)};
	char link[64], buf[PATH_MAX];
	size_t root_len = strlen(c->root);
	int mount_id, root, fd;
	ssize_t n = -1;

	root = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return NULL;
	if (!name_to_handle_at(root, "", &h.fh, &mount_id, AT_EMPTY_PATH)) {
		h.id = id; /* the root's handle gave the type; the id is ours */
		fd = open_by_handle_at(root, &h.fh, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			n = readlink(link, buf, sizeof(buf) - 1);
			close(fd);
		}
	}
	close(root);
	if (n < (ssize_t)root_len)
		return NULL;
	buf[n] = '\0';
	if (strncmp(buf, c->root, root_len) || (buf[root_len] && buf[root_len] != '/'))
		return NULL;
	idmap_put(&c->paths, id, buf[root_len] ? buf + root_len : "/");
	return idmap_get(&c->paths, id);
}

const char *cgroup_path(struct cgroup_names *c, uint64_t id)
{
	const char *p = idmap_get(&c->paths, id);
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (p || !id)
		return p ? p : "";
	if (c->root[0] && (p = path_by_handle(c, id)))
		return p;
	if (now - c->last_scan_ns < 1000000000ull && c->last_scan_ns)
		return "";
	c->last_scan_ns = now;
	if (!c->root[0] && find_cgroup2(c->root, sizeof(c->root)))
		return "";
	scan_target = &c->paths;
	scan_root_len = strlen(c->root);
	nftw(c->root, visit, 16, FTW_PHYS | FTW_MOUNT);
	p = idmap_get(&c->paths, id);
	return p ? p : "";
}

void cgroup_names_free(struct cgroup_names *c)
{
	idmap_free(&c->paths);
}
