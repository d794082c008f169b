// SPDX-License-Identifier: GPL-2.0
/* Starts N short processes, at most K in flight, each exiting at once. Prints how many. */
#include <sys/wait.h>
#include "common.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000, inflight = argc > 2 ? atoi(argv[2]) : 8;
	int running = 0, started = 0;

	while (started < n || running > 0) {
		if (started < n && running < inflight) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(0);
			if (pid < 0)
				die("fork");
			started++;
			running++;
			continue;
		}
		if (wait(NULL) > 0)
			running--;
	}
	printf("{\"started\": %d}\n", started);
	return 0;
}
