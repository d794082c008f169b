// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "out.h"

/* RFC 4180 quoting. */
static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_header(FILE *f, const char *lead)
{
	fputs(lead, f);
	fputs(",peak_rss_bytes", f);
	for (int c = 0; c < NCATEGORIES; c++)
		for (int k = 0; k < MR_NKINDS; k++)
			fprintf(f, ",%s_%s", category_names[c], kind_names[k]);
	for (int i = 0; i < MR_NCALLS; i++)
		fprintf(f, ",self_released_by_%s", call_names[i]);
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		for (int k = 0; k < MR_NKINDS; k++)
			fprintf(f, ",freed_%s_%s", category_names[c], kind_names[k]);
	fputc('\n', f);
}

/* The numbers of one row; the freed columns are empty when unknown (old recordings). */
static void csv_numbers(FILE *f, const struct ledger_sum *s)
{
	fprintf(f, ",%" PRIu64, s->peak_rss);
	for (int c = 0; c < NCATEGORIES; c++)
		for (int k = 0; k < MR_NKINDS; k++)
			fprintf(f, ",%" PRIu64, s->bytes[c][k]);
	for (int i = 0; i < MR_NCALLS; i++)
		fprintf(f, ",%" PRIu64, s->by_call[i]);
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++) {
		for (int k = 0; k < MR_NKINDS; k++) {
			if (s->freed_unknown)
				fputc(',', f);
			else
				fprintf(f, ",%" PRIu64, s->freed[c][k]);
		}
	}
	fputc('\n', f);
}

static void csv_int_or_empty(FILE *f, int v)
{
	if (v >= 0)
		fprintf(f, ",%d", v);
	else
		fputc(',', f);
}

void out_csv(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct group *g;
	size_t n;

	if (o->by == BY_LEDGER || o->by == BY_TREE) { /* a tree is its rows with pid and ppid */
		struct ledger *l = malloc(d->n * sizeof(*l) + 1);

		if (!l)
			return;
		if (d->n) /* an empty recording has no array at all */
			memcpy(l, d->ledgers, d->n * sizeof(*l));
		sort_ledgers(l, d->n, o->sort, o->ascending);
		n = o->top > 0 && (size_t)o->top < d->n ? (size_t)o->top : d->n;
		csv_header(f, "pid,ppid,comm,exe,cgroup,interpreter,interpreter_version,start_ns,"
			      "end_ns,end,exit_code,signal,observed_from_start");
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%u,%u,", l[i].pid, l[i].ppid);
			csv_str(f, l[i].comm);
			fputc(',', f);
			csv_str(f, l[i].exe);
			fputc(',', f);
			csv_str(f, l[i].cgroup);
			fputc(',', f);
			csv_str(f, l[i].interp.name);
			fputc(',', f);
			csv_str(f, l[i].interp.version);
			fprintf(f, ",%" PRIu64 ",", l[i].start_ns);
			if (l[i].end != MR_END_ALIVE)
				fprintf(f, "%" PRIu64, l[i].end_ns);
			fprintf(f, ",%s", end_names[l[i].end]);
			csv_int_or_empty(f, l[i].exit_code);
			csv_int_or_empty(f, l[i].signal);
			fprintf(f, ",%s", l[i].observed_from_start ? "true" : "false");
			struct ledger_sum one = { 0 };

			ledger_sum_add(&one, &l[i]);
			csv_numbers(f, &one);
		}
		free(l);
		return;
	}
	if (document_group(d, o->by, &g, &n))
		return;
	sort_groups(g, n, o->sort, o->ascending);
	csv_header(f, "key,ledgers");
	for (size_t i = 0; i < n && (o->top <= 0 || i < (size_t)o->top); i++) {
		csv_str(f, g[i].key);
		fprintf(f, ",%" PRIu64, g[i].sum.ledgers);
		csv_numbers(f, &g[i].sum);
	}
	groups_free(g, n);
}
