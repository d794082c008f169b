// SPDX-License-Identifier: GPL-2.0
/* Maps and touches 32 MiB, then execs argv[1..]: exec, not the process, gives it back. */
#include "common.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: execer CMD [ARG...]\n");
		return 2;
	}
	map_touched(32 * MiB);
	execvp(argv[1], argv + 1);
	die("execvp");
}
