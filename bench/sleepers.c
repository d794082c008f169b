// SPDX-License-Identifier: GPL-2.0
/*
 * sleepers N: N live processes that sleep (tracked address spaces that do nothing). Prints
 * "ready N" once all exist; ends them all on SIGINT or SIGTERM, and they die with it anyway.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	pid_t *pids = calloc((size_t)(n > 0 ? n : 1), sizeof(*pids));
	pid_t parent = getpid();
	sigset_t block, old;

	if (n <= 0 || !pids) {
		fprintf(stderr, "usage: sleepers N (N > 0)\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("sleepers: fork");
			n = i;
			stop = 1;
			break;
		}
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0); /* the parent is already gone */
			for (;;)
				pause();
		}
	}
	printf("ready %ld\n", n);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	for (long i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}
