/* SPDX-License-Identifier: GPL-2.0 */
/* Output formats. Each takes a document; none knows whether it came live or from a file. */
#ifndef MR_OUT_H
#define MR_OUT_H

#include <stdio.h>
#include "document.h"

/* out_json.c: the memreap/v1 document, pretty-printed. */
int out_json(FILE *f, const struct document *d);

struct report_opts {
	enum group_by by;
	int sort;	/* index into sort_fields */
	bool ascending;
	long top;	/* 0 = all */
	uint64_t min_peak; /* bytes; 0 = all */
	bool sorted;	/* --sort given: JSON keeps the recording's order otherwise */
};

/* report --format json: the document with report's options applied (selection, grouping). */
int out_json_report(FILE *f, const struct document *d, const struct report_opts *o);

/* out_text.c */
void out_text_report(FILE *f, const struct document *d, const struct report_opts *o);
/* run's summary: the tree of every ledger, then the verdict on the tree rooted at root_pid. */
void out_text_run_summary(FILE *f, const struct document *d, uint32_t root_pid,
			  const struct report_opts *o);
void out_text_health(FILE *f, const struct health *h);

/* verdict.c: who released l's memory, what of it was freed, where the rest is (parent: the
 * ledger l was forked from, if known). */
void out_verdict(FILE *f, const struct ledger *l, const struct ledger *parent, const char *label,
		 int indent);
/* The verdict on the tree of root_pid: its largest processes by peak and by what the kernel
 * freed, the whole tree's sums, then the root's own verdict. */
struct tree;
void out_tree_verdict(FILE *f, const struct tree *t, uint32_t root_pid);

/* out_trace.c: Chrome Trace Event Format JSON (ui.perfetto.dev, chrome://tracing). */
int out_trace(FILE *f, const struct document *d, const struct report_opts *o);

/* out_html.c: one self-contained HTML page: a chart over time, the tree and its verdict. */
int out_html(FILE *f, const struct document *d, const struct report_opts *o);

/* out_csv.c */
void out_csv(FILE *f, const struct document *d, const struct report_opts *o);

#endif
