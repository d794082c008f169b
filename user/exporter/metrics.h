/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's counters (metrics contract memreap-metrics/v1, see README "Exporter"): ledgers
 * aggregated into series by bounded labels, and their exposition text.
 *
 * A series' value is what its ended ledgers brought plus what its live ledgers did so far. Every
 * ledger is pinned to one series when it is first seen (its comm may change later; its series
 * does not), so:
 *  - a live ledger only grows, and when it ends its final numbers replace its last live ones in
 *    the same series: no series goes backwards, and each ledger is counted once;
 *  - a ledger that left the kernel map but whose end is not handled yet keeps its last numbers;
 *  - label values are never taken back (label_pool.h);
 *  - a new series is shown at 0 until a scrape has served that 0, so that rate() and increase()
 *    see its first ledger (Prometheus takes a series' first sample as its starting point).
 * Pure logic (no libbpf), unit-tested; the collector thread feeds it (exporter.c).
 */
#ifndef MR_METRICS_H
#define MR_METRICS_H

#include "document.h"
#include "ledger.h"

#define METRICS_CONTRACT     "memreap-metrics/v1"
#define METRICS_MAX_PROGRAMS 16

enum released_by { BY_SELF, BY_KERNEL_EXIT, BY_KERNEL_EXEC, BY_KERNEL_LIVE, NBY };
extern const char *const released_by_names[NBY];

struct metrics_opts {
	uint32_t max_comm_labels; /* N: comms with a label value of their own */
	bool cgroup_labels;	  /* add a cgroup label (bounded the same way) */
	bool container_labels;	  /* add container_id, pod_uid, unit (bounded together, the same way) */
};

/* What the collector reports besides ledgers, copied in before each render. */
struct metrics_state {
	struct health health;
	uint64_t tracked;      /* live ledgers in the kernel map */
	int bpf_stats_enabled; /* 1, 0, or -1 if unknown */
	struct program_stats programs[METRICS_MAX_PROGRAMS];
	size_t nprograms;
	const char *version, *kernel;
	uint64_t generation; /* of the snapshot being rendered (1, 2, ...) */
	uint64_t served;     /* the newest generation a scrape has served */
};

struct metrics;

struct metrics *metrics_new(const struct metrics_opts *o);
void metrics_free(struct metrics *m);
/* One pass over the live ledgers: begin, each ledger, end (pins new ledgers to series). */
void metrics_live_begin(struct metrics *m);
void metrics_live(struct metrics *m, const struct ledger *l);
void metrics_live_end(struct metrics *m);
/* A ledger ended: its final numbers, counted once. */
void metrics_ended(struct metrics *m, const struct ledger *l);
/* The exposition text (malloc'ed, NUL-terminated), or NULL when out of memory. */
char *metrics_render(struct metrics *m, const struct metrics_state *s, size_t *len);

#endif
