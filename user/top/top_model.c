// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "caps.h"
#include "top_model.h"
#include "util.h"

const char *const top_sort_names[NTOP_SORTS] = { "pid",	 "comm",   "rss", "peak",
						 "released", "kernel", "age" };

static bool wanted(const struct top_model *m, uint32_t pid, const char *comm)
{
	if (!m->npids && !m->comms)
		return true;
	for (size_t i = 0; i < m->npids; i++)
		if (m->pids[i] == pid)
			return true;
	for (char **c = m->comms; c && *c; c++)
		if (!strcmp(*c, comm))
			return true;
	return false;
}

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
	if (wanted(m, l->pid, l->comm)) {
		memmove(&m->recent[1], &m->recent[0], (TOP_RECENT - 1) * sizeof(m->recent[0]));
		m->recent[0] = e;
		if (m->nrecent < TOP_RECENT)
			m->nrecent++;
	}
	pthread_mutex_unlock(&m->lock);
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
	if (!l->pid || !wanted(s->m, l->pid, l->comm))
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

static void snapshot(struct top_model *m)
{
	struct snapshot s = { .m = m };
	struct top_totals t, old;
	uint64_t now = clock_ns(CLOCK_REALTIME), dt;
	struct top_row *stale;
	size_t nstale;

	collector_for_each_live(m->collector, take_row, &s, false);
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
	collector_health(m->collector, &m->health);
	m->snapshot_ns = now;
	m->generation++;
	pthread_mutex_unlock(&m->lock);
	free_rows(stale, nstale);
}

static void *collect(void *arg)
{
	struct top_model *m = arg;
	uint64_t next = 0;

	for (;;) {
		pthread_mutex_lock(&m->lock);
		bool stop = m->stop;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;
		if (clock_ns(CLOCK_MONOTONIC) >= next) {
			snapshot(m);
			next = clock_ns(CLOCK_MONOTONIC) + m->refresh_ns;
		}
		collector_poll(m->collector, 50);
	}
	return NULL;
}

int top_model_start(struct top_model *m, const struct collector_opts *o, char *err, size_t errlen)
{
	struct collector_handlers h = { .ledger_end = on_end, .ctx = m };

	pthread_mutex_init(&m->lock, NULL);
	m->started_ns = clock_ns(CLOCK_REALTIME);
	m->collector = collector_open(o, &h, err, errlen);
	if (!m->collector)
		return -1;
	/* Before the collector thread starts: capabilities are per thread. */
	if (caps_drop(CAPS_KEEP_OBSERVE, err, errlen)) {
		collector_close(m->collector);
		return -1;
	}
	if (pthread_create(&m->thread, NULL, collect, m)) {
		snprintf(err, errlen, "cannot start the collector thread: %s", strerror(errno));
		collector_close(m->collector);
		return -1;
	}
	return 0;
}

void top_model_stop(struct top_model *m)
{
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	collector_close(m->collector);
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

static enum top_sort sort_key;
static int sort_sign;

static uint64_t key_of(const struct top_row *r)
{
	switch (sort_key) {
	case SORT_PID:
		return r->pid;
	case SORT_RSS:
		return r->rss;
	case SORT_PEAK:
		return r->peak;
	case SORT_RELEASED:
		return r->self;
	case SORT_KERNEL:
		return r->kernel_live;
	case SORT_AGE:
		return UINT64_MAX - r->start_ns; /* older first when descending */
	default:
		return 0;
	}
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;
	int r;

	if (sort_key == SORT_COMM) {
		r = strcmp(a->comm, b->comm);
	} else {
		uint64_t x = key_of(a), y = key_of(b);

		r = x < y ? -1 : x > y;
	}
	if (!r)
		r = a->pid < b->pid ? -1 : a->pid > b->pid;
	return sort_sign * r;
}

void top_sort_rows(struct top_row *rows, size_t n, enum top_sort by, bool ascending)
{
	sort_key = by;
	sort_sign = ascending ? 1 : -1;
	if (n > 1) /* no rows yet: no array either */
		qsort(rows, n, sizeof(*rows), cmp_rows);
}

bool top_row_matches(const struct top_row *r, const char *filter)
{
	if (!filter || !*filter)
		return true;
	return strstr(r->comm, filter) || (r->exe && strstr(r->exe, filter)) ||
	       strstr(r->interp, filter) || (r->cgroup && strstr(r->cgroup, filter));
}
