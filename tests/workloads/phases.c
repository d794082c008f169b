// SPDX-License-Identifier: GPL-2.0
/*
 * Memory over time, in phases a timeline must show: maps and touches HOLD MiB, keeps them for
 * SECONDS, unmaps FREE MiB of them, keeps the rest for SECONDS, exits.
 *
 *   phases HOLD FREE SECONDS        (default: 200 150 1)
 */
#include <time.h>
#include "common.h"

static void hold(double seconds)
{
	struct timespec t = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&t, &t))
		;
}

int main(int argc, char **argv)
{
	size_t total = (size_t)atol(argc > 1 ? argv[1] : "200") * MiB;
	size_t freed = (size_t)atol(argc > 2 ? argv[2] : "150") * MiB;
	double seconds = atof(argc > 3 ? argv[3] : "1");
	char *p = map_touched(total);

	hold(seconds);
	if (munmap(p, freed))
		die("munmap");
	hold(seconds);
	return 0;
}
