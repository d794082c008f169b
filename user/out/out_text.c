// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "out.h"
#include "tree.h"
#include "util.h"

#define SZ 16

static const char *end_text(const struct ledger *l, char *buf, size_t len)
{
	if (l->end == MR_END_EXIT && l->signal >= 0)
		snprintf(buf, len, "sig %d", l->signal);
	else if (l->end == MR_END_EXIT && l->exit_code >= 0)
		snprintf(buf, len, "exit %d", l->exit_code);
	else
		snprintf(buf, len, "%s", end_names[l->end]);
	return buf;
}

void out_text_health(FILE *f, const struct health *h)
{
	char un[SZ];

	fprintf(f, "health: %s: ring buffer drops %" PRIu64 ", map full %" PRIu64
		   ", unattributed %s, lost ledgers %" PRIu64,
		health_is_clean(h) ? "ok" : "DEGRADED", h->ringbuf_drops, h->map_full,
		human_bytes(h->unattributed_bytes, un, SZ), h->lost_ledgers);
	if (h->unfollowed_releases)
		fprintf(f, ", releases whose frees were not followed %" PRIu64,
			h->unfollowed_releases);
	fputc('\n', f);
}

/*
 * Every table: a leading label (pid and comm and end, or a group key), then the same numbers:
 * what left the address space (SELF, KERN-LIVE, KERN-END), and of that what was FREED and what
 * is STILL-HELD elsewhere (page cache, shmem, pages shared with another process).
 */
static void print_header(FILE *f, const char *label, int width)
{
	fprintf(f, "%-*s %10s %10s %10s %10s %10s %10s %10s %5s\n", width, label, "PEAK", "FAULTED",
		"SELF", "KERN-LIVE", "KERN-END", "FREED", "STILL-HELD", "SELF%");
}

static void print_row(FILE *f, const char *label, int width, const struct ledger_sum *s)
{
	char peak[SZ], in[SZ], self[SZ], live[SZ], kend[SZ], freed[SZ] = "?", held[SZ] = "?";
	char pct[8];
	uint64_t vself = cat_total(s->bytes[CAT_SELF_RELEASED]);
	uint64_t vlive = cat_total(s->bytes[CAT_KERNEL_LIVE]);
	uint64_t vend = cat_total(s->bytes[CAT_KERNEL_EXIT]) + cat_total(s->bytes[CAT_KERNEL_EXEC]);
	uint64_t vfreed = 0;

	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		vfreed += cat_total(s->freed[c]);
	if (!s->freed_unknown) { /* old recordings: unknown, never 0 */
		human_bytes(vfreed, freed, SZ);
		human_bytes(vself + vlive + vend - vfreed, held, SZ);
	}
	fprintf(f, "%-*.*s %10s %10s %10s %10s %10s %10s %10s %5s\n", width, width, label,
		human_bytes(s->peak_rss, peak, SZ),
		human_bytes(cat_total(s->bytes[CAT_FAULTED_IN]), in, SZ),
		human_bytes(vself, self, SZ), human_bytes(vlive, live, SZ),
		human_bytes(vend, kend, SZ), freed, held,
		percent(vself, vself + vlive + vend, pct, sizeof(pct)));
}

/* What the freed columns and the sums mean, under every table. */
static void print_legend(FILE *f, bool sums)
{
	fprintf(f, "FREED went back to the page allocator; STILL-HELD left the address space but "
		   "stays in memory\n(page cache, shmem, pages still shared with another process).");
	if (sums)
		fprintf(f, " Sums add resident sets: a page shared\nby several processes "
			   "counts in each (FREED counts it once: a page is freed once).");
	fputc('\n', f);
}

#define LEDGER_LABEL_WIDTH 40
#define LEDGER_LABEL_HEADER "PID               COMM            END"

static void print_ledger(FILE *f, const struct ledger *l, const char *indent)
{
	struct ledger_sum s = { 0 };
	char label[96], pid[64], end[16];

	ledger_sum_add(&s, l);
	snprintf(pid, sizeof(pid), "%s%u", indent, l->pid);
	snprintf(label, sizeof(label), "%-17s %-15.15s %s", pid, l->comm,
		 end_text(l, end, sizeof(end)));
	printable(label);
	print_row(f, label, LEDGER_LABEL_WIDTH, &s);
}

static void print_tree_node(FILE *f, const struct tree *t, size_t i, int depth)
{
	char indent[64] = "", label[96];

	for (int d = 0; d < depth && d < 20; d++)
		strcat(indent, d + 1 == depth ? "`-" : "  ");
	print_ledger(f, t->node[i], indent);
	for (size_t c = 0; c < t->nchildren[i]; c++)
		print_tree_node(f, t, t->kids[t->first_child[i] + c], depth + 1);
	if (t->nchildren[i]) {
		snprintf(label, sizeof(label), "%*s= sum of %llu ledgers under %u", depth * 2 + 2, "",
			 (unsigned long long)t->subtree[i].ledgers, t->node[i]->pid);
		print_row(f, label, LEDGER_LABEL_WIDTH, &t->subtree[i]);
	}
}

/* Every ledger under its parent's image, with subtree sums; true if it printed any sum. */
static bool print_tree(FILE *f, const struct document *d)
{
	bool sums = false;
	struct tree t;

	if (tree_build(&t, d))
		return false;
	print_header(f, LEDGER_LABEL_HEADER, LEDGER_LABEL_WIDTH);
	for (size_t i = 0; i < t.n; i++) {
		sums |= t.nchildren[i] > 0;
		if (t.parent[i] < 0)
			print_tree_node(f, &t, i, 0);
	}
	tree_free(&t);
	return sums;
}

static const struct ledger *ledger_by_id(const struct document *d, uint64_t id)
{
	for (size_t i = 0; id && i < d->n; i++)
		if (d->ledgers[i].id == id)
			return &d->ledgers[i];
	return NULL;
}

void out_text_run_summary(FILE *f, const struct document *d, uint32_t root_pid)
{
	fprintf(f, "\nmemreap: %zu address space%s observed\n", d->n, d->n == 1 ? "" : "s");
	print_legend(f, print_tree(f, d));
	for (size_t i = 0; i < d->n; i++) {
		const struct ledger *l = &d->ledgers[i];

		if (l->pid == root_pid && l->end != MR_END_EXEC)
			out_verdict(f, l, ledger_by_id(d, l->parent_id));
	}
	out_text_health(f, &d->health);
}

static void report_ledgers(FILE *f, struct document *d, const struct report_opts *o)
{
	size_t n = o->top > 0 && (size_t)o->top < d->n ? (size_t)o->top : d->n;

	sort_ledgers(d->ledgers, d->n, o->sort, o->ascending);
	print_header(f, LEDGER_LABEL_HEADER, LEDGER_LABEL_WIDTH);
	for (size_t i = 0; i < n; i++)
		print_ledger(f, &d->ledgers[i], "");
}

static void report_groups(FILE *f, const struct document *d, const struct report_opts *o)
{
	static const char *titles[] = { "", "COMM", "EXE", "CGROUP", "INTERPRETER", "" };
	char header[64], label[96];
	struct group *g;
	size_t n, shown;

	if (document_group(d, o->by, &g, &n))
		return;
	sort_groups(g, n, o->sort, o->ascending);
	shown = o->top > 0 && (size_t)o->top < n ? (size_t)o->top : n;
	snprintf(header, sizeof(header), "%-31s %8s", titles[o->by], "LEDGERS");
	print_header(f, header, LEDGER_LABEL_WIDTH);
	for (size_t i = 0; i < shown; i++) {
		/* Long keys (paths) keep their end, where the name is. */
		size_t len = strlen(g[i].key);
		const char *key = len > 31 ? g[i].key + len - 31 : g[i].key;

		snprintf(label, sizeof(label), "%-31s %8" PRIu64, key, g[i].sum.ledgers);
		printable(label);
		print_row(f, label, LEDGER_LABEL_WIDTH, &g[i].sum);
	}
	groups_free(g, n);
}

void out_text_report(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct document sorted = *d;
	struct ledger_sum t;
	char label[64];

	char title[512];

	snprintf(title, sizeof(title), "memreap %s recording of %s (Linux %s): %zu ledgers",
		 d->meta.memreap_version, d->meta.host, d->meta.kernel, d->n);
	fprintf(f, "%s\n", printable(title));
	if (o->by == BY_TREE) {
		print_tree(f, d);
	} else if (o->by == BY_LEDGER) {
		sorted.ledgers = malloc(d->n * sizeof(*d->ledgers) + 1);
		if (!sorted.ledgers)
			return;
		if (d->n) /* an empty recording has no array at all */
			memcpy(sorted.ledgers, d->ledgers, d->n * sizeof(*d->ledgers));
		report_ledgers(f, &sorted, o);
		free(sorted.ledgers);
	} else {
		report_groups(f, d, o);
	}
	document_totals(d, &t);
	snprintf(label, sizeof(label), "TOTAL, sum of %" PRIu64 " ledgers", t.ledgers);
	fprintf(f, "\n");
	print_row(f, label, LEDGER_LABEL_WIDTH, &t);
	print_legend(f, true);
	out_text_health(f, &d->health);
}
