// SPDX-License-Identifier: GPL-2.0
/*
 * report --format html: one self-contained page (no script, no network, the system's fonts):
 * the resident memory of the largest ledgers over time as a stacked chart in inline SVG, their
 * exits marked with who released what, the process tree with its verdict, and health.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "out.h"
#include "sample.h"
#include "select.h"
#include "u64map.h"
#include "util.h"

#define SZ 16
#define CHART_W 1000.0
#define CHART_H 320.0
#define DEFAULT_SERIES 8

static const char *const colors[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
};

/* A ledger's resident bytes over time: its baseline at its start, its samples, 0 at its end. */
struct series {
	const struct ledger *l;
	uint64_t *ts, *rss;
	size_t n, cap;
};

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static void series_add(struct series *s, uint64_t ts, uint64_t rss)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		uint64_t *t = realloc(s->ts, cap * sizeof(*t)), *r;

		if (!t)
			return;
		s->ts = t;
		if (!(r = realloc(s->rss, cap * sizeof(*r))))
			return;
		s->rss = r;
		s->cap = cap;
	}
	s->ts[s->n] = ts;
	s->rss[s->n++] = rss;
}

static uint64_t resident(const uint64_t rss[MR_NKINDS])
{
	return rss[MR_ANON] + rss[MR_FILE] + rss[MR_SHMEM];
}

static void build_series(struct series *s, size_t n, const struct document *d, uint64_t end)
{
	struct u64map index = { 0 };
	uint64_t i;

	for (size_t k = 0; k < n; k++) {
		series_add(&s[k], s[k].l->start_ns, resident(s[k].l->bytes[CAT_BASELINE]));
		u64map_put(&index, s[k].l->id, k + 1, NULL);
	}
	for (size_t j = 0; j < d->nsamples; j++)
		if (u64map_get(&index, d->samples[j].ledger_id, &i))
			series_add(&s[i - 1], d->samples[j].ts_ns, resident(d->samples[j].rss));
	for (size_t k = 0; k < n; k++)
		series_add(&s[k], s[k].l->end == MR_END_ALIVE ? end : s[k].l->end_ns,
			   s[k].l->end == MR_END_ALIVE ? resident(s[k].l->bytes[CAT_RSS_AT_END]) : 0);
	u64map_free(&index);
}

struct axes {
	uint64_t t0, t1, top;
};

static double x_of(const struct axes *a, uint64_t t)
{
	return a->t1 > a->t0 ? (double)(t - a->t0) / (double)(a->t1 - a->t0) * CHART_W : 0;
}

static double y_of(const struct axes *a, uint64_t v)
{
	return CHART_H - (a->top ? (double)v / (double)a->top * CHART_H : 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every point in time of every series, sorted. */
static size_t all_times(const struct series *s, size_t n, uint64_t **out)
{
	size_t total = 0, at = 0;

	for (size_t k = 0; k < n; k++)
		total += s[k].n;
	*out = malloc((total + 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s[k].n; i++)
			(*out)[at++] = s[k].ts[i];
	qsort(*out, at, sizeof(**out), cmp_u64);
	return at;
}

/*
 * The stacked values at every point in time: stack[k * nt + i] is the sum of series 0 to k at
 * times[i], each a step function (its last point at or before the time; 0 before its start).
 * One cursor per series: O(points x series).
 */
static uint64_t *stack_values(const struct series *s, size_t n, const uint64_t *times, size_t nt)
{
	uint64_t *stack = calloc(n * nt + 1, sizeof(*stack));
	size_t at;

	for (size_t k = 0; stack && k < n; k++) {
		at = 0;
		for (size_t i = 0; i < nt; i++) {
			uint64_t v;

			while (at < s[k].n && s[k].ts[at] <= times[i])
				at++;
			v = at ? s[k].rss[at - 1] : 0;
			stack[k * nt + i] = v + (k ? stack[(k - 1) * nt + i] : 0);
		}
	}
	return stack;
}

/* Series k on those before it: a step area from the lower edge to the upper. */
static void print_band(FILE *f, const struct axes *a, const struct series *s, size_t k,
		       const uint64_t *times, size_t nt, const uint64_t *stack)
{
	const uint64_t *up = stack + k * nt, *low = k ? stack + (k - 1) * nt : NULL;

	fprintf(f, "<path class=\"band\" data-pid=\"%u\" fill=\"%s\" d=\"M%.1f %.1f", s[k].l->pid,
		colors[k % ARRAY_SIZE(colors)], x_of(a, times[0]), y_of(a, low ? low[0] : 0));
	for (size_t i = 0; i < nt; i++) {
		fprintf(f, " L%.1f %.1f", x_of(a, times[i]), y_of(a, up[i]));
		if (i + 1 < nt)
			fprintf(f, " L%.1f %.1f", x_of(a, times[i + 1]), y_of(a, up[i]));
	}
	for (size_t i = nt; i-- > 0;) {
		fprintf(f, " L%.1f %.1f", x_of(a, times[i]), y_of(a, low ? low[i] : 0));
		if (i > 0)
			fprintf(f, " L%.1f %.1f", x_of(a, times[i]), y_of(a, low ? low[i - 1] : 0));
	}
	fputs(" Z\"><title>", f);
	html_text(f, s[k].l->comm);
	fprintf(f, " %u</title></path>\n", s[k].l->pid);
}

/* An exit: a tick at its time, titled with who released what and what was freed. */
static void print_exit(FILE *f, const struct axes *a, const struct ledger *l, size_t k)
{
	char self[SZ], kernel[SZ], freed[SZ];
	double x = x_of(a, l->end_ns);

	if (l->end == MR_END_ALIVE)
		return;
	fprintf(f, "<line class=\"end\" data-pid=\"%u\" x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%.0f\" "
		   "stroke=\"%s\"><title>", l->pid, x, x, CHART_H, colors[k % ARRAY_SIZE(colors)]);
	html_text(f, l->comm);
	fprintf(f, " %u %s: released %s itself, the kernel %s; freed %s</title></line>\n", l->pid,
		end_names[l->end], human_bytes(cat_total(l->bytes[CAT_SELF_RELEASED]), self, SZ),
		human_bytes(ledger_kernel_total(l), kernel, SZ),
		human_bytes(ledger_freed_total(l), freed, SZ));
}

static void print_legend(FILE *f, const struct series *s, size_t n)
{
	char peak[SZ], self[SZ], kernel[SZ], freed[SZ];

	fputs("<ul class=\"legend\">\n", f);
	for (size_t k = 0; k < n; k++) {
		const struct ledger *l = s[k].l;

		fprintf(f, "<li data-pid=\"%u\"><span style=\"background:%s\"></span>", l->pid,
			colors[k % ARRAY_SIZE(colors)]);
		html_text(f, l->comm);
		fprintf(f, " %u: peak %s; self %s, kernel %s, freed %s</li>\n", l->pid,
			human_bytes(l->peak_rss, peak, SZ),
			human_bytes(cat_total(l->bytes[CAT_SELF_RELEASED]), self, SZ),
			human_bytes(ledger_kernel_total(l), kernel, SZ),
			human_bytes(ledger_freed_total(l), freed, SZ));
	}
	fputs("</ul>\n", f);
}

static void print_chart(FILE *f, struct series *s, size_t n, struct axes *a)
{
	uint64_t *times = NULL, *stack = NULL;
	size_t nt = all_times(s, n, &times);
	char top[SZ];

	if (nt && n)
		stack = stack_values(s, n, times, nt);
	a->top = 1;
	for (size_t i = 0; stack && i < nt; i++)
		a->top = stack[(n - 1) * nt + i] > a->top ? stack[(n - 1) * nt + i] : a->top;
	fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"resident memory over "
		   "time\" preserveAspectRatio=\"none\">\n", CHART_W, CHART_H);
	for (size_t k = 0; stack && k < n; k++)
		print_band(f, a, s, k, times, nt, stack);
	for (size_t k = 0; k < n; k++)
		print_exit(f, a, s[k].l, k);
	fputs("</svg>\n", f);
	fprintf(f, "<p class=\"axis\">0 to %s resident (stacked); %.1f s from the recording's "
		   "start. A dashed line marks an exit: hover it for who released what.</p>\n",
		human_bytes(a->top, top, SZ), (double)(a->t1 - a->t0) / 1e9);
	free(stack);
	free(times);
}

static const char head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>memreap report</title>\n<style>\n"
	"body{font-family:system-ui,sans-serif;margin:1em auto;max-width:1200px;padding:0 1em;"
	"color:#222}\nsvg{width:100%;height:auto;max-height:50vh;border:1px solid #ccc;"
	"background:#fafafa}\npre{overflow-x:auto;font-size:12px;background:#f4f4f4;"
	"padding:.5em}\n.legend{list-style:none;padding:0;columns:2 20em}\n"
	".legend span{display:inline-block;width:1em;height:1em;margin-right:.4em;"
	"vertical-align:middle}\n.end{stroke-width:2;stroke-dasharray:4 3}\n"
	".axis{color:#666;font-size:90%}\n</style></head><body>\n";

static uint32_t first_root(const struct document *d)
{
	const struct ledger *first = NULL;

	for (size_t i = 0; i < d->n; i++)
		if (!first || d->ledgers[i].start_ns < first->start_ns)
			first = &d->ledgers[i];
	return first ? first->pid : 0;
}

static void print_text_part(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct report_opts tree = *o;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	tree.by = BY_TREE;
	tree.sort = SORT_START;
	tree.ascending = true;
	out_text_run_summary(mem, d, first_root(d), &tree);
	fclose(mem);
	fputs("<h2>Process tree, verdict and health</h2>\n<pre>", f);
	html_text(f, text ? text : "");
	fputs("</pre>\n", f);
	free(text);
}

int out_html(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct report_opts chosen = *o;
	struct series *s;
	struct ledger *l = NULL;
	struct axes a = { d->meta.started_ns, d->meta.ended_ns, 0 };
	size_t n;

	if (!chosen.top)
		chosen.top = DEFAULT_SERIES;
	chosen.sort = SORT_PEAK;
	chosen.ascending = false; /* the largest at the bottom of the stack, first in the legend */
	n = select_ledgers(d, &chosen, &l);
	s = calloc(n + 1, sizeof(*s));
	for (size_t i = 0; !a.t1 && i < d->n; i++)
		a.t1 = d->ledgers[i].end_ns > a.t1 ? d->ledgers[i].end_ns : a.t1;
	fputs(head, f);
	fputs("<h1>memreap: who gave memory back</h1>\n<p>", f);
	html_text(f, d->meta.host);
	fputs(", Linux ", f);
	html_text(f, d->meta.kernel);
	fprintf(f, ": %zu %s recorded.</p>\n", d->n, d->n == 1 ? "ledger" : "ledgers");
	if (n == 1)
		fputs("<h2>Resident memory over time</h2>\n", f);
	else
		fprintf(f, "<h2>Resident memory of the %zu largest, over time</h2>\n", n);
	for (size_t k = 0; s && k < n; k++)
		s[k].l = &l[k];
	if (s) {
		build_series(s, n, d, a.t1);
		print_chart(f, s, n, &a);
		print_legend(f, s, n);
	}
	print_text_part(f, d, o);
	for (size_t k = 0; s && k < n; k++) {
		free(s[k].ts);
		free(s[k].rss);
	}
	free(s);
	free(l);
	fputs("</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
