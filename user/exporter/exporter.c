// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include "caps.h"
#include "exporter.h"
#include "self_metrics.h"
#include "util.h"

static void on_end(const struct ledger *l, void *ctx)
{
	metrics_ended(((struct exporter *)ctx)->metrics, l);
}

struct pass {
	struct exporter *e;
	uint64_t tracked;
};

static void on_live(const struct ledger *l, void *ctx)
{
	struct pass *p = ctx;

	p->tracked++;
	metrics_live(p->e->metrics, l);
}

/* -1 when the file cannot be read (older kernels, or no procfs). */
static int bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void snapshot_put(struct snapshot_text *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1) {
		free(t->text);
		free(t);
	}
}

static void publish(struct exporter *e, char *text, size_t len, uint64_t generation)
{
	struct snapshot_text *t = malloc(sizeof(*t)), *old;

	if (!t) {
		free(text); /* keep serving the previous snapshot */
		return;
	}
	atomic_init(&t->refs, 1);
	t->generation = generation;
	t->text = text;
	t->len = len;
	pthread_mutex_lock(&e->lock);
	old = e->current;
	e->current = t;
	e->refreshed_ns = clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_unlock(&e->lock);
	snapshot_put(old);
}

/* The collector thread, once per refresh: render the metrics and publish them. */
static void refresh(void *ctx)
{
	struct exporter *e = ctx;
	struct metrics_state s = {.version = MEMREAP_VERSION, .kernel = e->kernel};
	struct self_stats self = {.refreshes = e->refreshes, .refresh_ns = e->refreshing_ns};
	struct pass p = {.e = e};
	uint64_t began = clock_ns(CLOCK_MONOTONIC);
	size_t len;
	char *text;

	collector_drain(e->ct.collector); /* ends first: a ledger gone from the map is handled */
	metrics_live_begin(e->metrics);
	collector_for_each_live(e->ct.collector, on_live, &p, false);
	metrics_live_end(e->metrics);
	s.tracked = p.tracked;
	collector_health(e->ct.collector, &s.health);
	s.bpf_stats_enabled = bpf_stats_enabled();
	s.nprograms = collector_program_stats(e->ct.collector, s.programs, METRICS_MAX_PROGRAMS);
	s.generation = ++e->generation;
	s.served = atomic_load(&e->served);
	text = metrics_render(e->metrics, &s, &len);
	self_stats_read(&self);
	if (text)
		text = self_metrics_append(text, &len, &self);
	if (text)
		publish(e, text, len, s.generation);
	e->refreshes++;
	e->refreshing_ns += clock_ns(CLOCK_MONOTONIC) - began;
}

int exporter_start(struct exporter *e, const struct collector_opts *co,
		   const struct metrics_opts *mo, char *err, size_t errlen)
{
	struct collector_handlers h = {.ledger_end = on_end, .ctx = e};
	struct collector_opts opts = co ? *co : (struct collector_opts){ 0 };
	struct utsname u;

	opts.no_argv = true; /* no metric carries a command line, and none is ever a label */
	pthread_mutex_init(&e->lock, NULL);
	atomic_init(&e->served, 0);
	snprintf(e->kernel, sizeof(e->kernel), "%s", uname(&u) ? "" : u.release);
	e->metrics = metrics_new(mo);
	e->ct.period_ns = e->refresh_ns;
	e->ct.tick = refresh;
	e->ct.ctx = e;
	/* The first refresh happens before the threads start: the first scrape has data. */
	if (collector_thread_start(&e->ct, &opts, &h, err, errlen)) {
		metrics_free(e->metrics);
		snapshot_put(e->current);
		return -1;
	}
	if (e->current)
		return 0;
	snprintf(err, errlen, "out of memory rendering the metrics");
	exporter_stop(e);
	return -1;
}

void exporter_stop(struct exporter *e)
{
	collector_thread_stop(&e->ct);
	metrics_free(e->metrics);
	snapshot_put(e->current);
	e->current = NULL;
}

struct snapshot_text *exporter_snapshot(struct exporter *e)
{
	struct snapshot_text *t;

	pthread_mutex_lock(&e->lock);
	t = e->current;
	atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&e->lock);
	return t;
}

void exporter_served(struct exporter *e, const struct snapshot_text *t)
{
	uint64_t seen = atomic_load(&e->served);

	while (seen < t->generation &&
	       !atomic_compare_exchange_weak(&e->served, &seen, t->generation))
		;
}

uint64_t exporter_staleness_ns(struct exporter *e)
{
	uint64_t at;

	pthread_mutex_lock(&e->lock);
	at = e->refreshed_ns;
	pthread_mutex_unlock(&e->lock);
	return clock_ns(CLOCK_MONOTONIC) - at;
}
