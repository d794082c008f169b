// SPDX-License-Identifier: GPL-2.0
/* N threads each map, touch and unmap 8 MiB: all of it is the one process's own release. */
#include <pthread.h>
#include "common.h"

#define THREADS 4
#define EACH (8 * MiB)

static pthread_barrier_t all_touched;

static void *worker(void *arg)
{
	char *p = map_touched(EACH);

	pthread_barrier_wait(&all_touched); /* all resident at once: the peak is known */
	if (munmap(p, EACH))
		die("munmap");
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	pthread_barrier_init(&all_touched, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("{\"threads\": %d, \"munmap\": %lu}\n", THREADS, THREADS * EACH);
	return 0;
}
