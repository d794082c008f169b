/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded label values for the exporter: the names (comms, cgroups) that moved the most bytes
 * keep a label value of their own, every other name shares "other". A value once given is never
 * taken back from the series that carry it: a name that falls out of the top N is retired (its
 * series stay, frozen once its ledgers end) and new ledgers of it count as "other". At most 2N
 * values are ever given out, so the number of series stays bounded for the exporter's lifetime.
 * Pure logic (no libbpf), unit-tested.
 */
#ifndef MR_LABEL_POOL_H
#define MR_LABEL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LABEL_OTHER	 0 /* the label index every name without its own value gets */
#define LABEL_OTHER_NAME "other"

struct label_candidate {
	char *name;
	uint64_t score; /* bytes moved (faulted in + released) since the exporter started */
	uint32_t label; /* its own label index, or LABEL_OTHER if it never had one */
};

struct label_pool {
	size_t max_active;	       /* N: names that get their own value for new ledgers */
	size_t max_candidates;	       /* names whose scores are kept */
	struct label_candidate *cands; /* sorted by name */
	size_t ncands;
	char **names; /* label index -> value; [LABEL_OTHER] = "other" */
	bool *active; /* label index -> given to new ledgers of that name */
	size_t nlabels, nactive;
};

void label_pool_init(struct label_pool *p, size_t max_active);
void label_pool_free(struct label_pool *p);
/* Add bytes to a name's score. */
void label_pool_count(struct label_pool *p, const char *name, uint64_t bytes);
/*
 * Give free values to the highest scores; once N are taken, a name replaces the weakest active
 * one only with more than twice its score (no flapping), and only while values are left.
 */
void label_pool_rebalance(struct label_pool *p);
/* The label index a new ledger of this name counts under. */
uint32_t label_pool_label(const struct label_pool *p, const char *name);
/* The same, first giving the name a value of its own if one of the N is free (no ranking). */
uint32_t label_pool_admit(struct label_pool *p, const char *name);
const char *label_pool_name(const struct label_pool *p, uint32_t label);

#endif
