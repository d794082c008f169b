// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write after fork: the parent maps and touches MIB MiB of anonymous memory, forks KIDS
 * children that write WRITE MiB of it (each write copies a page) and leave with _exit, waits for
 * them, then exits with its region still mapped. A child's exit unmaps every page, but frees only
 * its copies: the rest is still the parent's. The parent's exit frees the original.
 *
 * With CGROUP_PROCS, the one child moves itself into that cgroup before writing (its copies are
 * charged there), says "ready" on stdout and waits for a line on stdin before it exits.
 *
 *   cow MIB KIDS WRITE [CGROUP_PROCS]
 */
#include <sys/wait.h>
#include "common.h"

static void join_cgroup(const char *procs)
{
	FILE *f = fopen(procs, "w");

	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die(procs);
}

static void child(char *region, size_t written, const char *procs)
{
	char line[16];

	if (procs)
		join_cgroup(procs);
	touch(region, written);
	if (procs) {
		printf("ready %d\n", getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			_exit(1);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: cow MIB KIDS WRITE [CGROUP_PROCS]\n");
		return 2;
	}
	size_t len = (size_t)atol(argv[1]) * MiB, written = (size_t)atol(argv[3]) * MiB;
	int kids = atoi(argv[2]);
	char *region = map_touched(len);

	for (int i = 0; i < kids; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			child(region, written < len ? written : len, argc > 4 ? argv[4] : NULL);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
