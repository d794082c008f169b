// SPDX-License-Identifier: GPL-2.0
/*
 * Maps and touches MIB MiB, says "ready" on stdout, then waits for a line on stdin. On that line
 * it unmaps FREE MiB of it and exits normally. With "kill" as its third argument it raises
 * SIGKILL right after touching instead; with "hold" it says "freed" after the unmap and waits for
 * another line before it exits.
 *
 *   hog MIB FREE [kill|hold]
 */
#include <signal.h>
#include "common.h"

int main(int argc, char **argv)
{
	size_t total = (size_t)atol(argc > 1 ? argv[1] : "64") * MiB;
	size_t freed = (size_t)atol(argc > 2 ? argv[2] : "0") * MiB;
	char *p = map_touched(total), line[16];

	if (argc > 3 && !strcmp(argv[3], "kill"))
		raise(SIGKILL);
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	if (freed && munmap(p, freed))
		die("munmap");
	if (argc > 3 && !strcmp(argv[3], "hold")) {
		printf("freed\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	return 0;
}
