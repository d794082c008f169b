// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "tree.h"

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

static int link_parents(struct tree *t)
{
	struct pid_index m;
	size_t cap = 16;

	while (cap < t->n * 2 + 2)
		cap *= 2;
	m.pid = calloc(cap, sizeof(*m.pid));
	m.idx = calloc(cap, sizeof(*m.idx));
	m.mask = cap - 1;
	if (!m.pid || !m.idx) {
		free(m.pid);
		free(m.idx);
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct ledger *l = t->node[i];
		size_t *p = l->ppid ? slot(&m, l->ppid, false) : NULL;

		t->parent[i] = p && *p != i ? (long)*p : -1;
		if (l->pid)
			*slot(&m, l->pid, true) = i;
	}
	free(m.pid);
	free(m.idx);
	return 0;
}

static void link_children(struct tree *t)
{
	size_t at = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->parent[i] >= 0)
			t->nchildren[t->parent[i]]++;
	for (size_t i = 0; i < t->n; i++) {
		t->first_child[i] = at;
		at += t->nchildren[i];
		t->nchildren[i] = 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		long p = t->parent[i];

		if (p >= 0)
			t->kids[t->first_child[p] + t->nchildren[p]++] = i;
	}
}

static void sum_subtrees(struct tree *t)
{
	/* A parent always starts before its children: add from the latest to the earliest. */
	for (size_t i = t->n; i-- > 0;) {
		ledger_sum_add(&t->subtree[i], t->node[i]);
		if (t->parent[i] >= 0)
			ledger_sum_merge(&t->subtree[t->parent[i]], &t->subtree[i]);
	}
}

int tree_build(struct tree *t, const struct document *d)
{
	memset(t, 0, sizeof(*t));
	t->n = d->n;
	t->node = calloc(d->n + 1, sizeof(*t->node));
	t->parent = calloc(d->n + 1, sizeof(*t->parent));
	t->first_child = calloc(d->n + 1, sizeof(*t->first_child));
	t->nchildren = calloc(d->n + 1, sizeof(*t->nchildren));
	t->kids = calloc(d->n + 1, sizeof(*t->kids));
	t->subtree = calloc(d->n + 1, sizeof(*t->subtree));
	if (!t->node || !t->parent || !t->first_child || !t->nchildren || !t->kids || !t->subtree)
		goto fail;
	for (size_t i = 0; i < d->n; i++)
		t->node[i] = &d->ledgers[i];
	qsort(t->node, t->n, sizeof(*t->node), by_start);
	if (link_parents(t))
		goto fail;
	link_children(t);
	sum_subtrees(t);
	return 0;
fail:
	tree_free(t);
	return -1;
}

void tree_free(struct tree *t)
{
	free(t->node);
	free(t->parent);
	free(t->first_child);
	free(t->nchildren);
	free(t->kids);
	free(t->subtree);
	memset(t, 0, sizeof(*t));
}
