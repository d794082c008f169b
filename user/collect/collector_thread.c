// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "caps.h"
#include "collector_thread.h"
#include "util.h"

static void *run(void *arg)
{
	struct collector_thread *t = arg;
	uint64_t next = clock_ns(CLOCK_MONOTONIC) + t->period_ns;

	while (!atomic_load(&t->stop)) {
		if (clock_ns(CLOCK_MONOTONIC) >= next) {
			t->tick(t->ctx);
			next = clock_ns(CLOCK_MONOTONIC) + t->period_ns;
		}
		collector_poll(t->collector, 50);
	}
	return NULL;
}

int collector_thread_start(struct collector_thread *t, const struct collector_opts *o,
			   const struct collector_handlers *h, char *err, size_t errlen)
{
	atomic_init(&t->stop, false);
	t->collector = collector_open(o, h, err, errlen);
	if (!t->collector)
		return -1;
	t->tick(t->ctx);
	/* Before the thread starts: capabilities are per thread. */
	if (caps_drop(CAPS_KEEP_OBSERVE, err, errlen))
		goto fail;
	if (pthread_create(&t->thread, NULL, run, t)) {
		snprintf(err, errlen, "cannot start the collector thread: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	collector_close(t->collector);
	t->collector = NULL;
	return -1;
}

void collector_thread_stop(struct collector_thread *t)
{
	atomic_store(&t->stop, true);
	pthread_join(t->thread, NULL);
	collector_close(t->collector);
	t->collector = NULL;
}
