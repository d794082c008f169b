// SPDX-License-Identifier: GPL-2.0
/*
 * Maps and touches N regions of MIB MiB, then unmaps them one after another, with nothing in
 * between: N releases by the same call, back to back, that a timeline must show as N events.
 *
 *   unmaps N MIB        (default: 3 8)
 */
#include "common.h"

#define MAX_REGIONS 64

int main(int argc, char **argv)
{
	int n = atoi(argc > 1 ? argv[1] : "3");
	size_t len = (size_t)atol(argc > 2 ? argv[2] : "8") * MiB;
	char *region[MAX_REGIONS];

	if (n < 1 || n > MAX_REGIONS)
		die("unmaps: N out of range");
	for (int i = 0; i < n; i++)
		region[i] = map_touched(len);
	for (int i = 0; i < n; i++)
		if (munmap(region[i], len))
			die("munmap");
	return 0;
}
