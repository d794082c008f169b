// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <string.h>
#include "container.h"

/* One component of a path, not NUL-terminated. */
struct span {
	const char *s;
	size_t n;
};

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool starts_with(struct span c, const char *prefix)
{
	size_t n = strlen(prefix);

	return c.n >= n && !memcmp(c.s, prefix, n);
}

/* c without suffix, if it ends with it and something comes before it. */
static bool strip(struct span *c, const char *suffix)
{
	size_t n = strlen(suffix);

	if (c->n <= n || memcmp(c->s + c->n - n, suffix, n))
		return false;
	c->n -= n;
	return true;
}

/*
 * How the runtimes name a container's cgroup: the bare id (containerd and docker under the
 * kubelet's cgroupfs driver, docker's own /docker/<id>), or a prefix, with ".scope" when systemd
 * made it. A monitor's cgroup (crio-conmon-<id>) has no id after its prefix.
 */
static const char *const id_prefixes[] = {"", "docker-", "cri-containerd-", "crio-", "libpod-"};

static bool container_id(struct span c, char *id)
{
	bool scope = strip(&c, ".scope");

	for (size_t i = 0; i < sizeof(id_prefixes) / sizeof(id_prefixes[0]); i++) {
		size_t n = strlen(id_prefixes[i]);

		if (c.n != n + CONTAINER_ID_HEX || !starts_with(c, id_prefixes[i]) ||
		    !lower_hex(c.s + n, CONTAINER_ID_HEX))
			continue;
		if (!n && scope)
			return false; /* no runtime makes <id>.scope */
		memcpy(id, c.s + n, CONTAINER_SHORT_ID);
		id[CONTAINER_SHORT_ID] = '\0';
		return true;
	}
	return false;
}

/*
 * A pod UID as the kubelet writes it in a cgroup name, separated by sep ('-' with cgroupfs, '_'
 * with systemd, whose names keep '-' for nesting), or 32 hex digits for a static pod.
 */
static bool pod_uid(const char *s, size_t n, char sep, char *uid)
{
	static const size_t seps[] = {8, 13, 18, 23};
	size_t next = 0;

	if (n == 32 && lower_hex(s, n)) {
		memcpy(uid, s, n);
		uid[n] = '\0';
		return true;
	}
	if (n != POD_UID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (next < 4 && i == seps[next]) {
			if (s[i] != sep)
				return false;
			uid[i] = '-';
			next++;
		} else if (lower_hex(s + i, 1)) {
			uid[i] = s[i];
		} else {
			return false;
		}
	}
	uid[n] = '\0';
	return true;
}

/* Is one of the '-'-separated parts of s[0..n) "kubepods"? (systemd nests slices by name) */
static bool kubepods_part(const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *dash = memchr(s, '-', (size_t)(end - s));
		size_t len = (size_t)((dash ? dash : end) - s);

		if (len == 8 && !memcmp(s, "kubepods", 8))
			return true;
		if (!dash)
			break;
		s = dash + 1;
	}
	return false;
}

/* pod<uid> below a "kubepods" cgroup (cgroupfs), or <...kubepods...>-pod<uid>.slice (systemd). */
static bool pod_of(struct span c, bool in_kubepods, char *uid)
{
	const char *dash;

	if (in_kubepods && starts_with(c, "pod"))
		return pod_uid(c.s + 3, c.n - 3, '-', uid);
	if (!strip(&c, ".slice"))
		return false;
	dash = memrchr(c.s, '-', c.n);
	if (!dash || !kubepods_part(c.s, (size_t)(dash - c.s)))
		return false;
	c.n -= (size_t)(dash + 1 - c.s);
	c.s = dash + 1;
	return starts_with(c, "pod") && pod_uid(c.s + 3, c.n - 3, '_', uid);
}

static bool is_unit(struct span c)
{
	return strip(&c, ".service") || strip(&c, ".scope");
}

/* One component, outermost first: inner matches replace outer ones. */
static void classify(struct span c, bool *in_kubepods, struct container_ref *out)
{
	char id[CONTAINER_SHORT_ID + 1], uid[POD_UID_LEN + 1];

	if (pod_of(c, *in_kubepods, uid)) {
		memcpy(out->pod_uid, uid, sizeof(uid));
		out->id[0] = '\0'; /* a container around the pod (a kind node) is not its own */
	}
	if (container_id(c, id))
		memcpy(out->id, id, sizeof(id));
	if (is_unit(c)) {
		out->unit = c.s;
		out->unit_len = c.n;
	}
	if (c.n == 8 && !memcmp(c.s, "kubepods", 8))
		*in_kubepods = true;
}

void container_parse(const char *path, struct container_ref *out)
{
	bool in_kubepods = false;
	struct span c;

	memset(out, 0, sizeof(*out));
	if (!path)
		return;
	while (*path) {
		path += strspn(path, "/");
		c.s = path;
		c.n = strcspn(path, "/");
		path += c.n;
		if (c.n)
			classify(c, &in_kubepods, out);
	}
}
