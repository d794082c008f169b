/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's own health: the standard process_* families of Prometheus client libraries
 * (same names and meanings), read from /proc/self and getrlimit, and the time its refreshes take.
 * Read and rendered by the collector thread with each refresh, appended to that refresh's text.
 */
#ifndef MR_SELF_METRICS_H
#define MR_SELF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct self_stats {
	bool proc_ok;		   /* /proc/self/stat was read: the fields below it are set */
	double cpu_seconds;	   /* user + system */
	double start_time_seconds; /* since the epoch */
	uint64_t virtual_bytes, resident_bytes;
	bool fds_ok;
	uint64_t open_fds; /* not counting the one that lists them */
	bool limit_ok;
	uint64_t max_fds; /* RLIMIT_NOFILE, soft */
	/* Refreshes completed before the one that renders this text, and their wall time. */
	uint64_t refreshes, refresh_ns;
};

/* Fills everything but the refresh figures, which the caller keeps. */
void self_stats_read(struct self_stats *s);
/* Appends the families to text (malloc'ed, *len bytes); returns the new text, NULL when out of
 * memory (text is freed then). */
char *self_metrics_append(char *text, size_t *len, const struct self_stats *s);

#endif
