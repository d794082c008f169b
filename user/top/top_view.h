/* SPDX-License-Identifier: GPL-2.0 */
/* The monitor's lines of text, shared by the ncurses screen and --batch. Call with the lock held. */
#ifndef MR_TOP_VIEW_H
#define MR_TOP_VIEW_H

#include <stdio.h>
#include "top_format.h"
#include "top_model.h"

struct top_options {
	enum top_sort sort;
	bool ascending;
	bool color;
	const char *filter;
};

/* The header of the latest snapshot, at most width cells a line. */
void top_header(const struct top_model *m, int width, struct top_header *h);
/* A table of width cells: the RSS-HISTORY column when it fits, no number ever cut. */
void top_table_header(int width, char *buf, size_t len);
void top_row_line(const struct top_row *r, uint64_t now_ns, int width, char *buf, size_t len);
/* One plain-text frame of the latest snapshot, like top -b. Takes the lock. */
void top_print_batch(FILE *f, struct top_model *m, const struct top_options *o, int width);
/*
 * --batch: one frame per snapshot, each covering one refresh, on stdout ($COLUMNS wide, 80 to
 * 511, else 100). iterations 0: until killed. Returns 0, or 1 when stdout fails.
 */
int top_batch_run(struct top_model *m, const struct top_options *o, long long iterations);

#endif
