// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "top_model.h"
#include "util.h"

const char *const top_sort_names[TOP_NSORTS] = { "pid",	 "comm",   "rss", "peak",
						 "released", "kernel", "age" };

/* One ledger's figures, as a chain of one image. */
static void ended_from_ledger(struct top_ended *e, const struct ledger *l, bool accepted)
{
	memset(e, 0, sizeof(*e));
	e->pid = l->pid;
	e->process_start_ns = l->process_start_ns;
	e->first_start_ns = l->start_ns;
	memcpy(e->comms[0], l->comm, MR_COMM_LEN);
	e->images = 1;
	e->accepted = accepted;
	e->end = l->end;
	e->exit_code = l->exit_code;
	e->signal = l->signal;
	e->oom_killed = ledger_oom_killed(l);
	e->peak = l->peak_rss;
	e->self = cat_total(l->bytes[CAT_SELF_RELEASED]);
	e->kernel = ledger_kernel_total(l);
	e->freed = ledger_freed_total(l);
	e->end_ns = l->end_ns;
}

/* pid and start time: a pid reused by another process is another process. */
static bool same_process(const struct top_ended *a, const struct top_ended *b)
{
	return a->pid == b->pid && a->process_start_ns == b->process_start_ns;
}

static bool take_pending(struct top_collecting *c, const struct top_ended *e,
			 struct top_ended *chain)
{
	for (size_t i = 0; i < c->npending; i++) {
		if (!same_process(&c->pending[i], e))
			continue;
		*chain = c->pending[i];
		c->pending[i] = c->pending[--c->npending];
		return true;
	}
	return false;
}

static void put_pending(struct top_collecting *c, const struct top_ended *chain)
{
	size_t slot = c->npending;

	if (slot == TOP_PENDING) { /* the oldest goes: a process that has run its image longest */
		slot = 0;
		for (size_t i = 1; i < TOP_PENDING; i++)
			if (c->pending[i].end_ns < c->pending[slot].end_ns)
				slot = i;
	} else {
		c->npending++;
	}
	c->pending[slot] = *chain;
}

static void publish(struct top_collecting *c, const struct top_ended *chain)
{
	if (!chain->accepted)
		return;
	memmove(&c->recent[1], &c->recent[0], (TOP_RECENT - 1) * sizeof(c->recent[0]));
	c->recent[0] = *chain;
	if (c->nrecent < TOP_RECENT)
		c->nrecent++;
}

/*
 * An image's ledger that arrives after its process's last one (held in the BPF overflow map, or
 * its mm let go late by another holder) joins the row already shown.
 */
static bool join_shown(struct top_collecting *c, const struct top_ended *e)
{
	for (size_t i = 0; i < c->nrecent; i++) {
		struct top_ended *shown = &c->recent[i];

		if (same_process(shown, e) && e->first_start_ns < shown->first_start_ns) {
			top_chain_prepend(shown, e);
			return true;
		}
	}
	return false;
}

/* An exec chain waits, out of the pane, until its last image ends. */
static void add_to_chains(struct top_collecting *c, const struct top_ended *e)
{
	struct top_ended chain;

	if (!e->pid || !take_pending(c, e, &chain)) {
		if (e->pid && e->end == MR_END_EXEC && join_shown(c, e))
			return;
		top_chain_init(&chain, e);
	} else if (e->first_start_ns < chain.first_start_ns) {
		top_chain_prepend(&chain, e);
	} else {
		top_chain_append(&chain, e);
	}
	if (chain.end == MR_END_EXEC && chain.pid)
		put_pending(c, &chain);
	else
		publish(c, &chain);
}

/* Of the bytes freed, those the kernel took: at exit, at exec, under pressure. */
static uint64_t kernel_freed(const struct ledger *l)
{
	return cat_total(l->freed[CAT_KERNEL_EXIT]) + cat_total(l->freed[CAT_KERNEL_EXEC]) +
	       cat_total(l->freed[CAT_KERNEL_LIVE]);
}

/* The collector thread (or the main one while the collector opens): no lock needed. */
static void on_end(const struct ledger *l, void *ctx)
{
	struct top_model *m = ctx;
	struct top_collecting *c = &m->collecting;
	struct top_ended e;

	ended_from_ledger(&e, l, scope_accepts(&m->scope, l->pid, l->comm));
	c->ended.self += e.self;
	c->ended.freed += e.freed;
	c->ended.kernel_freed += kernel_freed(l);
	c->ended.kernel_exit += cat_total(l->bytes[CAT_KERNEL_EXIT]);
	c->ended.kernel_exec += cat_total(l->bytes[CAT_KERNEL_EXEC]);
	c->ended.kernel_live += cat_total(l->bytes[CAT_KERNEL_LIVE]);
	c->ended.exits += l->end == MR_END_EXIT;
	add_to_chains(c, &e);
	if (l->end == MR_END_EXIT)
		scope_exit(&m->scope, l->pid, l->id);
}

/* The collector thread: --pid follows the process's descendants as run and record do. */
static void on_fork(uint32_t parent, uint32_t child, uint64_t child_ledger, void *ctx)
{
	struct top_model *m = ctx;

	scope_fork(&m->scope, parent, child, child_ledger);
}

/*
 * The exe and cgroup names of one snapshot's rows, each kept once: 10,000 processes run few
 * executables in few cgroups, and a copy a row was 20,000 allocations a refresh. A name is found
 * again by its hash in a small table; a name that lost its slot to another is copied again.
 */
#define NAME_BLOCK 16384
#define NAME_SLOTS 1024

struct top_names {
	struct top_names *next; /* blocks, the newest first */
	size_t used, size;
	char text[];
};

struct names {
	struct top_names *blocks, *spare; /* spare: the blocks of the last snapshot but one */
	const char *slots[NAME_SLOTS];
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static struct top_names *name_block(struct names *n, size_t len)
{
	struct top_names *b = n->spare;
	size_t size = len > NAME_BLOCK ? len : NAME_BLOCK;

	if (b && b->size >= len) {
		n->spare = b->next;
	} else if (!(b = malloc(sizeof(*b) + size))) {
		return NULL;
	} else {
		b->size = size;
	}
	b->next = n->blocks;
	b->used = 0;
	n->blocks = b;
	return b;
}

/* NULL when out of memory: the row matches no filter on it. */
static char *name_of(struct names *n, const char *s)
{
	const char **slot = &n->slots[name_hash(s) % NAME_SLOTS];
	size_t len = strlen(s) + 1;
	struct top_names *b = n->blocks;
	char *copy;

	if (*slot && !strcmp(*slot, s))
		return (char *)*slot;
	if ((!b || b->size - b->used < len) && !(b = name_block(n, len)))
		return NULL;
	copy = memcpy(b->text + b->used, s, len);
	b->used += len;
	*slot = copy;
	return copy;
}

static void free_names(struct top_names *b)
{
	while (b) {
		struct top_names *next = b->next;

		free(b);
		b = next;
	}
}

struct snapshot {
	struct top_model *m;
	struct top_row *rows;
	size_t n, cap;
	struct names names;
	struct top_totals live;
};

/*
 * The rows array the view no longer shows is the next snapshot's: two arrays in all. Allocating
 * one a refresh and freeing the last left the allocator holding a third, and more (the new one
 * never fits where the last one was). It takes a little more than the last snapshot's rows, so
 * that it seldom grows (a realloc copies: both sizes at once).
 */
static void reserve_rows(struct snapshot *s, struct top_collecting *c, size_t before)
{
	size_t want = before + before / 8 + 64;

	s->names.spare = c->spare_names;
	c->spare_names = NULL;
	s->rows = c->spare;
	s->cap = c->spare_cap;
	c->spare = NULL;
	if (s->cap >= want)
		return;
	free(s->rows);
	s->rows = malloc(want * sizeof(*s->rows));
	s->cap = s->rows ? want : 0;
}

/* After the swap: what the view showed until now is spare. */
static void keep_spare(struct snapshot *s, struct top_collecting *c, struct top_row *stale,
		       struct top_names *stale_names)
{
	c->spare = stale;
	c->spare_cap = c->shown_cap;
	c->shown_cap = s->cap;
	free_names(s->names.spare); /* blocks this snapshot did not need */
	c->spare_names = stale_names;
}

static void take_row(const struct ledger *l, void *ctx)
{
	struct snapshot *s = ctx;
	struct top_row *r;

	s->live.self += cat_total(l->bytes[CAT_SELF_RELEASED]);
	s->live.kernel_live += cat_total(l->bytes[CAT_KERNEL_LIVE]);
	s->live.kernel_exit += cat_total(l->bytes[CAT_KERNEL_EXIT]);
	s->live.kernel_exec += cat_total(l->bytes[CAT_KERNEL_EXEC]);
	s->live.freed += ledger_freed_total(l);
	s->live.kernel_freed += kernel_freed(l);
	if (!l->pid || !scope_accepts(&s->m->scope, l->pid, l->comm))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct top_row *grown = realloc(s->rows, cap * sizeof(*grown));

		if (!grown)
			return;
		s->rows = grown;
		s->cap = cap;
	}
	r = &s->rows[s->n++];
	memset(r, 0, sizeof(*r));
	r->pid = l->pid;
	memcpy(r->comm, l->comm, sizeof(r->comm));
	snprintf(r->interp, sizeof(r->interp), "%s", l->interp.name);
	r->exe = name_of(&s->names, l->exe);
	r->cgroup = name_of(&s->names, l->cgroup);
	r->rss = cat_total(l->bytes[CAT_RSS_AT_END]);
	r->peak = l->peak_rss;
	r->self = cat_total(l->bytes[CAT_SELF_RELEASED]);
	r->kernel_live = cat_total(l->bytes[CAT_KERNEL_LIVE]);
	r->freed = ledger_freed_total(l);
	r->start_ns = l->process_start_ns;
	r->ledger_id = l->id;
}

static int cmp_ledger_ids(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;

	return a->ledger_id < b->ledger_id ? -1 : a->ledger_id > b->ledger_id;
}

/*
 * In ledger order, each ledger once: the map's walk starts over when the key it stood on is
 * deleted (a process ended meanwhile), and then reads the ledgers before it again. One read of
 * each stays (they are milliseconds apart). Returns the rows left.
 */
static size_t ledger_order(struct top_row *rows, size_t n)
{
	size_t kept = 0;

	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_ledger_ids);
	for (size_t i = 0; i < n; i++) {
		if (kept && rows[kept - 1].ledger_id == rows[i].ledger_id)
			kept--;
		rows[kept++] = rows[i];
	}
	return kept;
}

/*
 * Each row's RSS history: its ledger's in the last snapshot, then its RSS now. Both snapshots are
 * in ledger order; a ledger that ended takes its history with it. The last snapshot's rows are
 * only ever written by this thread: they are read without the lock.
 */
static void follow_histories(const struct top_row *before, size_t nbefore, struct top_row *rows,
			     size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		while (j < nbefore && before[j].ledger_id < rows[i].ledger_id)
			j++;
		if (j < nbefore && before[j].ledger_id == rows[i].ledger_id)
			rows[i].rss_history = before[j].rss_history;
		top_rss_history_push(&rows[i].rss_history, rows[i].rss);
	}
}

static uint64_t per_second(uint64_t now, uint64_t before, uint64_t dt_ns)
{
	return now > before && dt_ns ? (uint64_t)((double)(now - before) * 1e9 / (double)dt_ns) : 0;
}

static void add_totals(struct top_totals *t, const struct top_totals *more)
{
	t->self += more->self;
	t->kernel_exit += more->kernel_exit;
	t->kernel_exec += more->kernel_exec;
	t->kernel_live += more->kernel_live;
	t->freed += more->freed;
	t->exits += more->exits;
	t->kernel_freed += more->kernel_freed;
}

static void set_rates(struct top_model *m, const struct top_totals *t, uint64_t dt)
{
	const struct top_totals *old = &m->totals;

	m->rate.self = per_second(t->self, old->self, dt);
	m->rate.kernel_exit = per_second(t->kernel_exit, old->kernel_exit, dt);
	m->rate.kernel_exec = per_second(t->kernel_exec, old->kernel_exec, dt);
	m->rate.kernel_live = per_second(t->kernel_live, old->kernel_live, dt);
	m->rate.freed = per_second(t->freed, old->freed, dt);
	m->rate.exits = per_second(t->exits, old->exits, dt);
	m->rate.kernel_freed = per_second(t->kernel_freed, old->kernel_freed, dt);
	if (!dt) /* the first snapshot covers no time: no rate yet */
		return;
	top_history_push(&m->self_rates, m->rate.self);
	top_history_push(&m->kernel_freed_rates, m->rate.kernel_freed);
}

/*
 * The collector thread, once per refresh: one snapshot that the header, the table and the pane
 * all show. Ended ledgers are handled first, then the live ones read: a ledger is in one of the
 * two, never both (one that ends between them is missing from this snapshot only).
 */
static void snapshot(void *ctx)
{
	struct top_model *m = ctx;
	struct top_collecting *c = &m->collecting;
	struct snapshot s = { .m = m };
	struct top_totals t;
	struct top_row *stale;
	struct top_names *stale_names;
	uint64_t now;

	collector_drain(m->ct.collector);
	reserve_rows(&s, c, m->nrows);
	collector_for_each_live(m->ct.collector, take_row, &s, false);
	s.n = ledger_order(s.rows, s.n);
	follow_histories(m->rows, m->nrows, s.rows, s.n);
	now = clock_ns(CLOCK_REALTIME);
	t = c->ended;
	add_totals(&t, &s.live);
	pthread_mutex_lock(&m->lock);
	set_rates(m, &t, m->snapshot_ns ? now - m->snapshot_ns : 0);
	m->totals = t;
	memcpy(m->recent, c->recent, c->nrecent * sizeof(c->recent[0]));
	m->nrecent = c->nrecent;
	stale = m->rows;
	stale_names = m->names;
	m->rows = s.rows;
	m->nrows = s.n;
	m->names = s.names.blocks;
	collector_health(m->ct.collector, &m->health);
	m->snapshot_ns = now;
	m->generation++;
	pthread_mutex_unlock(&m->lock);
	keep_spare(&s, c, stale, stale_names);
}

void top_model_figures(const struct top_model *m, struct top_figures *f)
{
	f->totals = m->totals;
	f->rate = m->rate;
	f->self_rates = m->self_rates;
	f->kernel_freed_rates = m->kernel_freed_rates;
	f->health = m->health;
	f->uptime_ns = m->snapshot_ns > m->started_ns ? m->snapshot_ns - m->started_ns : 0;
	f->refresh_ns = m->refresh_ns;
	f->spaces = m->nrows;
}

int top_model_start(struct top_model *m, const struct collector_opts *o, char *err, size_t errlen)
{
	struct collector_handlers h = { .ledger_end = on_end, .fork = on_fork, .ctx = m };

	pthread_mutex_init(&m->lock, NULL);
	m->started_ns = clock_ns(CLOCK_REALTIME);
	m->ct.period_ns = m->refresh_ns;
	m->ct.tick = snapshot;
	m->ct.ctx = m;
	if (collector_thread_start(&m->ct, o, &h, err, errlen))
		return -1;
	/*
	 * An allocator knob, once: loading the BPF object (libbpf parses the kernel's BTF) leaves
	 * free MBs in the heap that glibc keeps, as its trim threshold grew to twice the largest
	 * mmapped chunk freed (the BTF's 5 MB). 1 MiB less RSS with 10,000 processes.
	 */
	malloc_trim(0);
	return 0;
}

void top_model_stop(struct top_model *m)
{
	collector_thread_stop(&m->ct);
	scope_free(&m->scope);
	free(m->rows);
	free_names(m->names);
	free(m->collecting.spare);
	free_names(m->collecting.spare_names);
	m->rows = m->collecting.spare = NULL;
	m->nrows = 0;
	m->names = m->collecting.spare_names = NULL;
}

uint64_t top_model_wait(struct top_model *m, uint64_t generation, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000000 };
	uint64_t latest;

	for (int waited = 0;; waited += 10) {
		pthread_mutex_lock(&m->lock);
		latest = m->generation;
		pthread_mutex_unlock(&m->lock);
		if (latest > generation || waited >= timeout_ms)
			return latest;
		nanosleep(&ts, NULL);
	}
}

struct row_order {
	const struct top_row *rows;
	enum top_sort by;
	int sign;
};

static uint64_t row_value(const struct top_row *r, enum top_sort by)
{
	switch (by) {
	case TOP_SORT_PID:
		return r->pid;
	case TOP_SORT_RSS:
		return r->rss;
	case TOP_SORT_PEAK:
		return r->peak;
	case TOP_SORT_RELEASED:
		return r->self;
	case TOP_SORT_KERNEL:
		return r->kernel_live;
	case TOP_SORT_AGE:
		return UINT64_MAX - r->start_ns; /* older first when descending */
	default:
		return 0;
	}
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct row_order *o = arg;
	const struct top_row *a = &o->rows[*(const uint32_t *)pa];
	const struct top_row *b = &o->rows[*(const uint32_t *)pb];
	int r;

	if (o->by == TOP_SORT_COMM) {
		r = strcmp(a->comm, b->comm);
	} else {
		uint64_t x = row_value(a, o->by), y = row_value(b, o->by);

		r = x < y ? -1 : x > y;
	}
	if (!r)
		r = a->pid < b->pid ? -1 : a->pid > b->pid;
	return o->sign * r;
}

uint32_t *top_row_order(const struct top_row *rows, size_t n, enum top_sort by, bool ascending)
{
	struct row_order o = { rows, by, ascending ? 1 : -1 };
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	if (n > 1)
		qsort_r(order, n, sizeof(*order), cmp_rows, &o);
	return order;
}

bool top_row_matches(const struct top_row *r, const char *filter)
{
	if (!filter || !*filter)
		return true;
	return strstr(r->comm, filter) || (r->exe && strstr(r->exe, filter)) ||
	       strstr(r->interp, filter) || (r->cgroup && strstr(r->cgroup, filter));
}
