// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger_bin.h"

/* Bits of the flags byte. */
#define FLAG_FROM_START	 0x1
#define FLAG_UNWATCHED	 0x2
#define FLAG_FREED_UNKNOWN 0x4
#define FLAG_END_INEXACT 0x8

/* After argv (added within format version 2; absent in older ledgers: unknown). */
enum oom_state {
	OOM_NO,
	OOM_KILLED,
	OOM_UNKNOWN,
};

/* The command line's state byte, after the names (added within format version 2). */
enum argv_state {
	ARGV_UNKNOWN,
	ARGV_WHOLE,
	ARGV_TRUNCATED,
};

struct out {
	unsigned char *p;
	size_t len;
};

static void put(struct out *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		o->p[o->len++] = (unsigned char)(v >> (8 * i));
}

static void put_u64s(struct out *o, const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, v[i], 8);
}

static void put_str(struct out *o, const char *s)
{
	size_t n = s ? strnlen(s, LEDGER_BIN_MAX_STR) : 0;

	put(o, n, 2);
	memcpy(o->p + o->len, s ? s : "", n);
	o->len += n;
}

static void put_argv(struct out *o, const struct cmdline *c)
{
	put(o, !c->args ? ARGV_UNKNOWN : c->truncated ? ARGV_TRUNCATED : ARGV_WHOLE, 1);
	put(o, c->args ? c->len : 0, 2);
	if (c->args)
		memcpy(o->p + o->len, c->args, c->len);
	o->len += c->args ? c->len : 0;
}

size_t ledger_to_bin(const struct ledger *l, unsigned char *buf)
{
	struct out o = { buf, 0 };
	unsigned flags = (l->observed_from_start ? FLAG_FROM_START : 0) |
			 (l->shutdown_unwatched ? FLAG_UNWATCHED : 0) |
			 (l->freed_unknown ? FLAG_FREED_UNKNOWN : 0) |
			 (l->end_inexact ? FLAG_END_INEXACT : 0);

	put(&o, l->id, 8);
	put(&o, l->parent_id, 8);
	put(&o, l->pid, 4);
	put(&o, l->ppid, 4);
	put(&o, (uint32_t)l->exit_code, 4);
	put(&o, (uint32_t)l->signal, 4);
	put(&o, l->end, 1);
	put(&o, flags, 1);
	put(&o, 0, 2);
	put(&o, l->start_ns, 8);
	put(&o, l->end_ns, 8);
	put(&o, l->peak_rss, 8);
	put(&o, l->vm_peak, 8);
	put(&o, l->vm_at_end, 8);
	put(&o, l->swap_at_end, 8);
	put(&o, l->shutdown_started_ns, 8);
	put(&o, l->rss_at_shutdown, 8);
	put_u64s(&o, &l->bytes[0][0], NCATEGORIES * MR_NKINDS);
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		put_u64s(&o, l->freed[c], MR_NKINDS);
	put_u64s(&o, l->by_call, MR_NCALLS);
	put_u64s(&o, l->shutdown_released, MR_NKINDS);
	put_str(&o, l->comm);
	put_str(&o, l->exe);
	put_str(&o, l->cgroup);
	put_str(&o, l->interp.name);
	put_str(&o, l->interp.version);
	put_argv(&o, &l->argv);
	put(&o, l->oom_unknown ? OOM_UNKNOWN : l->oom_killed ? OOM_KILLED : OOM_NO, 1);
	return o.len;
}

struct in {
	const unsigned char *p;
	size_t len, at;
	const char *short_at; /* the first field the payload ended in */
};

static uint64_t get(struct in *in, int bytes, const char *field)
{
	uint64_t v = 0;

	if (in->at + (size_t)bytes > in->len) {
		if (!in->short_at)
			in->short_at = field;
		in->at = in->len;
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)in->p[in->at + (size_t)i] << (8 * i);
	in->at += (size_t)bytes;
	return v;
}

static void get_u64s(struct in *in, uint64_t *v, size_t n, const char *field)
{
	for (size_t i = 0; i < n; i++)
		v[i] = get(in, 8, field);
}

/* A string into buf (len bytes with its NUL), or a copy owned by the caller when buf is NULL. */
static char *get_str(struct in *in, char *buf, size_t len, const char *field)
{
	size_t n = (size_t)get(in, 2, field);
	char *s = buf;

	if (in->at + n > in->len) {
		if (!in->short_at)
			in->short_at = field;
		n = 0;
	}
	if (!buf) {
		s = malloc(n + 1);
		len = n + 1;
		if (!s)
			return NULL;
	}
	snprintf(s, len, "%.*s", (int)n, (const char *)in->p + in->at);
	in->at += n;
	return s;
}

/* Absent in ledgers written before it: unknown. */
static int get_argv(struct in *in, struct cmdline *c)
{
	unsigned state;
	size_t n;

	if (in->at == in->len)
		return 0;
	state = (unsigned)get(in, 1, "argv");
	n = (size_t)get(in, 2, "argv");
	if (in->at + n > in->len) {
		if (!in->short_at)
			in->short_at = "argv";
		return 0;
	}
	in->at += n;
	if (state == ARGV_UNKNOWN)
		return 0;
	return cmdline_set(c, (const char *)in->p + in->at - n, n, state == ARGV_TRUNCATED);
}

/* Absent in ledgers written before it: unknown. */
static void get_oom(struct in *in, struct ledger *l)
{
	unsigned state = in->at == in->len ? OOM_UNKNOWN : (unsigned)get(in, 1, "oom_killed");

	l->oom_killed = state == OOM_KILLED;
	l->oom_unknown = state != OOM_NO && state != OOM_KILLED;
}

static void get_numbers(struct in *in, struct ledger *l)
{
	unsigned flags;

	l->id = get(in, 8, "id");
	l->parent_id = get(in, 8, "parent_id");
	l->pid = (uint32_t)get(in, 4, "pid");
	l->ppid = (uint32_t)get(in, 4, "ppid");
	l->exit_code = (int32_t)get(in, 4, "exit_code");
	l->signal = (int32_t)get(in, 4, "signal");
	l->end = (enum mr_end)get(in, 1, "end");
	flags = (unsigned)get(in, 1, "flags");
	get(in, 2, "flags");
	l->observed_from_start = flags & FLAG_FROM_START;
	l->shutdown_unwatched = flags & FLAG_UNWATCHED;
	l->freed_unknown = flags & FLAG_FREED_UNKNOWN;
	l->end_inexact = flags & FLAG_END_INEXACT;
	l->start_ns = get(in, 8, "start_ns");
	l->end_ns = get(in, 8, "end_ns");
	l->peak_rss = get(in, 8, "peak_rss_bytes");
	l->vm_peak = get(in, 8, "vm_peak_bytes");
	l->vm_at_end = get(in, 8, "vm_at_end_bytes");
	l->swap_at_end = get(in, 8, "swap_at_end_bytes");
	l->shutdown_started_ns = get(in, 8, "shutdown_started_ns");
	l->rss_at_shutdown = get(in, 8, "rss_at_shutdown_bytes");
	get_u64s(in, &l->bytes[0][0], NCATEGORIES * MR_NKINDS, "categories");
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		get_u64s(in, l->freed[c], MR_NKINDS, "freed");
	get_u64s(in, l->by_call, MR_NCALLS, "self_released_by_call");
	get_u64s(in, l->shutdown_released, MR_NKINDS, "shutdown_released");
}

/* What the JSON reader refuses, the binary one refuses too. */
static const char *invalid(const struct ledger *l)
{
	if (l->end > MR_END_EXEC)
		return "end is not alive, exit or exec";
	if (l->exit_code < -1 || l->exit_code > 255 || l->signal < -1 || l->signal > 255)
		return "exit_code or signal is not null or 0..255";
	if (ledger_overfreed_category(l) >= 0)
		return "freed is more than was released";
	return NULL;
}

int ledger_from_bin(const unsigned char *p, size_t len, struct ledger *l, char *err,
		    size_t errlen)
{
	struct in in = { p, len, 0, NULL };
	const char *why;
	int oom;

	memset(l, 0, sizeof(*l));
	get_numbers(&in, l);
	get_str(&in, l->comm, sizeof(l->comm), "comm");
	l->exe = get_str(&in, NULL, 0, "exe");
	l->cgroup = get_str(&in, NULL, 0, "cgroup");
	get_str(&in, l->interp.name, sizeof(l->interp.name), "interpreter");
	get_str(&in, l->interp.version, sizeof(l->interp.version), "interpreter");
	oom = get_argv(&in, &l->argv);
	get_oom(&in, l);
	why = in.short_at ? in.short_at : invalid(l);
	if (!why && l->exe && l->cgroup && !oom)
		return 0;
	if (in.short_at)
		snprintf(err, errlen, "binary ledger ends inside field \"%s\"", why);
	else
		snprintf(err, errlen, "binary ledger: %s", why ? why : "out of memory");
	ledger_free(l);
	return -1;
}
