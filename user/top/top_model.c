// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "top_model.h"
#include "util.h"

const char *const top_sort_names[TOP_NSORTS] = { "pid",	 "comm",   "rss", "peak",
						 "released", "kernel", "age" };

static void on_end(const struct ledger *l, void *ctx)
{
	struct top_model *m = ctx;
	struct top_ended e = { .pid = l->pid, .end = l->end, .exit_code = l->exit_code,
			       .signal = l->signal, .peak = l->peak_rss, .end_ns = l->end_ns };

	memcpy(e.comm, l->comm, sizeof(e.comm));
	e.self = cat_total(l->bytes[CAT_SELF_RELEASED]);
	e.kernel = ledger_kernel_total(l);
	e.freed = ledger_freed_total(l);
	pthread_mutex_lock(&m->lock);
	m->ended.self += e.self;
	m->ended.freed += e.freed;
	m->ended.kernel_exit += cat_total(l->bytes[CAT_KERNEL_EXIT]);
	m->ended.kernel_exec += cat_total(l->bytes[CAT_KERNEL_EXEC]);
	m->ended.kernel_live += cat_total(l->bytes[CAT_KERNEL_LIVE]);
	m->ended.exits += l->end == MR_END_EXIT;
	if (scope_accepts(&m->scope, l->pid, l->comm)) {
		memmove(&m->recent[1], &m->recent[0], (TOP_RECENT - 1) * sizeof(m->recent[0]));
		m->recent[0] = e;
		if (m->nrecent < TOP_RECENT)
			m->nrecent++;
	}
	if (l->end == MR_END_EXIT)
		scope_exit(&m->scope, l->pid, l->id);
	pthread_mutex_unlock(&m->lock);
}

/* The collector thread: --pid follows the process's descendants as run and record do. */
static void on_fork(uint32_t parent, uint32_t child, uint64_t child_ledger, void *ctx)
{
	struct top_model *m = ctx;

	scope_fork(&m->scope, parent, child, child_ledger);
}

struct snapshot {
	struct top_model *m;
	struct top_row *rows;
	size_t n, cap;
	struct top_totals live;
};

static void take_row(const struct ledger *l, void *ctx)
{
	struct snapshot *s = ctx;
	struct top_row *r;

	s->live.self += cat_total(l->bytes[CAT_SELF_RELEASED]);
	s->live.kernel_live += cat_total(l->bytes[CAT_KERNEL_LIVE]);
	s->live.kernel_exit += cat_total(l->bytes[CAT_KERNEL_EXIT]);
	s->live.kernel_exec += cat_total(l->bytes[CAT_KERNEL_EXEC]);
	s->live.freed += ledger_freed_total(l);
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
	r->exe = strdup(l->exe);
	r->cgroup = strdup(l->cgroup);
	r->rss = cat_total(l->bytes[CAT_RSS_AT_END]);
	r->peak = l->peak_rss;
	r->self = cat_total(l->bytes[CAT_SELF_RELEASED]);
	r->kernel_live = cat_total(l->bytes[CAT_KERNEL_LIVE]);
	r->freed = ledger_freed_total(l);
	r->start_ns = l->process_start_ns;
}

static void free_rows(struct top_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].exe);
		free(rows[i].cgroup);
	}
	free(rows);
}

static uint64_t per_second(uint64_t now, uint64_t before, uint64_t dt_ns)
{
	return now > before && dt_ns ? (uint64_t)((double)(now - before) * 1e9 / (double)dt_ns) : 0;
}

/* The collector thread, once per refresh: a snapshot of every live ledger. */
static void snapshot(void *ctx)
{
	struct top_model *m = ctx;
	struct snapshot s = { .m = m };
	struct top_totals t, old;
	uint64_t now = clock_ns(CLOCK_REALTIME), dt;
	struct top_row *stale;
	size_t nstale;

	collector_for_each_live(m->ct.collector, take_row, &s, false);
	pthread_mutex_lock(&m->lock);
	t = m->ended;
	t.self += s.live.self;
	t.kernel_exit += s.live.kernel_exit;
	t.kernel_exec += s.live.kernel_exec;
	t.kernel_live += s.live.kernel_live;
	t.freed += s.live.freed;
	old = m->totals;
	dt = m->snapshot_ns ? now - m->snapshot_ns : 0;
	m->rate.self = per_second(t.self, old.self, dt);
	m->rate.kernel_exit = per_second(t.kernel_exit, old.kernel_exit, dt);
	m->rate.kernel_exec = per_second(t.kernel_exec, old.kernel_exec, dt);
	m->rate.kernel_live = per_second(t.kernel_live, old.kernel_live, dt);
	m->rate.freed = per_second(t.freed, old.freed, dt);
	m->rate.exits = per_second(t.exits, old.exits, dt);
	m->totals = t;
	stale = m->rows;
	nstale = m->nrows;
	m->rows = s.rows;
	m->nrows = s.n;
	collector_health(m->ct.collector, &m->health);
	m->snapshot_ns = now;
	m->generation++;
	pthread_mutex_unlock(&m->lock);
	free_rows(stale, nstale);
}

int top_model_start(struct top_model *m, const struct collector_opts *o, char *err, size_t errlen)
{
	struct collector_handlers h = { .ledger_end = on_end, .fork = on_fork, .ctx = m };

	pthread_mutex_init(&m->lock, NULL);
	m->started_ns = clock_ns(CLOCK_REALTIME);
	m->ct.period_ns = m->refresh_ns;
	m->ct.tick = snapshot;
	m->ct.ctx = m;
	return collector_thread_start(&m->ct, o, &h, err, errlen);
}

void top_model_stop(struct top_model *m)
{
	collector_thread_stop(&m->ct);
	scope_free(&m->scope);
	free_rows(m->rows, m->nrows);
	m->rows = NULL;
	m->nrows = 0;
}

void top_model_wait(struct top_model *m, uint64_t generation, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		pthread_mutex_lock(&m->lock);
		bool fresh = m->generation > generation;
		pthread_mutex_unlock(&m->lock);
		if (fresh)
			return;
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

struct row_order {
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
	const struct top_row *a = pa, *b = pb;
	const struct row_order *o = arg;
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

void top_sort_rows(struct top_row *rows, size_t n, enum top_sort by, bool ascending)
{
	struct row_order o = { by, ascending ? 1 : -1 };

	if (n > 1) /* no rows yet: no array either */
		qsort_r(rows, n, sizeof(*rows), cmp_rows, &o);
}

bool top_row_matches(const struct top_row *r, const char *filter)
{
	if (!filter || !*filter)
		return true;
	return strstr(r->comm, filter) || (r->exe && strstr(r->exe, filter)) ||
	       strstr(r->interp, filter) || (r->cgroup && strstr(r->cgroup, filter));
}
