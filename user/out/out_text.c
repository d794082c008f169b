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

const char *ledger_verdict(const struct ledger *l, char *buf, size_t len)
{
	char peak[SZ], kexit[SZ], klive[SZ], kexec[SZ], rss[SZ], pct[8];
	uint64_t released = ledger_released_total(l);
	uint64_t self = cat_total(l->bytes[CAT_SELF_RELEASED]);
	int n;

	n = snprintf(buf, len, "%s (pid %u): peak %s; released %s itself", l->comm, l->pid,
		     human_bytes(l->peak_rss, peak, SZ), percent(self, released, pct, sizeof(pct)));
	if (l->interp.name[0] && n > 0 && (size_t)n < len) {
		if (l->shutdown_unwatched && !l->shutdown_started_ns)
			n += snprintf(buf + n, len - n,
				      " (its interpreter's shutdown could not be watched)");
		else if (l->shutdown_started_ns)
			n += snprintf(buf + n, len - n, " (%s during interpreter shutdown)",
				      percent(cat_total(l->shutdown_released), released, pct,
					      sizeof(pct)));
		else if (l->end != MR_END_ALIVE)
			n += snprintf(buf + n, len - n, " (its interpreter never ran its shutdown)");
	}
	if (cat_total(l->bytes[CAT_KERNEL_LIVE]) && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, "; the kernel took %s while it ran",
			      human_bytes(cat_total(l->bytes[CAT_KERNEL_LIVE]), klive, SZ));
	if (n <= 0 || (size_t)n >= len)
		return printable(buf);
	if (l->end == MR_END_EXIT)
		snprintf(buf + n, len - n, "; the kernel reclaimed %s at exit",
			 human_bytes(cat_total(l->bytes[CAT_KERNEL_EXIT]), kexit, SZ));
	else if (l->end == MR_END_EXEC)
		snprintf(buf + n, len - n, "; the kernel reclaimed %s at exec",
			 human_bytes(cat_total(l->bytes[CAT_KERNEL_EXEC]), kexec, SZ));
	else
		snprintf(buf + n, len - n, "; still alive with %s resident",
			 human_bytes(cat_total(l->bytes[CAT_RSS_AT_END]), rss, SZ));
	return printable(buf);
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

/* Every table: a leading label (pid and comm and end, or a group key), then the same numbers. */
static void print_header(FILE *f, const char *label, int width)
{
	fprintf(f, "%-*s %10s %10s %10s %10s %10s %5s\n", width, label, "PEAK", "FAULTED", "SELF",
		"KERN-LIVE", "KERN-END", "SELF%");
}

static void print_row(FILE *f, const char *label, int width, const struct ledger_sum *s)
{
	char peak[SZ], in[SZ], self[SZ], live[SZ], kend[SZ], pct[8];
	uint64_t vself = cat_total(s->bytes[CAT_SELF_RELEASED]);
	uint64_t vlive = cat_total(s->bytes[CAT_KERNEL_LIVE]);
	uint64_t vend = cat_total(s->bytes[CAT_KERNEL_EXIT]) + cat_total(s->bytes[CAT_KERNEL_EXEC]);

	fprintf(f, "%-*.*s %10s %10s %10s %10s %10s %5s\n", width, width, label,
		human_bytes(s->peak_rss, peak, SZ),
		human_bytes(cat_total(s->bytes[CAT_FAULTED_IN]), in, SZ),
		human_bytes(vself, self, SZ), human_bytes(vlive, live, SZ),
		human_bytes(vend, kend, SZ), percent(vself, vself + vlive + vend, pct, sizeof(pct)));
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
		snprintf(label, sizeof(label), "%*s= subtree of %u: %llu ledgers", depth * 2 + 2, "",
			 t->node[i]->pid, (unsigned long long)t->subtree[i].ledgers);
		print_row(f, label, LEDGER_LABEL_WIDTH, &t->subtree[i]);
	}
}

/* Every ledger under its parent's image, with subtree totals. */
static void print_tree(FILE *f, const struct document *d)
{
	struct tree t;

	if (tree_build(&t, d))
		return;
	print_header(f, LEDGER_LABEL_HEADER, LEDGER_LABEL_WIDTH);
	for (size_t i = 0; i < t.n; i++)
		if (t.parent[i] < 0)
			print_tree_node(f, &t, i, 0);
	tree_free(&t);
}

void out_text_run_summary(FILE *f, const struct document *d, uint32_t root_pid)
{
	char verdict[512];

	fprintf(f, "\nmemreap: %zu address space%s observed\n", d->n, d->n == 1 ? "" : "s");
	print_tree(f, d);
	for (size_t i = 0; i < d->n; i++)
		if (d->ledgers[i].pid == root_pid && d->ledgers[i].end != MR_END_EXEC)
			fprintf(f, "verdict: %s\n",
				ledger_verdict(&d->ledgers[i], verdict, sizeof(verdict)));
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
	snprintf(label, sizeof(label), "TOTAL (%" PRIu64 " ledgers)", t.ledgers);
	fprintf(f, "\n");
	print_row(f, label, LEDGER_LABEL_WIDTH, &t);
	out_text_health(f, &d->health);
}
