// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict on one ledger, in words: who gave its memory back (the process or the kernel, and
 * when), how much of that went back to the page allocator, and where the rest still is.
 */
#include <inttypes.h>
#include <string.h>
#include "out.h"
#include "tree.h"
#include "util.h"

#define SZ 16

/* snprintf that appends at *n and never runs past len. */
#define APPEND(buf, len, n, ...)                                                                   \
	do {                                                                                       \
		if (*(n) < (len))                                                                  \
			*(n) += snprintf((buf) + *(n), (len) - *(n), __VA_ARGS__);                 \
	} while (0)

static void shutdown_words(const struct ledger *l, char *buf, size_t len, size_t *n)
{
	uint64_t released = ledger_released_total(l);
	char pct[8];

	if (!l->interp.name[0])
		return;
	if (l->shutdown_unwatched && !l->shutdown_started_ns)
		APPEND(buf, len, n, " (its interpreter's shutdown could not be watched)");
	else if (l->shutdown_started_ns)
		APPEND(buf, len, n, " (%s during interpreter shutdown)",
		       percent(cat_total(l->shutdown_released), released, pct, sizeof(pct)));
	else if (l->end != MR_END_ALIVE)
		APPEND(buf, len, n, " (its interpreter never ran its shutdown)");
}

/* "python3 (pid 7): peak 225 MiB; released 96% itself (...); the kernel unmapped 8 MiB at exit" */
static void who_released(const struct ledger *l, char *buf, size_t len)
{
	char peak[SZ], bytes[SZ], pct[8];
	uint64_t self = cat_total(l->bytes[CAT_SELF_RELEASED]);
	size_t n = 0;

	APPEND(buf, len, &n, "%s (pid %u): %speak %s; released %s itself", l->comm, l->pid,
	       ledger_oom_killed(l) ? OOM_WORDS "; " : "", human_bytes(l->peak_rss, peak, SZ),
	       percent(self, ledger_released_total(l), pct, sizeof(pct)));
	shutdown_words(l, buf, len, &n);
	if (cat_total(l->bytes[CAT_KERNEL_LIVE]))
		APPEND(buf, len, &n, "; the kernel took %s while it ran",
		       human_bytes(cat_total(l->bytes[CAT_KERNEL_LIVE]), bytes, SZ));
	if (l->end == MR_END_EXIT)
		APPEND(buf, len, &n, "; the kernel unmapped %s at exit",
		       human_bytes(cat_total(l->bytes[CAT_KERNEL_EXIT]), bytes, SZ));
	else if (l->end == MR_END_EXEC)
		APPEND(buf, len, &n, "; the kernel unmapped %s at exec",
		       human_bytes(cat_total(l->bytes[CAT_KERNEL_EXEC]), bytes, SZ));
	else
		APPEND(buf, len, &n, "; still alive with %s resident",
		       human_bytes(cat_total(l->bytes[CAT_RSS_AT_END]), bytes, SZ));
}

/* "freed: 218 MiB of the 218 MiB it released itself, 4 MiB of the 8 MiB unmapped at exit" */
static void what_was_freed(const struct ledger *l, char *buf, size_t len)
{
	static const char *const whose[NCATEGORIES] = {
	    [CAT_SELF_RELEASED] = "it released itself",
	    [CAT_KERNEL_LIVE] = "the kernel took while it ran",
	    [CAT_KERNEL_EXIT] = "unmapped at exit",
	    [CAT_KERNEL_EXEC] = "unmapped at exec",
	};
	char freed[SZ], released[SZ];
	const char *sep = "";
	size_t n = 0;

	if (l->freed_unknown) {
		APPEND(buf, len, &n, "freed: unknown (recorded before memreap measured it)");
		return;
	}
	APPEND(buf, len, &n, "freed (back to the page allocator): ");
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++) {
		if (!cat_total(l->bytes[c]))
			continue;
		APPEND(buf, len, &n, "%s%s of the %s %s", sep,
		       human_bytes(cat_total(l->freed[c]), freed, SZ),
		       human_bytes(cat_total(l->bytes[c]), released, SZ), whose[c]);
		sep = ", ";
	}
	if (!*sep)
		APPEND(buf, len, &n, "nothing left its address space");
	if (l->end_inexact)
		APPEND(buf, len, &n, " (%s)", INEXACT_WORDS);
}

/* Of what left, the part not freed, per kind. */
static void still_held(const struct ledger *l, uint64_t held[MR_NKINDS])
{
	for (int k = 0; k < MR_NKINDS; k++) {
		held[k] = 0;
		for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
			held[k] += l->bytes[c][k] - l->freed[c][k];
	}
}

/*
 * "still in memory elsewhere: 3 MiB file pages in the page cache, ...". An anonymous page
 * outlives an address space while another one maps it (shared copy-on-write since a fork), or
 * for a moment when another CPU's page batch still holds it (then it is freed elsewhere).
 */
static bool where_it_stays(const struct ledger *l, const struct ledger *parent, char *buf,
			   size_t len)
{
	uint64_t held[MR_NKINDS];
	char anon[SZ], file[SZ], shmem[SZ];
	const char *sep = "";
	size_t n = 0;

	still_held(l, held);
	if (l->freed_unknown || !cat_total(held))
		return false;
	APPEND(buf, len, &n, "still in memory elsewhere: ");
	if (held[MR_ANON]) {
		human_bytes(held[MR_ANON], anon, SZ);
		if (parent && (parent->end == MR_END_ALIVE || parent->end_ns > l->end_ns))
			APPEND(buf, len, &n,
			       "%s anonymous pages still shared copy-on-write (its "
			       "parent, pid %u, outlived it)",
			       anon, parent->pid);
		else
			APPEND(buf, len, &n,
			       "%s anonymous pages not freed in its own teardown (shared "
			       "copy-on-write with a process that outlived it, or held a moment "
			       "longer in per-CPU page batches)",
			       anon);
		sep = ", ";
	}
	if (held[MR_FILE]) {
		APPEND(buf, len, &n, "%s%s file pages in the page cache", sep,
		       human_bytes(held[MR_FILE], file, SZ));
		sep = ", ";
	}
	if (held[MR_SHMEM])
		APPEND(buf, len, &n, "%s%s shmem pages kept by their file or segment", sep,
		       human_bytes(held[MR_SHMEM], shmem, SZ));
	return true;
}

/* "label: words", wrapped at 100 columns under the label's indent plus 2. */
static void print_para(FILE *f, int indent, const char *label, const char *words)
{
	char line[1100];

	snprintf(line, sizeof(line), "%*s%s%s", indent, "", label, words);
	fprint_wrapped(f, printable(line), indent + 2, 100);
}

void out_verdict(FILE *f, const struct ledger *l, const struct ledger *parent, const char *label,
		 int indent)
{
	char line[1024];

	who_released(l, line, sizeof(line));
	print_para(f, indent, label, line);
	what_was_freed(l, line, sizeof(line));
	print_para(f, indent + 2, "", line);
	if (where_it_stays(l, parent, line, sizeof(line)))
		print_para(f, indent + 2, "", line);
}

/* --- the tree --- */

#define VERDICT_TOP 3

static uint64_t kernel_freed(const struct ledger_sum *s)
{
	return cat_total(s->freed[CAT_KERNEL_LIVE]) + cat_total(s->freed[CAT_KERNEL_EXIT]) +
	       cat_total(s->freed[CAT_KERNEL_EXEC]);
}

static bool in_subtree(const struct tree *t, size_t row, size_t root)
{
	for (long r = (long)row; r >= 0; r = t->row[r].parent)
		if ((size_t)r == root)
			return true;
	return false;
}

/* "sort (pid 7) 454 MiB, sh -> sort (pid 8) 2 MiB": the subtree's largest rows by value(). */
static void largest(const struct tree *t, size_t root, uint64_t (*value)(const struct ledger_sum *),
		    char *buf, size_t len)
{
	size_t best[VERDICT_TOP], nbest = 0, n = 0;
	char comms[128], bytes[SZ];

	for (size_t r = root; r < t->nrows; r++) {
		size_t at = nbest;

		if (!in_subtree(t, r, root) || !value(&t->row[r].own))
			continue;
		while (at > 0 && value(&t->row[best[at - 1]].own) < value(&t->row[r].own))
			at--;
		if (at >= VERDICT_TOP)
			continue;
		nbest += nbest < VERDICT_TOP;
		memmove(&best[at + 1], &best[at], (nbest - at - 1) * sizeof(*best));
		best[at] = r;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < nbest && n < len; i++) {
		const struct tree_row *row = &t->row[best[i]];

		APPEND(buf, len, &n, "%s%s (pid %u) %s", i ? ", " : "",
		       tree_row_comms(t, row, comms, sizeof(comms)), t->node[row->last]->pid,
		       human_bytes(value(&row->own), bytes, SZ));
	}
}

static uint64_t peak_of(const struct ledger_sum *s)
{
	return s->peak_rss;
}

/* "the whole tree (sums of resident sets): released 13 MiB itself (41%), the kernel ..." */
static void tree_sums(const struct ledger_sum *s, char *buf, size_t len)
{
	uint64_t self = cat_total(s->bytes[CAT_SELF_RELEASED]);
	uint64_t kernel = ledger_sum_field(s, SORT_KERNEL), freed = ledger_sum_field(s, SORT_FREED);
	char a[SZ], b[SZ], c[SZ], d[SZ], pct[8];
	size_t n = 0;

	APPEND(buf, len, &n, "the whole tree, %" PRIu64 " %s (sums of resident sets): faulted in "
	       "%s, released %s itself (%s), the kernel %s", s->ledgers,
	       s->ledgers == 1 ? "ledger" : "ledgers",
	       human_bytes(cat_total(s->bytes[CAT_FAULTED_IN]), a, SZ), human_bytes(self, b, SZ),
	       percent(self, self + kernel, pct, sizeof(pct)), human_bytes(kernel, c, SZ));
	if (s->freed_unknown)
		APPEND(buf, len, &n, "; freed unknown (an old recording)");
	else
		APPEND(buf, len, &n, "; freed %s, still in memory elsewhere %s", human_bytes(freed, d, SZ),
		       human_bytes(self + kernel - freed, a, SZ));
}

static long root_row(const struct tree *t, uint32_t root_pid)
{
	for (size_t r = 0; r < t->nroots; r++)
		if (t->node[t->row[t->roots[r]].first]->pid == root_pid)
			return (long)t->roots[r];
	return t->nroots ? (long)t->roots[0] : -1;
}

static const struct ledger *ledger_with_id(const struct tree *t, uint64_t id)
{
	for (size_t i = 0; id && i < t->n; i++)
		if (t->node[i]->id == id)
			return t->node[i];
	return NULL;
}

void out_tree_verdict(FILE *f, const struct tree *t, uint32_t root_pid)
{
	long r = root_row(t, root_pid);
	const struct ledger *root;
	char line[1024];

	if (r < 0)
		return;
	root = t->node[t->row[r].last];
	if (t->row[r].nchildren) {
		fprintf(f, "verdict on the tree of %s (pid %u):\n",
			tree_row_comms(t, &t->row[r], line, sizeof(line)), root->pid);
		largest(t, (size_t)r, peak_of, line, sizeof(line));
		print_para(f, 2, "largest peaks: ", line);
		largest(t, (size_t)r, kernel_freed, line, sizeof(line));
		if (line[0])
			print_para(f, 2, "most freed by the kernel: ", line);
		tree_sums(&t->row[r].subtree, line, sizeof(line));
		print_para(f, 2, "", line);
	}
	out_verdict(f, root, ledger_with_id(t, t->node[t->row[r].first]->parent_id),
		    t->row[r].nchildren ? "root: " : "verdict: ", t->row[r].nchildren ? 2 : 0);
}
