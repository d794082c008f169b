/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `memreap exporter`'s model: a collector thread drains ended ledgers into the metrics as they
 * come, reads the live ledgers once per refresh, renders the exposition text, and publishes it as
 * an immutable, reference-counted snapshot. A scrape only takes a reference under a short lock:
 * scrapes never wait for the collector, and the collector never waits for a scrape.
 */
#ifndef MR_EXPORTER_H
#define MR_EXPORTER_H

#include <pthread.h>
#include <stdatomic.h>
#include "collector_thread.h"
#include "metrics.h"

struct snapshot_text {
	atomic_int refs;
	uint64_t generation;
	size_t len;
	char *text;
};

struct exporter {
	pthread_mutex_t lock;
	struct collector_thread ct;
	struct metrics *metrics; /* the collector thread's own */
	uint64_t refresh_ns;
	char kernel[128];
	uint64_t generation;	 /* of the last snapshot rendered */
	uint64_t refreshes, refreshing_ns; /* refreshes completed, and their wall time */
	_Atomic uint64_t served; /* the newest generation a scrape has served */
	/* under lock */
	struct snapshot_text *current;
	uint64_t refreshed_ns; /* CLOCK_MONOTONIC of the last published snapshot */
};

int exporter_start(struct exporter *e, const struct collector_opts *co,
		   const struct metrics_opts *mo, char *err, size_t errlen);
void exporter_stop(struct exporter *e);
/* The latest snapshot, with a reference the caller gives back with snapshot_put. */
struct snapshot_text *exporter_snapshot(struct exporter *e);
void snapshot_put(struct snapshot_text *t);
/* A scrape served this snapshot: its new series may show their values from the next one on. */
void exporter_served(struct exporter *e, const struct snapshot_text *t);
/* Nanoseconds since the last snapshot was published. */
uint64_t exporter_staleness_ns(struct exporter *e);

#endif
