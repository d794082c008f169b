// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "top_view.h"
#include "util.h"

#define SZ 16

void top_header(const struct top_model *m, int width, struct top_header *h)
{
	struct top_figures f;

	top_model_figures(m, &f);
	top_header_lines(&f, width, h);
}

/*
 * PID to AGE take 76 cells; RSS-HISTORY takes what is left, up to one cell per refresh kept. A
 * narrower screen drops the column: the numbers before it stay whole.
 */
#define ROW_NUMBERS 76
#define HISTORY_MIN 11 /* "RSS-HISTORY" */

static int history_width(int width)
{
	int w = width - ROW_NUMBERS - 1;

	return w < HISTORY_MIN ? 0 : w > TOP_HISTORY ? TOP_HISTORY : w;
}

void top_table_header(int width, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%7s %-15s %-8s %6s %6s %8s %6s %6s %6s", "PID", "COMM",
			 "INTERP", "RSS", "PEAK", "RELEASED", "KERNEL", "FREED", "AGE");

	if (history_width(width) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " RSS-HISTORY");
}

void top_row_line(const struct top_row *r, uint64_t now_ns, int width, char *buf, size_t len)
{
	char comm[SZ], interp[SZ], rss[SZ], peak[SZ], self[SZ], kern[SZ], freed[SZ], a[SZ];
	char history[TOP_LINE];
	struct top_history history_bytes;
	int cells = history_width(width), n;

	n = snprintf(buf, len, "%7u %-15s %-8s %6s %6s %8s %6s %6s %6s", r->pid,
		     fit(r->comm, 15, comm, SZ), fit(r->interp, 8, interp, SZ),
		     compact_bytes(r->rss, rss, SZ), compact_bytes(r->peak, peak, SZ),
		     compact_bytes(r->self, self, SZ), compact_bytes(r->kernel_live, kern, SZ),
		     compact_bytes(r->freed, freed, SZ),
		     age(now_ns > r->start_ns ? now_ns - r->start_ns : 0, a, SZ));
	printable(buf);
	/* an AGE of 100 days is a cell wider: the history gives up its oldest cells, not its end */
	if (cells && text_cells(buf) > ROW_NUMBERS)
		cells -= text_cells(buf) - ROW_NUMBERS;
	if (cells < 1 || n < 0 || (size_t)n >= len)
		return;
	/* scaled to the row's own peak over the cells shown */
	top_rss_history_bytes(&r->rss_history, &history_bytes);
	sparkline(&history_bytes, cells, top_history_max(&history_bytes, cells), history,
		  sizeof(history));
	snprintf(buf + n, len - (size_t)n, " %s", history);
}

#define BATCH_RECENT 20

static void print_recent(FILE *f, const struct top_model *m, const char *filter, int width)
{
	char line[TOP_LINE];
	bool oom = false;

	fprintf(f, "\nRECENTLY ENDED\n");
	top_recent_header(width, line, sizeof(line));
	fprintf(f, "%s\n", line);
	for (size_t i = 0, shown = 0; i < m->nrecent && shown < BATCH_RECENT; i++) {
		if (!top_ended_matches(&m->recent[i], filter))
			continue;
		top_recent_line(&m->recent[i], width, line, sizeof(line));
		fprintf(f, "%s\n", line);
		oom |= m->recent[i].oom_killed;
		shown++;
	}
	if (oom)
		fprintf(f, "%s\n", TOP_OOM_LEGEND);
}

void top_print_batch(FILE *f, struct top_model *m, const struct top_options *o, int width)
{
	struct top_header h;
	char line[TOP_LINE];
	uint32_t *order;

	pthread_mutex_lock(&m->lock);
	top_header(m, width, &h);
	for (int i = 0; i < h.n; i++)
		fprintf(f, "%s\n", h.lines[i]);
	top_table_header(width, line, sizeof(line));
	fprintf(f, "\n%s\n", line);
	order = top_row_order(m->rows, m->nrows, o->sort, o->ascending);
	for (size_t i = 0; i < m->nrows; i++) {
		const struct top_row *r = top_row_at(m->rows, order, i);

		if (!top_row_matches(r, o->filter))
			continue;
		top_row_line(r, m->snapshot_ns, width, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	free(order);
	print_recent(f, m, o->filter, width);
	fprintf(f, "\n");
	fflush(f);
	pthread_mutex_unlock(&m->lock);
}

/* As top -b: $COLUMNS when it is a width the layout can take. */
static int batch_width(void)
{
	const char *columns = getenv("COLUMNS");
	long long width = columns ? parse_count(columns) : -1;

	return width >= 80 && width < TOP_LINE ? (int)width : 100;
}

int top_batch_run(struct top_model *m, const struct top_options *o, long long iterations)
{
	/* Generation 1 is the snapshot taken as the collector opened: it covers no time at all. */
	uint64_t shown = 1;
	int width = batch_width(), wait_ms = (int)(m->refresh_ns / 1000000) * 2 + 1000;

	for (long long i = 0; !iterations || i < iterations; i++) {
		shown = top_model_wait(m, shown, wait_ms);
		top_print_batch(stdout, m, o, width);
		if (ferror(stdout))
			return 1;
	}
	return 0;
}
