// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "label_pool.h"

#define HYSTERESIS 2 /* a newcomer needs more than twice the weakest active score */

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "memreap: out of memory\n");
		exit(1);
	}
	return p;
}

void label_pool_init(struct label_pool *p, size_t max_active)
{
	memset(p, 0, sizeof(*p));
	p->max_active = max_active;
	p->max_candidates = 4096 + 4 * max_active;
	p->names = must(calloc(2 * max_active + 1, sizeof(*p->names)));
	p->active = must(calloc(2 * max_active + 1, sizeof(*p->active)));
	p->names[LABEL_OTHER] = must(strdup(LABEL_OTHER_NAME));
	p->nlabels = 1;
}

void label_pool_free(struct label_pool *p)
{
	for (size_t i = 0; i < p->ncands; i++)
		free(p->cands[i].name);
	for (size_t i = 0; i < p->nlabels; i++)
		free(p->names[i]);
	free(p->cands);
	free(p->names);
	free(p->active);
	memset(p, 0, sizeof(*p));
}

/* Index of name in the sorted candidates, or where it would go (*found false). */
static size_t find(const struct label_pool *p, const char *name, bool *found)
{
	size_t lo = 0, hi = p->ncands;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->cands[mid].name, name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int by_score_desc(const void *a, const void *b)
{
	const struct label_candidate *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int ranked_desc(const void *a, const void *b)
{
	return by_score_desc(*(struct label_candidate *const *)a,
			     *(struct label_candidate *const *)b);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct label_candidate *)a)->name,
		      ((const struct label_candidate *)b)->name);
}

/* Full table: keep every name that has a label, and the best half of the others. */
static void prune(struct label_pool *p)
{
	size_t keep = 0, others = 0;

	qsort(p->cands, p->ncands, sizeof(*p->cands), by_score_desc);
	for (size_t i = 0; i < p->ncands; i++) {
		struct label_candidate *c = &p->cands[i];

		if (c->label != LABEL_OTHER || others++ < p->max_candidates / 2)
			p->cands[keep++] = *c;
		else
			free(c->name);
	}
	p->ncands = keep;
	qsort(p->cands, p->ncands, sizeof(*p->cands), by_name);
}

void label_pool_count(struct label_pool *p, const char *name, uint64_t bytes)
{
	struct label_candidate *c;
	bool found;
	size_t i;

	if (!bytes || !p->max_active || !strcmp(name, LABEL_OTHER_NAME))
		return;
	i = find(p, name, &found);
	if (!found) {
		if (p->ncands >= p->max_candidates) {
			prune(p);
			i = find(p, name, &found);
		}
		p->cands = must(realloc(p->cands, (p->ncands + 1) * sizeof(*p->cands)));
		memmove(&p->cands[i + 1], &p->cands[i], (p->ncands - i) * sizeof(*p->cands));
		p->cands[i] = (struct label_candidate){.name = must(strdup(name))};
		p->ncands++;
	}
	c = &p->cands[i];
	c->score = c->score + bytes < c->score ? UINT64_MAX : c->score + bytes;
}

/* Give c a value for new ledgers: its old one, or a new one while any is left. */
static bool activate(struct label_pool *p, struct label_candidate *c)
{
	if (c->label == LABEL_OTHER) {
		if (p->nlabels >= 2 * p->max_active + 1)
			return false;
		c->label = (uint32_t)p->nlabels++;
		p->names[c->label] = must(strdup(c->name));
	}
	p->active[c->label] = true;
	p->nactive++;
	return true;
}

static struct label_candidate *weakest_active(struct label_pool *p)
{
	struct label_candidate *w = NULL;

	for (size_t i = 0; i < p->ncands; i++) {
		struct label_candidate *c = &p->cands[i];

		if (c->label != LABEL_OTHER && p->active[c->label] && (!w || c->score < w->score))
			w = c;
	}
	return w;
}

void label_pool_rebalance(struct label_pool *p)
{
	struct label_candidate **ranked;
	size_t n = 0;

	if (!p->max_active)
		return;
	ranked = must(malloc((p->ncands + 1) * sizeof(*ranked)));
	for (size_t i = 0; i < p->ncands; i++)
		if (p->cands[i].label == LABEL_OTHER || !p->active[p->cands[i].label])
			ranked[n++] = &p->cands[i];
	if (n)
		qsort(ranked, n, sizeof(*ranked), ranked_desc);
	for (size_t i = 0; i < n && i < 2 * p->max_active; i++) {
		struct label_candidate *c = ranked[i], *w;

		if (p->nactive < p->max_active) {
			activate(p, c);
			continue;
		}
		w = weakest_active(p);
		if (!w || c->score / HYSTERESIS <= w->score)
			break;
		p->active[w->label] = false;
		p->nactive--;
		if (!activate(p, c)) {
			p->active[w->label] = true; /* no value left for c: keep w */
			p->nactive++;
		}
	}
	free(ranked);
}

uint32_t label_pool_label(const struct label_pool *p, const char *name)
{
	bool found;
	size_t i = find(p, name, &found);

	if (!found || p->cands[i].label == LABEL_OTHER || !p->active[p->cands[i].label])
		return LABEL_OTHER;
	return p->cands[i].label;
}

const char *label_pool_name(const struct label_pool *p, uint32_t label)
{
	return label < p->nlabels ? p->names[label] : LABEL_OTHER_NAME;
}

uint32_t label_pool_admit(struct label_pool *p, const char *name)
{
	bool found;
	size_t i = find(p, name, &found);

	if (found && p->nactive < p->max_active &&
	    (p->cands[i].label == LABEL_OTHER || !p->active[p->cands[i].label]))
		activate(p, &p->cands[i]);
	return label_pool_label(p, name);
}
