// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario 4 and the exit-rate runs: short processes, at most INFLIGHT at once.
 *   exitstorm exec|fork N INFLIGHT [RATE]
 * exec: fork + exec /bin/true; fork: fork + _exit. N > 0 processes in all, or -N seconds' worth;
 * RATE > 0 paces the starts to RATE per second. Prints timing.h's line (OPS = processes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "timing.h"

static int usage(void)
{
	fprintf(stderr, "usage: exitstorm exec|fork N|-SECONDS INFLIGHT [RATE]\n");
	return 2;
}

static void start_one(int do_exec)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("exitstorm: fork");
		exit(1);
	}
	if (pid)
		return;
	if (do_exec)
		execl("/bin/true", "true", (char *)NULL);
	_exit(0);
}

/* May another process start now? */
static int may_start(long started, long n, double seconds, double rate, struct bench_clock s)
{
	double elapsed = bench_now() - s.wall;

	if (n > 0 ? started >= n : elapsed >= seconds)
		return 0;
	return rate <= 0 || started < rate * elapsed + 1;
}

int main(int argc, char **argv)
{
	long n, started = 0, running = 0, inflight;
	double seconds, rate;
	struct bench_clock start;
	int do_exec;

	if (argc < 4 || (strcmp(argv[1], "exec") && strcmp(argv[1], "fork")))
		return usage();
	do_exec = !strcmp(argv[1], "exec");
	n = atol(argv[2]);
	seconds = n < 0 ? (double)-n : 0;
	inflight = atol(argv[3]);
	rate = argc > 4 ? atof(argv[4]) : 0;
	if (!n || inflight <= 0)
		return usage();
	start = bench_start();
	for (;;) {
		if (running < inflight && may_start(started, n, seconds, rate, start)) {
			start_one(do_exec);
			started++;
			running++;
			continue;
		}
		if (!running && !may_start(started, n, seconds, 0, start))
			break;
		if (running && (running == inflight || rate <= 0 || (n > 0 && started >= n))) {
			if (wait(NULL) > 0)
				running--;
			continue;
		}
		if (running && waitpid(-1, NULL, WNOHANG) > 0) {
			running--;
			continue;
		}
		usleep(100); /* paced: the next start is not due yet */
	}
	bench_report(start, started);
	return 0;
}
