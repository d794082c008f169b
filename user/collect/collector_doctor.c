// SPDX-License-Identifier: GPL-2.0
/*
 * What this kernel offers memreap, read from its BTF and probed with libbpf before anything is
 * loaded: the hooks and their arguments, the RSS counter layout, the BPF features the programs
 * need. Part of the collector (the only libbpf user); `memreap doctor` prints it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "collector.h"
#include "bpf_features.h"
#include "caps.h"
#include "hooks.h"

static struct kernel_check *add(struct kernel_check *c, int *n, int max, const char *what, bool ok)
{
	if (*n >= max)
		return NULL;
	c += (*n)++;
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->result[0] = 0;
	c->ok = ok;
	c->unchecked = false;
	return c;
}

/* "struct mm_struct *", "int", "long int": enough to tell two tracepoint prototypes apart. */
static void type_name(const struct btf *btf, __u32 id, char *buf, size_t len)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *prefix = "";
	int ptrs = 0;

	while (t && (btf_is_ptr(t) || btf_is_mod(t))) {
		ptrs += btf_is_ptr(t);
		t = btf__type_by_id(btf, t->type);
	}
	if (t && btf_is_struct(t))
		prefix = "struct ";
	else if (t && btf_is_union(t))
		prefix = "union ";
	snprintf(buf, len, "%s%s%s%.*s", prefix,
		 t && t->name_off ? btf__name_by_offset(btf, t->name_off) : "void", ptrs ? " " : "",
		 ptrs, "**");
}

/*
 * A raw tracepoint exists when BTF has its btf_trace_<name> typedef: print its arguments and
 * return their count, or -1 if it does not exist.
 */
static int tracepoint_args(const struct btf *btf, const char *tp, char *buf, size_t len)
{
	char name[64], arg[64];
	const struct btf_type *t;
	const struct btf_param *p;
	int id;
	size_t used;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t))
		return snprintf(buf, len, "(?)"), 0;
	p = btf_params(t);
	used = snprintf(buf, len, "(");
	for (int i = 1; i < btf_vlen(t) && used < len; i++) { /* the first is the context */
		type_name(btf, p[i].type, arg, sizeof(arg));
		used += snprintf(buf + used, len - used, "%s%s", i > 1 ? ", " : "", arg);
	}
	if (used < len)
		snprintf(buf + used, len - used, ")");
	return btf_vlen(t) - 1;
}

/* One line per hook: its arguments, or that it is missing and what memreap does without it. */
static void check_hooks(const struct btf *btf, struct kernel_check *c, int *n, int max)
{
	for (size_t i = 0; i < nhooks; i++) {
		const struct hook *h = &hooks[i];
		char args[160];
		int nargs = tracepoint_args(btf, h->tracepoint, args, sizeof(args));
		bool fallback = h->fallback && legacy_object_built();
		struct kernel_check *k = add(c, n, max, h->tracepoint, nargs >= 0 || fallback);

		if (!k)
			return;
		if (nargs < 0)
			snprintf(k->result, sizeof(k->result),
				 "raw tracepoint MISSING (in Linux since %s): %s%s; memreap reads "
				 "%s",
				 h->since, fallback ? "fallback (legacy object): " : "",
				 fallback ? h->fallback : MR_NO_FALLBACK, h->reads);
		else
			snprintf(k->result, sizeof(k->result), "raw tracepoint %s; memreap reads %s%s%s",
				 args, h->reads, nargs > h->nargs && h->more_args ? "; " : "",
				 nargs > h->nargs && h->more_args ? h->more_args : "");
	}
}

static bool has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t)
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

static void check_counters(const struct btf *btf, struct kernel_check *c, int *n, int max)
{
	bool atomic = btf__find_by_name_kind(btf, "mm_rss_stat", BTF_KIND_STRUCT) >= 0;
	bool split = has_member(btf, "task_struct", "rss_stat");
	struct kernel_check *k = add(c, n, max, "rss counters", true);

	if (!k)
		return;
	if (atomic)
		snprintf(
		    k->result, sizeof(k->result),
		    "atomic per member (struct mm_rss_stat, before 6.2): read directly%s",
		    split ? "; each thread caches up to 64 page faults before its mm's counter "
			    "sees them (SPLIT_RSS_COUNTING), so a start-up baseline can be short "
			    "by that much, counted as faulted_in when flushed"
			  : "");
	else
		snprintf(
		    k->result, sizeof(k->result),
		    "percpu_counter per member (6.2 and later): an event books its CPU's delta and "
		    "the shared count (O(1)); a full sum over the %d possible CPUs only at a CPU's "
		    "first event of an mm and to reconcile a ledger's end (offsets learnt from a "
		    "per-CPU map)",
		    libbpf_num_possible_cpus());
}

/* A probe loads BPF: without the privileges it fails whatever the kernel has, so none is made. */
static void check_features(struct kernel_check *c, int *n, int max, bool privileged)
{
	for (size_t i = 0; i < nfeatures; i++) {
		int found = privileged ? features[i].probe() : 1;
		bool fallback = features[i].fallback && legacy_object_built();
		struct kernel_check *k = add(c, n, max, features[i].name, found == 1 || fallback);

		if (!k)
			continue;
		k->unchecked = !privileged;
		if (!privileged)
			snprintf(k->result, sizeof(k->result), "%s", KERNEL_CHECK_NEEDS_PRIVILEGES);
		else if (found == 1)
			snprintf(k->result, sizeof(k->result), "present: %s, %s (%s+)",
				 features[i].ident, features[i].what, features[i].since);
		else if (found == 0)
			snprintf(k->result, sizeof(k->result), "missing: %s (Linux %s+), %s; %s%s",
				 features[i].ident, features[i].since, features[i].what,
				 fallback ? "fallback (legacy object): " : "",
				 fallback ? features[i].fallback : MR_NO_FALLBACK);
		else
			snprintf(k->result, sizeof(k->result), "cannot probe (root needed)");
	}
}

/* Not needed, only faster: never a failure. */
static void check_direct_loads(struct kernel_check *c, int *n, int max, bool privileged)
{
	int found = privileged ? probe_direct_loads() : -1;
	struct kernel_check *k = add(c, n, max, "direct loads", true);

	if (!k)
		return;
	k->unchecked = !privileged;
	if (!privileged)
		snprintf(k->result, sizeof(k->result), "%s", KERNEL_CHECK_NEEDS_PRIVILEGES);
	else if (found == 1)
		snprintf(k->result, sizeof(k->result), "present: %s", DIRECT_LOADS_WHAT);
	else
		snprintf(k->result, sizeof(k->result),
			 "absent (raw tracepoints may not call bpf_rdonly_cast() here): "
			 "bpf_probe_read_kernel() copies those words, the same numbers at about "
			 "20 ns more per event");
}

int collector_kernel_checks(struct kernel_check *c, int max)
{
	const char *path = kernel_btf_path();
	struct kernel_check *k;
	struct utsname u;
	struct btf *btf;
	bool privileged;
	char why[320];
	int n = 0;

	uname(&u);
	k = add(c, &n, max, "kernel", true);
	snprintf(k->result, sizeof(k->result), "%s %s %s", u.sysname, u.release, u.machine);
	btf = btf__parse(path, NULL);
	k = add(c, &n, max, "BTF", btf != NULL);
	if (!btf) {
		int e = errno;

		/* a file this user may not read says nothing of the kernel */
		k->unchecked = e == EACCES || e == EPERM;
		k->ok = k->unchecked;
		snprintf(k->result, sizeof(k->result), "%s: %s (%s)", path, strerror(e),
			 k->unchecked ? "not checked: this user may not read it"
				      : "needs CONFIG_DEBUG_INFO_BTF=y, or MEMREAP_BTF=FILE");
		return n;
	}
	snprintf(k->result, sizeof(k->result), "%s (%u types)", path, btf__type_cnt(btf));
	check_hooks(btf, c, &n, max);
	check_counters(btf, c, &n, max);
	btf__free(btf);
	privileged = caps_check_observe(why, sizeof(why)) == 0;
	check_features(c, &n, max, privileged);
	check_direct_loads(c, &n, max, privileged);
	k = add(c, &n, max, "not used", true);
	if (k)
		snprintf(
		    k->result, sizeof(k->result),
		    "kprobes, fentry/fexit, tp_btf, LSM: no code path needs them (every hook is "
		    "a raw tracepoint), so none exists untested");
	return n;
}
