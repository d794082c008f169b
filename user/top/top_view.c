// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>
#include "top_format.h"
#include "top_view.h"
#include "util.h"

#define SZ 16

void top_title(const struct top_model *m, char *buf, size_t len)
{
	char up[SZ];

	snprintf(buf, len, "memreap top - up %s - %zu address spaces - refresh %.1fs",
		 age(m->snapshot_ns - m->started_ns, up, SZ), m->nrows, (double)m->refresh_ns / 1e9);
}

void top_rates(const struct top_model *m, char *buf, size_t len)
{
	char a[SZ], b[SZ], c[SZ], d[SZ], e[SZ], f[SZ], g[SZ], h[SZ];
	const struct top_totals *t = &m->totals, *r = &m->rate;

	snprintf(buf, len,
		 "self %s (%s/s) | kernel: exit %s (%s/s) exec %s (%s/s) pressure %s (%s/s) | exits %llu/s",
		 compact_bytes(t->self, a, SZ), compact_bytes(r->self, b, SZ),
		 compact_bytes(t->kernel_exit, c, SZ), compact_bytes(r->kernel_exit, d, SZ),
		 compact_bytes(t->kernel_exec, e, SZ), compact_bytes(r->kernel_exec, f, SZ),
		 compact_bytes(t->kernel_live, g, SZ), compact_bytes(r->kernel_live, h, SZ),
		 (unsigned long long)r->exits);
}

/* "freed 500M (1.2M/s) of 600M that left: 83%; still held 100M": freed, not just unmapped. */
void top_freed(const struct top_model *m, char *buf, size_t len)
{
	const struct top_totals *t = &m->totals;
	uint64_t left = t->self + t->kernel_exit + t->kernel_exec + t->kernel_live;
	uint64_t held = left > t->freed ? left - t->freed : 0;
	char a[SZ], b[SZ], c[SZ], d[SZ], pct[8];

	snprintf(buf, len, "freed %s (%s/s) of %s that left: %s | still held elsewhere %s",
		 compact_bytes(t->freed, a, SZ), compact_bytes(m->rate.freed, b, SZ),
		 compact_bytes(left, c, SZ), percent(t->freed, left, pct, sizeof(pct)),
		 compact_bytes(held, d, SZ));
}

void top_share(const struct top_model *m, int width, char *buf, size_t len)
{
	const struct top_totals *t = &m->totals;
	uint64_t kernel = t->kernel_exit + t->kernel_exec + t->kernel_live;
	char bar[TOP_LINE], pct[8];
	int bar_width = width - 17;

	percent(t->self, t->self + kernel, pct, sizeof(pct));
	if (bar_width > 60)
		bar_width = 60;
	snprintf(buf, len, "self share %s %s", share_bar(t->self, t->self + kernel,
							bar_width > 4 ? bar_width : 4, bar,
							sizeof(bar)), pct);
}

bool top_health(const struct top_model *m, char *buf, size_t len)
{
	const struct health *h = &m->health;
	char un[SZ];

	if (health_is_clean(h)) {
		snprintf(buf, len, "health: ok");
		return false;
	}
	snprintf(buf, len,
		 "health: ringbuf drops %llu, map full %llu, unattributed %s, lost %llu, "
		 "unfollowed %llu",
		 (unsigned long long)h->ringbuf_drops, (unsigned long long)h->map_full,
		 compact_bytes(h->unattributed_bytes, un, SZ), (unsigned long long)h->lost_ledgers,
		 (unsigned long long)h->unfollowed_releases);
	return true;
}

void top_table_header(char *buf, size_t len)
{
	snprintf(buf, len, "%7s %-15s %-8s %6s %6s %8s %6s %6s %6s", "PID", "COMM", "INTERP", "RSS",
		 "PEAK", "RELEASED", "KERNEL", "FREED", "AGE");
}

void top_row_line(const struct top_row *r, uint64_t now_ns, char *buf, size_t len)
{
	char comm[SZ], interp[SZ], rss[SZ], peak[SZ], self[SZ], kern[SZ], freed[SZ], a[SZ];

	snprintf(buf, len, "%7u %-15s %-8s %6s %6s %8s %6s %6s %6s", r->pid,
		 fit(r->comm, 15, comm, SZ), fit(r->interp, 8, interp, SZ),
		 compact_bytes(r->rss, rss, SZ), compact_bytes(r->peak, peak, SZ),
		 compact_bytes(r->self, self, SZ), compact_bytes(r->kernel_live, kern, SZ),
		 compact_bytes(r->freed, freed, SZ),
		 age(now_ns > r->start_ns ? now_ns - r->start_ns : 0, a, SZ));
	printable(buf);
}

void top_recent_header(char *buf, size_t len)
{
	snprintf(buf, len, "%7s %-15s %-8s %6s %6s %6s %6s  %s", "PID", "COMM", "END", "PEAK",
		 "SELF", "KERNEL", "FREED", "SELF|KERNEL");
}

void top_recent_line(const struct top_ended *e, int bar_width, char *buf, size_t len)
{
	char comm[SZ], end[SZ], peak[SZ], self[SZ], kern[SZ], freed[SZ], bar[TOP_LINE];

	if (e->end == MR_END_EXEC)
		snprintf(end, SZ, "exec");
	else if (e->signal >= 0)
		snprintf(end, SZ, "sig %d", e->signal);
	else
		snprintf(end, SZ, "exit %d", e->exit_code < 0 ? 0 : e->exit_code);
	snprintf(buf, len, "%7u %-15s %-8s %6s %6s %6s %6s  %s", e->pid, fit(e->comm, 15, comm, SZ),
		 end, compact_bytes(e->peak, peak, SZ), compact_bytes(e->self, self, SZ),
		 compact_bytes(e->kernel, kern, SZ), compact_bytes(e->freed, freed, SZ),
		 split_bar(e->self, e->kernel, 0, bar_width > 1 ? bar_width : 1, bar, sizeof(bar)));
	printable(buf);
}

void top_print_batch(FILE *f, struct top_model *m, enum top_sort by, bool ascending,
		     const char *filter)
{
	char line[TOP_LINE];

	pthread_mutex_lock(&m->lock);
	top_title(m, line, sizeof(line));
	fprintf(f, "%s\n", line);
	top_rates(m, line, sizeof(line));
	fprintf(f, "%s\n", line);
	top_freed(m, line, sizeof(line));
	fprintf(f, "%s\n", line);
	top_share(m, 60, line, sizeof(line));
	fprintf(f, "%s\n", line);
	top_health(m, line, sizeof(line));
	fprintf(f, "%s\n\n", line);
	top_table_header(line, sizeof(line));
	fprintf(f, "%s\n", line);
	top_sort_rows(m->rows, m->nrows, by, ascending);
	for (size_t i = 0; i < m->nrows; i++) {
		if (!top_row_matches(&m->rows[i], filter))
			continue;
		top_row_line(&m->rows[i], m->snapshot_ns, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fprintf(f, "\nRECENTLY ENDED\n");
	top_recent_header(line, sizeof(line));
	fprintf(f, "%s\n", line);
	for (size_t i = 0; i < m->nrecent && i < 20; i++) {
		if (filter && *filter && !strstr(m->recent[i].comm, filter))
			continue;
		top_recent_line(&m->recent[i], 20, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fprintf(f, "\n");
	fflush(f);
	pthread_mutex_unlock(&m->lock);
}
