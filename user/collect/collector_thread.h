/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A collector on a thread of its own, for the front ends that keep running (top, the exporter):
 * it drains the ring buffer all the time and calls tick() once per period, where the front end
 * takes its snapshot. Capabilities are per thread, so they are dropped to what observing needs
 * before the thread starts (README "Privileges").
 */
#ifndef MR_COLLECTOR_THREAD_H
#define MR_COLLECTOR_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "collector.h"

struct collector_thread {
	struct collector *collector;
	pthread_t thread;
	atomic_bool stop;
	uint64_t period_ns;
	void (*tick)(void *ctx); /* on the collector thread, once per period */
	void *ctx;
};

/*
 * Open the collector, tick once (so that the front end has a first snapshot), drop the
 * capabilities, start the thread. t->period_ns, tick and ctx are set by the caller. -1 and err
 * on failure, with nothing left open.
 */
int collector_thread_start(struct collector_thread *t, const struct collector_opts *o,
			   const struct collector_handlers *h, char *err, size_t errlen);
/* Stop and join the thread, close the collector. */
void collector_thread_stop(struct collector_thread *t);

#endif
