// SPDX-License-Identifier: GPL-2.0
/*
 * Forks children that exit at once without touching memory, and one that maps 16 MiB and exits
 * with it resident. The parent holds 24 MiB of touched anonymous memory that fork copies into
 * each child's counters from the parent's context.
 *
 *   forker N_IDLE
 */
#include <sys/wait.h>
#include "common.h"

int main(int argc, char **argv)
{
	int idle = argc > 1 ? atoi(argv[1]) : 20;
	char *held = map_touched(24 * MiB);
	pid_t pid;

	for (int i = 0; i < idle; i++) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			die("fork");
	}
	pid = fork();
	if (pid == 0) {
		map_touched(16 * MiB);
		_exit(3);
	}
	while (wait(NULL) > 0)
		;
	printf("{\"idle\": %d, \"held\": %lu, \"busy_child\": %d}\n", idle, 24 * MiB, pid);
	return held[0] == 1 ? 0 : 1;
}
