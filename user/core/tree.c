// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample.h"
#include "tree.h"
#include "u64map.h"
#include "util.h"

static int by_start(const void *a, const void *b)
{
	const struct ledger *x = *(const struct ledger *const *)a;
	const struct ledger *y = *(const struct ledger *const *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* pid -> index of its latest ledger so far: open addressing, pid 0 never stored. */
struct pid_index {
	uint32_t *pid;
	size_t *idx;
	size_t mask;
};

static size_t *slot(struct pid_index *m, uint32_t pid, bool insert)
{
	size_t i = (pid * 2654435761u) & m->mask;

	while (m->pid[i] && m->pid[i] != pid)
		i = (i + 1) & m->mask;
	if (!m->pid[i] && !insert)
		return NULL;
	m->pid[i] = pid;
	return &m->idx[i];
}

/* The node exec replaced by node i: its pid's image that ended by exec and is its parent_id. */
static long replaced_image(const struct tree *t, const struct u64map *by_id, size_t i)
{
	const struct ledger *l = t->node[i];
	uint64_t j;

	if (!l->parent_id || !u64map_get(by_id, l->parent_id, &j))
		return -1;
	if (t->node[j]->pid != l->pid || t->node[j]->end != MR_END_EXEC || t->next_image[j] >= 0)
		return -1;
	return (long)j;
}

/* The node a new row was forked from: its parent_id, else its parent pid's latest image. */
static long forked_from(const struct tree *t, const struct u64map *by_id,
			struct pid_index *latest, size_t i)
{
	const struct ledger *l = t->node[i];
	size_t *p;
	uint64_t j;

	if (l->parent_id && u64map_get(by_id, l->parent_id, &j) && j != i)
		return (long)j;
	p = l->ppid ? slot(latest, l->ppid, false) : NULL;
	return p && *p != i ? (long)*p : -1;
}

static void add_to_row(struct tree *t, long *row_of, size_t i, size_t r)
{
	struct tree_row *row = &t->row[r];

	row_of[i] = (long)r;
	if (!row->images++)
		row->first = i;
	row->last = i;
	ledger_sum_add(&row->own, t->node[i]);
}

/* Nodes into rows (exec chains), each row under the row it was forked from. */
static void link_rows(struct tree *t, struct u64map *by_id, struct pid_index *latest,
		      long *row_of)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ledger *l = t->node[i];
		long prev = replaced_image(t, by_id, i), from;

		if (prev >= 0) {
			t->next_image[prev] = (long)i;
			add_to_row(t, row_of, i, (size_t)row_of[prev]);
		} else {
			from = forked_from(t, by_id, latest, i);
			t->row[t->nrows].parent = from >= 0 ? row_of[from] : -1;
			add_to_row(t, row_of, i, t->nrows++);
		}
		if (l->id)
			u64map_put(by_id, l->id, i, NULL);
		if (l->pid)
			*slot(latest, l->pid, true) = i;
	}
}

static void link_children(struct tree *t)
{
	size_t at = 0;

	for (size_t r = 0; r < t->nrows; r++)
		if (t->row[r].parent >= 0)
			t->row[t->row[r].parent].nchildren++;
	for (size_t r = 0; r < t->nrows; r++) {
		t->row[r].first_child = at;
		at += t->row[r].nchildren;
		t->row[r].nchildren = 0;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		struct tree_row *p = t->row[r].parent >= 0 ? &t->row[t->row[r].parent] : NULL;

		if (p)
			t->kids[p->first_child + p->nchildren++] = r;
		else
			t->roots[t->nroots++] = r;
		t->row[r].depth = p ? p->depth + 1 : 0;
	}
}

static void sum_subtrees(struct tree *t)
{
	/* A parent row comes before its children: add from the last to the first. */
	for (size_t r = t->nrows; r-- > 0;) {
		ledger_sum_merge(&t->row[r].subtree, &t->row[r].own);
		if (t->row[r].parent >= 0)
			ledger_sum_merge(&t->row[t->row[r].parent].subtree, &t->row[r].subtree);
	}
}

static int link(struct tree *t)
{
	struct u64map by_id = { 0 };
	struct pid_index latest;
	long *row_of = calloc(t->n + 1, sizeof(*row_of));
	size_t cap = 16;
	int rc = -1;

	while (cap < t->n * 2 + 2)
		cap *= 2;
	latest.pid = calloc(cap, sizeof(*latest.pid));
	latest.idx = calloc(cap, sizeof(*latest.idx));
	latest.mask = cap - 1;
	if (row_of && latest.pid && latest.idx) {
		link_rows(t, &by_id, &latest, row_of);
		link_children(t);
		sum_subtrees(t);
		rc = 0;
	}
	u64map_free(&by_id);
	free(latest.pid);
	free(latest.idx);
	free(row_of);
	return rc;
}

int tree_build(struct tree *t, const struct document *d)
{
	memset(t, 0, sizeof(*t));
	t->n = d->n;
	t->node = calloc(d->n + 1, sizeof(*t->node));
	t->next_image = malloc((d->n + 1) * sizeof(*t->next_image));
	t->row = calloc(d->n + 1, sizeof(*t->row));
	t->kids = calloc(d->n + 1, sizeof(*t->kids));
	t->roots = calloc(d->n + 1, sizeof(*t->roots));
	if (!t->node || !t->next_image || !t->row || !t->kids || !t->roots)
		goto fail;
	for (size_t i = 0; i < d->n; i++) {
		t->node[i] = &d->ledgers[i];
		t->next_image[i] = -1;
	}
	qsort(t->node, t->n, sizeof(*t->node), by_start);
	if (link(t))
		goto fail;
	return 0;
fail:
	tree_free(t);
	return -1;
}

struct row_order {
	const struct tree *t;
	int field;
	int sign;
};

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct row_order *o = arg;
	const struct tree_row *a = &o->t->row[*(const size_t *)pa];
	const struct tree_row *b = &o->t->row[*(const size_t *)pb];
	const struct ledger *la = o->t->node[a->first], *lb = o->t->node[b->first];
	int r;

	if (o->field == SORT_NAME)
		r = strcmp(o->t->node[a->last]->comm, o->t->node[b->last]->comm);
	else if (o->field == SORT_PID)
		r = (la->pid > lb->pid) - (la->pid < lb->pid);
	else if (o->field == SORT_START) /* rows are made in start order */
		r = (a > b) - (a < b);
	else
		r = (ledger_sum_field(&a->subtree, o->field) >
		     ledger_sum_field(&b->subtree, o->field)) -
		    (ledger_sum_field(&a->subtree, o->field) <
		     ledger_sum_field(&b->subtree, o->field));
	if (!r)
		return (a > b) - (a < b);
	return o->sign * r;
}

void tree_sort_children(struct tree *t, int field, bool ascending)
{
	struct row_order o = { t, field, ascending ? 1 : -1 };

	if (t->nroots > 1)
		qsort_r(t->roots, t->nroots, sizeof(*t->roots), cmp_rows, &o);
	for (size_t r = 0; r < t->nrows; r++)
		if (t->row[r].nchildren > 1)
			qsort_r(&t->kids[t->row[r].first_child], t->row[r].nchildren,
				sizeof(*t->kids), cmp_rows, &o);
}

const char *tree_row_comms(const struct tree *t, const struct tree_row *r, char *buf, size_t len)
{
	size_t n = 0, k = 0;

	buf[0] = '\0';
	for (long i = (long)r->first; i >= 0 && n < len; i = t->next_image[i], k++) {
		bool shown = r->images <= 4 || k == 0 || k + 2 >= r->images;

		if (shown)
			n += snprintf(buf + n, len - n, "%s%s", k ? " -> " : "", t->node[i]->comm);
		else if (k == 1)
			n += snprintf(buf + n, len - n, " -> (%zu more)", r->images - 3);
	}
	return printable(buf);
}

void tree_free(struct tree *t)
{
	free(t->node);
	free(t->next_image);
	free(t->row);
	free(t->kids);
	free(t->roots);
	memset(t, 0, sizeof(*t));
}

static bool chosen_row(const struct tree *t, const struct tree_row *row, const struct keep *k)
{
	for (long i = (long)row->first; i >= 0; i = t->next_image[i]) {
		const struct ledger *l = t->node[i];

		for (size_t p = 0; p < k->npids; p++)
			if (l->pid == k->pids[p])
				return true;
		for (size_t c = 0; c < k->ncomms; c++)
			if (!strcmp(l->comm, k->comms[c]))
				return true;
	}
	return false;
}

/* Marks each kept row: chosen, or under a row that a --pid chose (its tree). */
static void mark_kept(const struct tree *t, const struct keep *k, bool *kept)
{
	for (size_t r = 0; r < t->nrows; r++) { /* a parent row comes before its children */
		bool chosen = chosen_row(t, &t->row[r], k);
		long p = t->row[r].parent;

		kept[r] = chosen || (p >= 0 && kept[p] && k->npids);
	}
}

static void drop_ledgers(struct document *d, const struct u64map *ids)
{
	size_t n = 0, ns = 0, ne = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (u64map_get(ids, d->ledgers[i].id ? d->ledgers[i].id : UINT64_MAX, NULL))
			d->ledgers[n++] = d->ledgers[i];
		else
			ledger_free(&d->ledgers[i]);
	}
	d->n = n;
	for (size_t i = 0; i < d->nsamples; i++)
		if (u64map_get(ids, d->samples[i].ledger_id, NULL))
			d->samples[ns++] = d->samples[i];
	d->nsamples = ns;
	for (size_t i = 0; i < d->nevents; i++)
		if (u64map_get(ids, d->events[i].ledger_id, NULL))
			d->events[ne++] = d->events[i];
	d->nevents = ne;
}

int document_keep(struct document *d, const struct keep *k)
{
	struct u64map ids = { 0 };
	struct tree t;
	bool *kept;

	if (!k->npids && !k->ncomms)
		return 0;
	if (tree_build(&t, d))
		return -1;
	kept = calloc(t.nrows + 1, sizeof(*kept));
	if (!kept) {
		tree_free(&t);
		return -1;
	}
	mark_kept(&t, k, kept);
	for (size_t r = 0; r < t.nrows; r++)
		for (long i = (long)t.row[r].first; kept[r] && i >= 0; i = t.next_image[i])
			u64map_put(&ids, t.node[i]->id ? t.node[i]->id : UINT64_MAX, 1, NULL);
	tree_free(&t);
	free(kept);
	drop_ledgers(d, &ids);
	u64map_free(&ids);
	return 0;
}
