// SPDX-License-Identifier: GPL-2.0
/*
 * The text tables. Every column is as wide as its widest cell: no number and no name is ever
 * cut. A table is measured first (every row's cells), then printed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "out.h"
#include "select.h"
#include "tree.h"
#include "util.h"

#define SZ 16
#define NUMBERS 8	 /* PEAK ... SELF% */
#define MAX_INDENT 8	 /* deeper rows indent no further and show their depth */

/* One row's text: the label cells, then the numbers. */
struct cells {
	char pid[48];
	char comm[176];
	char end[24];
	char num[NUMBERS][SZ];
	const struct cmdline *argv; /* shown when another row has the same comm */
	bool show_argv;
};

struct widths {
	int pid, comm, end, num[NUMBERS];
	bool argv; /* a COMMAND column */
};

static const char *const number_titles[NUMBERS] = {
	"PEAK", "FAULTED", "SELF", "KERN-LIVE", "KERN-END", "FREED", "STILL-HELD", "SELF%",
};

static const char *end_text(const struct ledger *l, char *buf, size_t len)
{
	if (ledger_oom_killed(l))
		snprintf(buf, len, "%s", OOM_END);
	else if (l->end == MR_END_EXIT && l->signal >= 0)
		snprintf(buf, len, "sig %d", l->signal);
	else if (l->end == MR_END_EXIT && l->exit_code >= 0)
		snprintf(buf, len, "exit %d", l->exit_code);
	else
		snprintf(buf, len, "%s", end_names[l->end]);
	if (l->end_inexact)
		strncat(buf, INEXACT_MARK, len - strlen(buf) - 1);
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
 * What left the address space (SELF, KERN-LIVE, KERN-END), and of that what was FREED and what
 * is STILL-HELD elsewhere (page cache, shmem, pages shared with another process).
 */
static void number_cells(struct cells *c, const struct ledger_sum *s)
{
	uint64_t self = cat_total(s->bytes[CAT_SELF_RELEASED]);
	uint64_t live = cat_total(s->bytes[CAT_KERNEL_LIVE]);
	uint64_t kend = cat_total(s->bytes[CAT_KERNEL_EXIT]) + cat_total(s->bytes[CAT_KERNEL_EXEC]);
	uint64_t freed = ledger_sum_field(s, SORT_FREED);

	human_bytes(s->peak_rss, c->num[0], SZ);
	human_bytes(cat_total(s->bytes[CAT_FAULTED_IN]), c->num[1], SZ);
	human_bytes(self, c->num[2], SZ);
	human_bytes(live, c->num[3], SZ);
	human_bytes(kend, c->num[4], SZ);
	snprintf(c->num[5], SZ, "?"); /* old recordings: unknown, never 0 */
	snprintf(c->num[6], SZ, "?");
	if (!s->freed_unknown) {
		human_bytes(freed, c->num[5], SZ);
		human_bytes(self + live + kend - freed, c->num[6], SZ);
	}
	percent(self, self + live + kend, c->num[7], SZ);
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void measure(struct widths *w, const struct cells *c)
{
	w->pid = max_int(w->pid, (int)strlen(c->pid));
	w->comm = max_int(w->comm, (int)strlen(c->comm));
	w->end = max_int(w->end, (int)strlen(c->end));
	for (int i = 0; i < NUMBERS; i++)
		w->num[i] = max_int(w->num[i], (int)strlen(c->num[i]));
}

static void widths_init(struct widths *w, const char *pid, const char *comm, const char *end)
{
	memset(w, 0, sizeof(*w));
	w->pid = (int)strlen(pid);
	w->comm = (int)strlen(comm);
	w->end = (int)strlen(end);
	for (int i = 0; i < NUMBERS; i++)
		w->num[i] = (int)strlen(number_titles[i]);
}

static void print_numbers_only(FILE *f, const struct widths *w, char num[NUMBERS][SZ])
{
	for (int i = 0; i < NUMBERS; i++)
		fprintf(f, " %*s", w->num[i], num[i]);
}

static void print_numbers(FILE *f, const struct widths *w, char num[NUMBERS][SZ])
{
	print_numbers_only(f, w, num);
	fputc('\n', f);
}

static void print_cells(FILE *f, const struct widths *w, struct cells *c)
{
	char argv[CMDLINE_MAX_BYTES + 8];

	fprintf(f, "%-*s %-*s %-*s", w->pid, c->pid, w->comm, c->comm, w->end, c->end);
	if (!c->show_argv)
		return print_numbers(f, w, c->num);
	print_numbers_only(f, w, c->num);
	fprintf(f, " %s\n", cmdline_text(c->argv, argv, sizeof(argv)));
}

static int by_comm(const void *a, const void *b)
{
	return strcmp((*(struct cells *const *)a)->comm, (*(struct cells *const *)b)->comm);
}

/* Rows that share their comm with another (15 rows all `git`) show their command lines. */
static void mark_ambiguous(struct widths *w, struct cells *c, size_t n, const bool *shown)
{
	struct cells **p = malloc((n + 1) * sizeof(*p));
	size_t m = 0;

	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		if (!shown || shown[i])
			p[m++] = &c[i];
	qsort(p, m, sizeof(*p), by_comm);
	for (size_t i = 0; i + 1 < m; i++) {
		if (strcmp(p[i]->comm, p[i + 1]->comm))
			continue;
		p[i]->show_argv = p[i]->argv && p[i]->argv->args;
		p[i + 1]->show_argv = p[i + 1]->argv && p[i + 1]->argv->args;
		w->argv |= p[i]->show_argv || p[i + 1]->show_argv;
	}
	free(p);
}

static int label_width(const struct widths *w)
{
	return w->pid + w->comm + w->end + 2;
}

/* A label across the label columns: sums, the total. */
static void print_spanning(FILE *f, const struct widths *w, int width, const char *label,
			   struct cells *c)
{
	fprintf(f, "%-*s", width, label);
	print_numbers(f, w, c->num);
}

static void print_titles(FILE *f, const struct widths *w)
{
	char titles[NUMBERS][SZ];

	for (int i = 0; i < NUMBERS; i++)
		snprintf(titles[i], SZ, "%s", number_titles[i]);
	print_numbers(f, w, titles);
}

static void print_header(FILE *f, const struct widths *w)
{
	char titles[NUMBERS][SZ];

	for (int i = 0; i < NUMBERS; i++)
		snprintf(titles[i], SZ, "%s", number_titles[i]);
	fprintf(f, "%-*s %-*s %-*s", w->pid, "PID", w->comm, "COMM", w->end, "END");
	print_numbers_only(f, w, titles);
	fputs(w->argv ? " COMMAND\n" : "\n", f);
}

/* The whole document's sums under a table, in its columns. */
static void print_total(FILE *f, struct widths *w, int width, struct cells *total)
{
	fputc('\n', f);
	print_spanning(f, w, width, total->comm, total);
}

/* The total's numbers in the table's columns, and its label within the label columns. */
static void fit_total(struct widths *w, const struct cells *total)
{
	for (int i = 0; i < NUMBERS; i++)
		w->num[i] = max_int(w->num[i], (int)strlen(total->num[i]));
	if (label_width(w) < (int)strlen(total->comm))
		w->comm += (int)strlen(total->comm) - label_width(w);
}

/* The total's label and numbers; measured with every table's rows. */
static void total_cells(struct cells *c, const struct document *d)
{
	struct ledger_sum t;

	document_totals(d, &t);
	number_cells(c, &t);
	snprintf(c->comm, sizeof(c->comm), "TOTAL, sum of %" PRIu64 " %s", t.ledgers,
		 t.ledgers == 1 ? "ledger" : "ledgers");
}

/* An END column that says oom-kill, or ends in INEXACT_MARK, says what that is, once. */
static void print_end_legends(FILE *f, const struct document *d)
{
	bool oom = false, inexact = false;

	for (size_t i = 0; i < d->n; i++) {
		oom |= ledger_oom_killed(&d->ledgers[i]);
		inexact |= d->ledgers[i].end_inexact;
	}
	if (oom)
		fprintf(f, "%s: %s (oom:mark_victim)\n", OOM_END, OOM_WORDS);
	if (inexact)
		fprintf(f, "%s: %s\n", INEXACT_MARK, INEXACT_WORDS);
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

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* --- the tree --- */

struct tree_table {
	struct tree t;
	struct cells *row;	/* per tree row */
	struct cells *sum;	/* per tree row with children: its subtree */
	char (*sum_label)[64];
	bool *shown;
	size_t hidden;
	struct widths w;
};

static void tree_row_cells(struct tree_table *tt, size_t r)
{
	const struct tree_row *row = &tt->t.row[r];
	const struct ledger *last = tt->t.node[row->last];
	struct cells *c = &tt->row[r];
	unsigned int d = row->depth;

	if (d == 0)
		snprintf(c->pid, sizeof(c->pid), "%u", last->pid);
	else if (d <= MAX_INDENT)
		snprintf(c->pid, sizeof(c->pid), "%*s`-%u", (int)(d - 1) * 2, "", last->pid);
	else /* bounded: the depth in digits instead of more spaces */
		snprintf(c->pid, sizeof(c->pid), "%*s%u`-%u", (MAX_INDENT - 1) * 2 - 1, "", d,
			 last->pid);
	tree_row_comms(&tt->t, row, c->comm, sizeof(c->comm));
	c->argv = &last->argv;
	end_text(last, c->end, sizeof(c->end));
	number_cells(c, &row->own);
	if (!row->nchildren)
		return;
	number_cells(&tt->sum[r], &row->subtree);
	snprintf(tt->sum_label[r], sizeof(tt->sum_label[r]), "%*s= sum of %" PRIu64 " %s under %u",
		 (int)(d < MAX_INDENT ? d : MAX_INDENT) * 2, "", row->subtree.ledgers,
		 plural(row->subtree.ledgers, "ledger", "ledgers"), last->pid);
}

static int tree_table_build(struct tree_table *tt, const struct document *d,
			    const struct report_opts *o)
{
	int span;

	memset(tt, 0, sizeof(*tt));
	if (tree_build(&tt->t, d))
		return -1;
	tree_sort_children(&tt->t, o->sort, o->ascending);
	tt->row = calloc(tt->t.nrows + 1, sizeof(*tt->row));
	tt->sum = calloc(tt->t.nrows + 1, sizeof(*tt->sum));
	tt->sum_label = calloc(tt->t.nrows + 1, sizeof(*tt->sum_label));
	tt->shown = calloc(tt->t.nrows + 1, sizeof(*tt->shown));
	if (!tt->row || !tt->sum || !tt->sum_label || !tt->shown)
		return -1;
	tt->hidden = select_rows(&tt->t, o, tt->shown);
	widths_init(&tt->w, "PID", "COMM", "END");
	for (size_t r = 0; r < tt->t.nrows; r++) {
		tree_row_cells(tt, r);
		if (!tt->shown[r])
			continue;
		measure(&tt->w, &tt->row[r]);
	}
	mark_ambiguous(&tt->w, tt->row, tt->t.nrows, tt->shown);
	for (size_t r = 0; r < tt->t.nrows; r++) {
		if (!tt->shown[r] || !tt->t.row[r].nchildren)
			continue;
		for (int i = 0; i < NUMBERS; i++)
			tt->w.num[i] = max_int(tt->w.num[i], (int)strlen(tt->sum[r].num[i]));
		span = (int)strlen(tt->sum_label[r]) - tt->w.pid - tt->w.comm - 2;
		tt->w.end = max_int(tt->w.end, span);
	}
	return 0;
}

static void tree_table_free(struct tree_table *tt)
{
	tree_free(&tt->t);
	free(tt->row);
	free(tt->sum);
	free(tt->sum_label);
	free(tt->shown);
}

#define SUM_MARK ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* Depth first without recursion (a recording's tree can be deep): a row, its children, then
 * the sum of its subtree. */
static void print_tree_rows(FILE *f, struct tree_table *tt)
{
	const struct tree *t = &tt->t;
	size_t *stack = malloc((2 * t->nrows + 1) * sizeof(*stack)), top = 0;

	if (!stack)
		return;
	for (size_t i = t->nroots; i-- > 0;)
		stack[top++] = t->roots[i];
	while (top) {
		size_t r = stack[--top];
		const struct tree_row *row = &t->row[r & ~SUM_MARK];

		if (r & SUM_MARK) {
			print_spanning(f, &tt->w, label_width(&tt->w), tt->sum_label[r & ~SUM_MARK],
				       &tt->sum[r & ~SUM_MARK]);
			continue;
		}
		if (tt->shown[r])
			print_cells(f, &tt->w, &tt->row[r]);
		if (!row->nchildren)
			continue;
		if (tt->shown[r])
			stack[top++] = r | SUM_MARK;
		for (size_t c = row->nchildren; c-- > 0;)
			stack[top++] = t->kids[row->first_child + c];
	}
	free(stack);
}

static void print_hidden(FILE *f, size_t hidden, const struct report_opts *o)
{
	char size[SZ];

	if (!hidden)
		return;
	fprintf(f, "(%zu more %s not shown:", hidden, plural(hidden, "row", "rows"));
	if (o->top)
		fprintf(f, " --top %ld", o->top);
	if (o->min_peak)
		fprintf(f, " --min-peak %s", human_bytes(o->min_peak, size, SZ));
	fprintf(f, "; the sums include them)\n");
}

/* Every process under the one it was forked from, with subtree sums; true if it printed one. */
static bool print_tree(FILE *f, const struct document *d, const struct report_opts *o,
		       struct cells *total, struct tree_table *tt)
{
	bool sums = false;

	if (tree_table_build(tt, d, o))
		return false;
	if (total)
		fit_total(&tt->w, total);
	print_header(f, &tt->w);
	print_tree_rows(f, tt);
	print_hidden(f, tt->hidden, o);
	if (total)
		print_total(f, &tt->w, label_width(&tt->w), total);
	for (size_t r = 0; r < tt->t.nrows; r++)
		sums |= tt->shown[r] && tt->t.row[r].nchildren > 0;
	return sums;
}

void out_text_run_summary(FILE *f, const struct document *d, uint32_t root_pid,
			  const struct report_opts *o)
{
	struct tree_table tt;

	fprintf(f, "\nmemreap: %zu address %s observed\n", d->n, d->n == 1 ? "space" : "spaces");
	print_legend(f, print_tree(f, d, o, NULL, &tt));
	print_end_legends(f, d);
	if (tt.t.node)
		out_tree_verdict(f, &tt.t, root_pid);
	tree_table_free(&tt);
	out_text_health(f, &d->health);
}

/* --- ledgers and groups --- */

static void ledger_cells(struct cells *c, const struct ledger *l)
{
	struct ledger_sum s = { 0 };

	ledger_sum_add(&s, l);
	snprintf(c->pid, sizeof(c->pid), "%u", l->pid);
	snprintf(c->comm, sizeof(c->comm), "%s", l->comm);
	printable(c->comm);
	c->argv = &l->argv;
	end_text(l, c->end, sizeof(c->end));
	number_cells(c, &s);
}

static void report_ledgers(FILE *f, const struct document *d, const struct report_opts *o,
			   struct cells *total)
{
	struct ledger *l = NULL;
	size_t n = select_ledgers(d, o, &l);
	struct cells *c = calloc(n + 1, sizeof(*c));
	struct widths w;

	if (!c)
		goto out;
	widths_init(&w, "PID", "COMM", "END");
	for (size_t i = 0; i < n; i++) {
		ledger_cells(&c[i], &l[i]);
		measure(&w, &c[i]);
	}
	mark_ambiguous(&w, c, n, NULL);
	fit_total(&w, total);
	print_header(f, &w);
	for (size_t i = 0; i < n; i++)
		print_cells(f, &w, &c[i]);
	print_hidden(f, d->n - n, o);
	print_total(f, &w, label_width(&w), total);
out:
	free(c);
	free(l);
}

static const char *const group_titles[] = {
	[BY_COMM] = "COMM", [BY_EXE] = "EXE", [BY_CGROUP] = "CGROUP",
	[BY_INTERPRETER] = "INTERPRETER",
};

/* The key first and whole (a path keeps its every character), then LEDGERS, then the numbers. */
static void report_groups(FILE *f, const struct document *d, const struct report_opts *o,
			  struct cells *total)
{
	struct group *g;
	struct cells *c = NULL;
	struct widths w;
	size_t n, shown;

	if (document_group(d, o->by, &g, &n))
		return;
	shown = select_groups(g, n, o);
	if (!(c = calloc(shown + 1, sizeof(*c))))
		goto out;
	widths_init(&w, group_titles[o->by], "LEDGERS", "");
	for (size_t i = 0; i < shown; i++) {
		snprintf(c[i].comm, sizeof(c[i].comm), "%" PRIu64, g[i].sum.ledgers);
		number_cells(&c[i], &g[i].sum);
		w.pid = max_int(w.pid, (int)strlen(printable(g[i].key)));
		measure(&w, &c[i]);
	}
	w.end = -1; /* no END column: the label is the key and LEDGERS */
	fit_total(&w, total);
	fprintf(f, "%-*s %*s", w.pid, group_titles[o->by], w.comm, "LEDGERS");
	print_titles(f, &w);
	for (size_t i = 0; i < shown; i++) {
		fprintf(f, "%-*s %*s", w.pid, g[i].key, w.comm, c[i].comm);
		print_numbers(f, &w, c[i].num);
	}
	print_hidden(f, n - shown, o);
	print_total(f, &w, label_width(&w), total);
out:
	free(c);
	groups_free(g, n);
}

void out_text_report(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct tree_table tt;
	struct cells total;
	char title[512];

	snprintf(title, sizeof(title), "memreap %s recording of %s (Linux %s): %zu %s",
		 d->meta.memreap_version, d->meta.host, d->meta.kernel, d->n,
		 plural(d->n, "ledger", "ledgers"));
	fprintf(f, "%s\n", printable(title));
	total_cells(&total, d);
	if (o->by == BY_TREE) {
		print_tree(f, d, o, &total, &tt);
		tree_table_free(&tt);
	} else if (o->by == BY_LEDGER) {
		report_ledgers(f, d, o, &total);
	} else {
		report_groups(f, d, o, &total);
	}
	print_legend(f, true);
	if (o->by == BY_TREE || o->by == BY_LEDGER)
		print_end_legends(f, d);
	out_text_health(f, &d->health);
}
