// SPDX-License-Identifier: GPL-2.0
/*
 * N threads each map, touch and unmap 8 MiB, ROUNDS times: all of it is the one process's own
 * release. With one round the threads hold their memory at once (the peak is known); with more,
 * they fault and unmap at the same time, on as many CPUs as they get.
 *
 *   threads [N [ROUNDS]]     (default 4 threads, 1 round)
 */
#include <pthread.h>
#include "common.h"

#define MAX_THREADS 64
#define EACH (8 * MiB)

static pthread_barrier_t all_touched;
static int rounds = 1;

static void *worker(void *arg)
{
	for (int r = 0; r < rounds; r++) {
		char *p = map_touched(EACH);

		if (rounds == 1)
			pthread_barrier_wait(&all_touched); /* all resident at once */
		if (munmap(p, EACH))
			die("munmap");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[MAX_THREADS];

	rounds = argc > 2 ? atoi(argv[2]) : 1;
	if (n < 1 || n > MAX_THREADS || rounds < 1) {
		fprintf(stderr, "usage: threads [N (1..%d) [ROUNDS]]\n", MAX_THREADS);
		return 2;
	}
	pthread_barrier_init(&all_touched, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("{\"threads\": %d, \"rounds\": %d, \"munmap\": %lu}\n", n, rounds,
	       (unsigned long)n * rounds * EACH);
	return 0;
}
