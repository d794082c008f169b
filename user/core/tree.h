/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ledgers as a process tree whose rows are processes: a row is an exec chain (a shell's pre-exec
 * copy, then the image it exec'd, ...: one pid, its images in order), and each row sits under
 * the row of the image its process was forked from (parent_id; else its parent pid's latest
 * ledger started before it), so orphans stay under the parent that made them.
 * Built once in O(n log n); subtree sums computed bottom-up.
 */
#ifndef MR_TREE_H
#define MR_TREE_H

#include "document.h"

struct tree_row {
	size_t first, last;		/* node indexes of the chain's first and final images */
	size_t images;
	long parent;			/* row index, or -1 for a root */
	size_t first_child, nchildren;	/* children: kids[first_child ...] */
	unsigned int depth;
	struct ledger_sum own;		/* the chain's ledgers */
	struct ledger_sum subtree;	/* the chain and every row under it */
};

struct tree {
	size_t n;
	const struct ledger **node;	/* by start time */
	long *next_image;		/* node that replaced node i by exec, or -1 */
	size_t nrows;
	struct tree_row *row;		/* a parent row always comes before its children */
	size_t *kids;
	size_t *roots, nroots;		/* rows without a parent */
};

int tree_build(struct tree *t, const struct document *d);
/* Order the roots and every row's children by their subtree's sort field (document.h sort_fields). */
void tree_sort_children(struct tree *t, int field, bool ascending);
/* The row's images' comms, "sh -> sort"; a chain of more than 4 images names its first and its
 * last two ("a -> (2 more) -> d -> e"). */
const char *tree_row_comms(const struct tree *t, const struct tree_row *r, char *buf, size_t len);
void tree_free(struct tree *t);

/* report --pid/--comm: which ledgers a document keeps. */
struct keep {
	const uint32_t *pids; /* the process trees rooted at these pids */
	size_t npids;
	const char *const *comms; /* and the processes with these comms (an image of the chain) */
	size_t ncomms;
};
/* Keep the chosen ledgers, their samples and events; drop the rest. -1 when out of memory. */
int document_keep(struct document *d, const struct keep *k);

#endif
