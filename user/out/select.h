/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --top N and --min-peak SIZE, with one meaning in every format: the rows (ledgers, processes of
 * a tree, groups) whose peak is at least SIZE, and of those the N largest by the sort field (by
 * peak when the sort field is pid, start or name). Sums and totals always cover every ledger.
 */
#ifndef MR_SELECT_H
#define MR_SELECT_H

#include "out.h"
#include "tree.h"

/* The numeric field --top ranks by. */
int select_rank_field(const struct report_opts *o);
/* The selected ledgers in the sort order, as shallow copies in *out (free() it, nothing more). */
size_t select_ledgers(const struct document *d, const struct report_opts *o, struct ledger **out);
/* The selected ledgers in the document's own order (a recording's: as they ended). */
size_t select_in_place(const struct document *d, const struct report_opts *o, struct ledger **out);
/* The selected rows' ledgers depth first, each exec chain's images in order (--by tree). */
size_t select_tree_order(const struct document *d, const struct report_opts *o,
			 struct ledger **out);
/* Sorts g and moves the selected groups first; returns how many are selected. */
size_t select_groups(struct group *g, size_t n, const struct report_opts *o);
/* shown[row]: selected, or an ancestor of a selected row (a tree keeps its shape). Returns how
 * many rows are not shown. */
size_t select_rows(const struct tree *t, const struct report_opts *o, bool *shown);

#endif
