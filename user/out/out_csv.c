// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "out.h"
#include "select.h"

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

/* lead, the numbers' columns, then tail (may be ""). */
static void csv_header(FILE *f, const char *lead, const char *tail)
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
	fprintf(f, "%s\n", tail);
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
}

static void csv_int_or_empty(FILE *f, int v)
{
	if (v >= 0)
		fprintf(f, ",%d", v);
	else
		fputc(',', f);
}

static void csv_ledger_row(FILE *f, const struct ledger *l)
{
	struct ledger_sum one = { 0 };

	fprintf(f, "%u,%u,", l->pid, l->ppid);
	csv_str(f, l->comm);
	fputc(',', f);
	csv_str(f, l->exe);
	fputc(',', f);
	csv_str(f, l->cgroup);
	fputc(',', f);
	csv_str(f, l->interp.name);
	fputc(',', f);
	csv_str(f, l->interp.version);
	fprintf(f, ",%" PRIu64 ",", l->start_ns);
	if (l->end != MR_END_ALIVE)
		fprintf(f, "%" PRIu64, l->end_ns);
	fprintf(f, ",%s", end_names[l->end]);
	csv_int_or_empty(f, l->exit_code);
	csv_int_or_empty(f, l->signal);
	fprintf(f, ",%s", l->observed_from_start ? "true" : "false");
	ledger_sum_add(&one, l);
	csv_numbers(f, &one);
	fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%s,%s\n", l->id, l->parent_id,
		l->shutdown_unwatched ? "false" : "true", l->end_inexact ? "true" : "false");
}

/* One row per ledger (a tree is its rows: id and parent_id, pid and ppid say where they go). */
static void csv_ledgers(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct ledger *l = NULL;
	size_t n = o->by == BY_TREE ? select_tree_order(d, o, &l) : select_ledgers(d, o, &l);

	csv_header(f, "pid,ppid,comm,exe,cgroup,interpreter,interpreter_version,start_ns,end_ns,"
		      "end,exit_code,signal,observed_from_start",
		   ",id,parent_id,shutdown_watched,end_inexact");
	for (size_t i = 0; i < n; i++)
		csv_ledger_row(f, &l[i]);
	free(l);
}

/* One row per group; the first column is named after the grouping. */
static void csv_groups(FILE *f, const struct document *d, const struct report_opts *o)
{
	static const char *const keys[] = {
		[BY_COMM] = "comm,ledgers", [BY_EXE] = "exe,ledgers",
		[BY_CGROUP] = "cgroup,ledgers", [BY_INTERPRETER] = "interpreter,ledgers",
	};
	struct group *g;
	size_t n, shown;

	if (document_group(d, o->by, &g, &n))
		return;
	shown = select_groups(g, n, o);
	csv_header(f, keys[o->by], "");
	for (size_t i = 0; i < shown; i++) {
		csv_str(f, g[i].key);
		fprintf(f, ",%" PRIu64, g[i].sum.ledgers);
		csv_numbers(f, &g[i].sum);
		fputc('\n', f);
	}
	groups_free(g, n);
}

void out_csv(FILE *f, const struct document *d, const struct report_opts *o)
{
	if (o->by == BY_LEDGER || o->by == BY_TREE)
		csv_ledgers(f, d, o);
	else
		csv_groups(f, d, o);
}
