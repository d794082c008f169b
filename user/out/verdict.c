// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict on one ledger, in words: who gave its memory back (the process or the kernel, and
 * when), how much of that went back to the page allocator, and where the rest still is.
 */
#include <string.h>
#include "out.h"
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

	APPEND(buf, len, &n, "%s (pid %u): peak %s; released %s itself", l->comm, l->pid,
	       human_bytes(l->peak_rss, peak, SZ),
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

void out_verdict(FILE *f, const struct ledger *l, const struct ledger *parent)
{
	char line[1024];

	who_released(l, line, sizeof(line));
	fprintf(f, "verdict: %s\n", printable(line));
	what_was_freed(l, line, sizeof(line));
	fprintf(f, "  %s\n", line);
	if (where_it_stays(l, parent, line, sizeof(line)))
		fprintf(f, "  %s\n", line);
}
