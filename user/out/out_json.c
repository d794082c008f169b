// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include "ledger_json.h"
#include "out.h"
#include "select.h"

static int print_json(FILE *f, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	int ok = fputs(s, f) >= 0 && fputc('\n', f) != EOF;

	json_object_put(o);
	return ok ? 0 : -1;
}

int out_json(FILE *f, const struct document *d)
{
	return print_json(f, document_to_json(d));
}

static const char *const by_names[] = {
	[BY_COMM] = "comm", [BY_EXE] = "exe", [BY_CGROUP] = "cgroup",
	[BY_INTERPRETER] = "interpreter",
};

/* "groups" instead of "ledgers": each group's key and sums, in the sort order. */
static size_t put_groups(json_object *doc, const struct document *d, const struct report_opts *o,
			 size_t *of)
{
	json_object *groups = json_object_new_array();
	struct group *g;
	size_t n = 0, shown = 0;

	if (!document_group(d, o->by, &g, &n)) {
		shown = select_groups(g, n, o);
		for (size_t i = 0; i < shown; i++) {
			json_object *one = sum_to_json(&g[i].sum);

			json_object_object_add(one, "key", json_object_new_string(g[i].key));
			json_object_array_add(groups, one);
		}
		groups_free(g, n);
	}
	*of = n;
	json_object_object_del(doc, "ledgers");
	json_object_object_add(doc, "grouped_by", json_object_new_string(by_names[o->by]));
	json_object_object_add(doc, "groups", groups);
	return shown;
}

/* The selected ledgers, in the sort order (tree order for --by tree, else the recording's). */
static size_t put_ledgers(json_object *doc, const struct document *d, const struct report_opts *o)
{
	json_object *ledgers = json_object_new_array();
	struct ledger *l = NULL;
	size_t n;

	if (o->by == BY_TREE)
		n = select_tree_order(d, o, &l);
	else if (o->sorted)
		n = select_ledgers(d, o, &l);
	else
		n = select_in_place(d, o, &l);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ledgers, ledger_to_json(&l[i]));
	free(l);
	json_object_object_add(doc, "ledgers", ledgers);
	return n;
}

int out_json_report(FILE *f, const struct document *d, const struct report_opts *o)
{
	json_object *doc = document_to_json(d), *sel;
	size_t shown, of;

	if (o->by != BY_LEDGER && o->by != BY_TREE) {
		shown = put_groups(doc, d, o, &of);
	} else {
		shown = put_ledgers(doc, d, o);
		of = d->n;
	}
	if (o->top || o->min_peak) { /* nothing silent: what the list leaves out */
		sel = json_object_new_object();
		json_object_object_add(sel, "top", o->top ? json_object_new_int64(o->top) : NULL);
		json_object_object_add(sel, "min_peak", json_object_new_int64((int64_t)o->min_peak));
		json_object_object_add(sel, "shown", json_object_new_int64((int64_t)shown));
		json_object_object_add(sel, "of", json_object_new_int64((int64_t)of));
		json_object_object_add(doc, "selection", sel);
	}
	return print_json(f, doc);
}
