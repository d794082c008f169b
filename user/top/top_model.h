/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `memreap top` shows, shared between the collector thread (which keeps draining the ring
 * buffer and takes a snapshot of the live-ledger map once per refresh) and the view, which only
 * reads snapshots under the lock. No per-event work ever reaches the view.
 */
#ifndef MR_TOP_MODEL_H
#define MR_TOP_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include "collector_thread.h"
#include "scope.h"
#include "top_format.h"

#define TOP_RECENT 64
/* Exec chains whose process still runs its last image: the oldest goes when this is full. */
#define TOP_PENDING 1024

struct top_row {
	uint32_t pid;
	char comm[MR_COMM_LEN];
	char interp[16]; /* interpreter name, "" for none */
	struct top_rss_history rss_history; /* its ledger's RSS at the last refreshes, this one last */
	char *exe, *cgroup; /* the model's rows: in its names, each name once */
	uint64_t rss, peak, self, kernel_live, freed, start_ns;
	uint64_t ledger_id;
};

struct top_names;

/*
 * What the collector thread builds as ledgers end, between two snapshots: only that thread
 * touches it (and the main thread before the collector thread starts), so it needs no lock.
 */
struct top_collecting {
	struct top_totals ended;
	struct top_ended recent[TOP_RECENT]; /* newest first, only chains in the scope */
	size_t nrecent;
	struct top_ended pending[TOP_PENDING]; /* chains that ended by exec so far */
	size_t npending;
	/* the rows array and names that the view no longer shows: the next snapshot's */
	struct top_row *spare;
	size_t spare_cap, shown_cap;
	struct top_names *spare_names;
};

enum top_sort { TOP_SORT_PID, TOP_SORT_COMM, TOP_SORT_RSS, TOP_SORT_PEAK, TOP_SORT_RELEASED, TOP_SORT_KERNEL, TOP_SORT_AGE,
		TOP_NSORTS };
extern const char *const top_sort_names[TOP_NSORTS];

struct top_model {
	pthread_mutex_t lock;
	struct collector_thread ct;
	uint64_t refresh_ns;
	struct scope scope; /* --pid and --comm: the table and the pane show these processes */
	struct top_collecting collecting;
	/*
	 * The latest snapshot, under the lock: header, table and pane all come from it. Its rows are
	 * in ledger order and never change: the collector thread reads them without the lock for the
	 * next snapshot's histories, and the view sorts an order of them (top_row_order).
	 */
	struct top_row *rows;
	size_t nrows;
	struct top_names *names; /* the rows' exe and cgroup names */
	struct top_ended recent[TOP_RECENT]; /* newest first */
	size_t nrecent;
	struct top_totals totals, rate; /* rate: per second over the last refresh */
	struct top_history self_rates, kernel_freed_rates; /* rate.self, rate.kernel_freed */
	struct health health;
	uint64_t started_ns, snapshot_ns, generation;
};

int top_model_start(struct top_model *m, const struct collector_opts *o, char *err, size_t errlen);
void top_model_stop(struct top_model *m);
/*
 * Wait until a snapshot newer than `generation` exists (or timeout_ms passes); returns the
 * latest generation.
 */
uint64_t top_model_wait(struct top_model *m, uint64_t generation, int timeout_ms);
/* The header's figures of the latest snapshot. Call with the lock held. */
void top_model_figures(const struct top_model *m, struct top_figures *f);
/*
 * The rows' indices sorted by field, to free; NULL when out of memory (show them as they are).
 * Call with the lock held for the model's rows.
 */
uint32_t *top_row_order(const struct top_row *rows, size_t n, enum top_sort by, bool ascending);
/* The ith row shown: by order, or as they are when there is none. */
static inline const struct top_row *top_row_at(const struct top_row *rows, const uint32_t *order,
					       size_t i)
{
	return &rows[order ? order[i] : i];
}
/* Does the row match a substring filter on comm, exe, interpreter or cgroup? */
bool top_row_matches(const struct top_row *r, const char *filter);

#endif
