/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every bench workload prints on its last line: "WALL CPU OPS" (seconds of wall-clock time
 * and of CPU time of the process and its waited-for children, and the operations done), so that a
 * wrapper's own start-up (strace, perf trace) is not counted.
 */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline double bench_cpu(int who)
{
	struct rusage u;

	getrusage(who, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct bench_clock {
	double wall, cpu;
};

static inline struct bench_clock bench_start(void)
{
	return (struct bench_clock){bench_now(),
				    bench_cpu(RUSAGE_SELF) + bench_cpu(RUSAGE_CHILDREN)};
}

static inline void bench_report(struct bench_clock s, long ops)
{
	double cpu = bench_cpu(RUSAGE_SELF) + bench_cpu(RUSAGE_CHILDREN);

	printf("%.6f %.6f %ld\n", bench_now() - s.wall, cpu - s.cpu, ops);
	fflush(stdout);
}

#endif
