// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger_json.h"
#include "out.h"
#include "select.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

static int print_json(FILE *f, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_FLAGS);
	int ok = fputs(s, f) >= 0 && fputc('\n', f) != EOF;

	json_object_put(o);
	return ok ? 0 : -1;
}

/*
 * "ledgers" with the value it holds until the ledgers are written in its place: the key makes it
 * one of a kind in the document (a host or kernel named like the value cannot match).
 */
#define LEDGERS_KEY  "\"ledgers\":"
#define LEDGERS_MARK "@memreap-ledgers@"

/*
 * One ledger as an element of the document's "ledgers" array: printed on its own, each line
 * indented by the array's two levels, it reads byte for byte as the whole tree prints it.
 */
static int print_element(FILE *f, const struct ledger *l, bool first)
{
	json_object *o = ledger_to_json(l);
	const char *s = json_object_to_json_string_ext(o, JSON_FLAGS), *nl;
	int ok = fputs(first ? "\n" : ",\n", f) >= 0;

	for (; ok && s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		ok = fputs("    ", f) >= 0 && fwrite(s, 1, nl ? (size_t)(nl - s) + 1 : strlen(s), f);
	}
	json_object_put(o);
	return ok ? 0 : -1;
}

/*
 * doc (a document shell, "ledgers" left empty) with the n ledgers l in its "ledgers" array,
 * converted one at a time: a json-c tree of every ledger of a large recording takes gigabytes.
 */
static int print_with_ledgers(FILE *f, json_object *doc, const struct ledger *l, size_t n)
{
	const char *s, *mark;
	int rc = 0;

	json_object_object_add(doc, "ledgers", json_object_new_string(LEDGERS_MARK));
	s = json_object_to_json_string_ext(doc, JSON_FLAGS);
	mark = strstr(s, LEDGERS_KEY "\"" LEDGERS_MARK "\"");
	if (!mark) {
		json_object_put(doc);
		return -1;
	}
	mark += strlen(LEDGERS_KEY);
	if (fwrite(s, 1, (size_t)(mark - s), f) != (size_t)(mark - s) || fputc('[', f) == EOF)
		rc = -1;
	for (size_t i = 0; !rc && i < n; i++)
		rc = print_element(f, &l[i], i == 0);
	if (!rc && (fputs("\n  ]", f) < 0 ||
		    fputs(mark + strlen("\"" LEDGERS_MARK "\""), f) < 0 || fputc('\n', f) == EOF))
		rc = -1;
	json_object_put(doc);
	return rc;
}

int out_json(FILE *f, const struct document *d)
{
	return print_with_ledgers(f, document_shell_to_json(d), d->ledgers, d->n);
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
static size_t select_for_json(const struct document *d, const struct report_opts *o,
			      struct ledger **l)
{
	if (o->by == BY_TREE)
		return select_tree_order(d, o, l);
	if (o->sorted)
		return select_ledgers(d, o, l);
	return select_in_place(d, o, l);
}

int out_json_report(FILE *f, const struct document *d, const struct report_opts *o)
{
	json_object *doc = document_shell_to_json(d), *sel;
	struct ledger *l = NULL;
	size_t shown, of;
	int rc;

	if (o->by != BY_LEDGER && o->by != BY_TREE) {
		shown = put_groups(doc, d, o, &of);
	} else {
		shown = select_for_json(d, o, &l);
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
	if (o->by != BY_LEDGER && o->by != BY_TREE)
		return print_json(f, doc);
	rc = print_with_ledgers(f, doc, l, shown);
	free(l);
	return rc;
}
