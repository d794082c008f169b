// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "document.h"
#include "interp.h"
#include "util.h"

void document_init_local(struct document *d)
{
	struct utsname u;

	memset(d, 0, sizeof(*d));
	snprintf(d->meta.schema, sizeof(d->meta.schema), "%s", MR_SCHEMA);
	snprintf(d->meta.memreap_version, sizeof(d->meta.memreap_version), "%s", MEMREAP_VERSION);
	if (uname(&u) == 0) {
		snprintf(d->meta.host, sizeof(d->meta.host), "%s", u.nodename);
		snprintf(d->meta.kernel, sizeof(d->meta.kernel), "%s", u.release);
	}
	d->meta.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	d->meta.boot_time_ns = (uint64_t)boot_to_wall_offset_ns();
	d->meta.started_ns = clock_ns(CLOCK_REALTIME);
}

void document_add(struct document *d, const struct ledger *l)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ledger *grown = realloc(d->ledgers, cap * sizeof(*grown));

		if (!grown) {
			fprintf(stderr, "memreap: out of memory\n");
			exit(1);
		}
		d->ledgers = grown;
		d->cap = cap;
	}
	ledger_copy(&d->ledgers[d->n++], l);
}

void document_free(struct document *d)
{
	for (size_t i = 0; i < d->n; i++)
		ledger_free(&d->ledgers[i]);
	free(d->ledgers);
	d->ledgers = NULL;
	d->n = d->cap = 0;
	free(d->samples);
	d->samples = NULL;
	d->nsamples = d->samples_cap = 0;
	free(d->events);
	d->events = NULL;
	d->nevents = d->events_cap = 0;
}

void document_totals(const struct document *d, struct ledger_sum *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < d->n; i++)
		ledger_sum_add(t, &d->ledgers[i]);
}

bool health_is_clean(const struct health *h)
{
	return !h->ringbuf_drops && !h->map_full && !h->unattributed_bytes && !h->lost_ledgers &&
	       !h->unfollowed_releases;
}

static const char *group_key(const struct ledger *l, enum group_by by, char *buf, size_t len)
{
	switch (by) {
	case BY_INTERPRETER:
		return l->interp.name[0] ? interp_text(&l->interp, buf, len) : "(none)";
	case BY_COMM:
		return l->comm;
	case BY_EXE:
		return l->exe && *l->exe ? l->exe : "?";
	case BY_CGROUP:
		return l->cgroup && *l->cgroup ? l->cgroup : "?";
	default:
		return "";
	}
}

int document_group(const struct document *d, enum group_by by, struct group **out, size_t *n)
{
	struct group *g = NULL;
	size_t len = 0;

	for (size_t i = 0; i < d->n; i++) {
		char buf[64];
		const char *key = group_key(&d->ledgers[i], by, buf, sizeof(buf));
		size_t j;

		for (j = 0; j < len && strcmp(g[j].key, key); j++)
			;
		if (j == len) {
			struct group *grown = realloc(g, (len + 1) * sizeof(*g));

			if (!grown) {
				groups_free(g, len);
				return -1;
			}
			g = grown;
			memset(&g[len], 0, sizeof(g[len]));
			g[len].key = strdup(key);
			len++;
		}
		ledger_sum_add(&g[j].sum, &d->ledgers[i]);
	}
	*out = g;
	*n = len;
	return 0;
}

void groups_free(struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].key);
	free(g);
}


const char *const sort_fields[] = {
	"peak", "self", "kernel", "kernel_exit", "kernel_live", "kernel_exec", "faulted", "freed",
	"ledgers", "pid", "start", "name", NULL,
};

int sort_field_index(const char *name)
{
	for (int i = 0; sort_fields[i]; i++)
		if (!strcmp(name, sort_fields[i]))
			return i;
	return -1;
}

static uint64_t sum_freed(const struct ledger_sum *s)
{
	uint64_t n = 0;

	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		n += cat_total(s->freed[c]);
	return n;
}

uint64_t ledger_sum_field(const struct ledger_sum *s, int field)
{
	switch (field) {
	case SORT_PEAK:
		return s->peak_rss;
	case SORT_SELF:
		return cat_total(s->bytes[CAT_SELF_RELEASED]);
	case SORT_KERNEL:
		return cat_total(s->bytes[CAT_KERNEL_LIVE]) + cat_total(s->bytes[CAT_KERNEL_EXIT]) +
		       cat_total(s->bytes[CAT_KERNEL_EXEC]);
	case SORT_KERNEL_EXIT:
		return cat_total(s->bytes[CAT_KERNEL_EXIT]);
	case SORT_KERNEL_LIVE:
		return cat_total(s->bytes[CAT_KERNEL_LIVE]);
	case SORT_KERNEL_EXEC:
		return cat_total(s->bytes[CAT_KERNEL_EXEC]);
	case SORT_FAULTED:
		return cat_total(s->bytes[CAT_FAULTED_IN]);
	case SORT_FREED:
		return sum_freed(s);
	case SORT_LEDGERS:
		return s->ledgers;
	}
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

struct order {
	int by; /* enum sort_field */
	int sign;
};

static int cmp_ledgers(const void *pa, const void *pb, void *arg)
{
	const struct ledger *a = pa, *b = pb;
	const struct order *o = arg;
	struct ledger_sum sa = { 0 }, sb = { 0 };
	int r;

	switch (o->by) {
	case SORT_PID:
		r = cmp_u64(a->pid, b->pid);
		break;
	case SORT_START:
		r = cmp_u64(a->start_ns, b->start_ns);
		break;
	case SORT_NAME:
		r = strcmp(a->comm, b->comm);
		break;
	default:
		ledger_sum_add(&sa, a);
		ledger_sum_add(&sb, b);
		r = cmp_u64(ledger_sum_field(&sa, o->by), ledger_sum_field(&sb, o->by));
	}
	if (!r)
		r = cmp_u64(a->id, b->id);
	return o->sign * r;
}

static int cmp_groups(const void *pa, const void *pb, void *arg)
{
	const struct group *a = pa, *b = pb;
	const struct order *o = arg;
	int r;

	if (o->by == SORT_NAME || o->by == SORT_PID || o->by == SORT_START)
		r = strcmp(a->key, b->key);
	else
		r = cmp_u64(ledger_sum_field(&a->sum, o->by), ledger_sum_field(&b->sum, o->by));
	if (!r)
		r = strcmp(a->key, b->key);
	return o->sign * r;
}

void sort_ledgers(struct ledger *l, size_t n, int field, bool ascending)
{
	struct order o = { field, ascending ? 1 : -1 };

	if (n > 1) /* qsort wants an array, and an empty document may have none */
		qsort_r(l, n, sizeof(*l), cmp_ledgers, &o);
}

void sort_groups(struct group *g, size_t n, int field, bool ascending)
{
	struct order o = { field, ascending ? 1 : -1 };

	if (n > 1)
		qsort_r(g, n, sizeof(*g), cmp_groups, &o);
}
