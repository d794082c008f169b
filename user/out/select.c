// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "select.h"
#include "u64map.h"

int select_rank_field(const struct report_opts *o)
{
	if (o->sort == SORT_PID || o->sort == SORT_START || o->sort == SORT_NAME)
		return SORT_PEAK;
	return o->sort;
}

static bool limited(const struct report_opts *o)
{
	return o->top > 0 || o->min_peak > 0;
}

size_t select_ledgers(const struct document *d, const struct report_opts *o, struct ledger **out)
{
	struct ledger *l = malloc((d->n + 1) * sizeof(*l));
	size_t n = 0;

	*out = l;
	if (!l)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->ledgers[i].peak_rss >= o->min_peak)
			l[n++] = d->ledgers[i];
	if (o->top > 0 && (size_t)o->top < n) {
		sort_ledgers(l, n, select_rank_field(o), false);
		n = (size_t)o->top;
	}
	sort_ledgers(l, n, o->sort, o->ascending);
	return n;
}

size_t select_groups(struct group *g, size_t n, const struct report_opts *o)
{
	size_t kept = 0;

	if (o->top > 0)
		sort_groups(g, n, select_rank_field(o), false);
	for (size_t i = 0; i < n; i++) {
		if (g[i].sum.peak_rss < o->min_peak)
			continue;
		struct group keep = g[kept];

		g[kept++] = g[i];
		g[i] = keep;
	}
	if (o->top > 0 && (size_t)o->top < kept)
		kept = (size_t)o->top;
	sort_groups(g, kept, o->sort, o->ascending);
	return kept;
}

struct ranked {
	uint64_t value;
	size_t row;
};

static int by_value_desc(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (a->value != b->value)
		return a->value < b->value ? 1 : -1;
	return (a->row > b->row) - (a->row < b->row);
}

size_t select_rows(const struct tree *t, const struct report_opts *o, bool *shown)
{
	struct ranked *r = malloc((t->nrows + 1) * sizeof(*r));
	size_t n = 0, hidden = 0;
	int field = select_rank_field(o);

	for (size_t i = 0; i < t->nrows; i++)
		shown[i] = !limited(o) || !r;
	if (!limited(o) || !r)
		goto out;
	for (size_t i = 0; i < t->nrows; i++)
		if (t->row[i].own.peak_rss >= o->min_peak)
			r[n++] = (struct ranked){ ledger_sum_field(&t->row[i].own, field), i };
	if (o->top > 0 && (size_t)o->top < n) {
		qsort(r, n, sizeof(*r), by_value_desc);
		n = (size_t)o->top;
	}
	for (size_t i = 0; i < n; i++)
		for (long row = (long)r[i].row; row >= 0 && !shown[row]; row = t->row[row].parent)
			shown[row] = true;
	for (size_t i = 0; i < t->nrows; i++)
		hidden += !shown[i];
out:
	free(r);
	return hidden;
}

size_t select_in_place(const struct document *d, const struct report_opts *o, struct ledger **out)
{
	struct ledger *l;
	size_t n = select_ledgers(d, o, &l), kept = 0;
	struct u64map chosen = { 0 };

	*out = l;
	if (!l)
		return 0;
	if (n == d->n) { /* all of them: the document's order as it is */
		if (n)
			memcpy(l, d->ledgers, n * sizeof(*l));
		return n;
	}
	for (size_t i = 0; i < n; i++)
		u64map_put(&chosen, l[i].id, 1, NULL);
	for (size_t i = 0; i < d->n && kept < n; i++)
		if (u64map_get(&chosen, d->ledgers[i].id, NULL))
			l[kept++] = d->ledgers[i];
	u64map_free(&chosen);
	return kept;
}

/* A shown row's images, in order. */
static size_t put_chain(const struct tree *t, const struct tree_row *row, struct ledger *out)
{
	size_t n = 0;

	for (long i = (long)row->first; i >= 0; i = t->next_image[i])
		out[n++] = *t->node[i];
	return n;
}

size_t select_tree_order(const struct document *d, const struct report_opts *o, struct ledger **out)
{
	struct tree t;
	bool *shown = NULL;
	size_t *stack = NULL, top = 0, n = 0;

	*out = malloc((d->n + 1) * sizeof(**out));
	if (!*out || tree_build(&t, d))
		return 0;
	tree_sort_children(&t, o->sort, o->ascending);
	shown = calloc(t.nrows + 1, sizeof(*shown));
	stack = malloc((t.nrows + 1) * sizeof(*stack));
	if (!shown || !stack)
		goto out;
	select_rows(&t, o, shown);
	for (size_t i = t.nroots; i-- > 0;)
		stack[top++] = t.roots[i];
	while (top) {
		const struct tree_row *row = &t.row[stack[--top]];

		if (shown[row - t.row])
			n += put_chain(&t, row, *out + n);
		for (size_t c = row->nchildren; c-- > 0;)
			stack[top++] = t.kids[row->first_child + c];
	}
out:
	free(shown);
	free(stack);
	tree_free(&t);
	return n;
}
