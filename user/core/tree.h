/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ledgers as a process tree: each ledger under the image its parent had when it was forked (the
 * parent's latest ledger started before it), so orphans stay under the parent that made them.
 * Built once in O(n log n); subtree sums computed bottom-up.
 */
#ifndef MR_TREE_H
#define MR_TREE_H

#include "document.h"

struct tree {
	size_t n;
	const struct ledger **node;	 /* by start time */
	long *parent;			 /* index in node, or -1 for a root */
	size_t *first_child, *nchildren; /* children of i: kids[first_child[i] ...] */
	size_t *kids;
	struct ledger_sum *subtree;	 /* the node and everything under it */
};

int tree_build(struct tree *t, const struct document *d);
void tree_free(struct tree *t);

#endif
