// SPDX-License-Identifier: GPL-2.0
/* Scenario 1: map 256 MiB, touch every page, unmap; repeat ROUNDS times. Prints timing.h's line. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "timing.h"

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	size_t len = 256ul << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	struct bench_clock start = bench_start();

	for (int r = 0; r < rounds; r++) {
		char *p =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		madvise(p, len, MADV_NOHUGEPAGE); /* one fault per 4 KiB page: the worst case */
		for (size_t i = 0; i < len; i += page)
			p[i] = 1;
		munmap(p, len);
	}
	bench_report(start, (long)(rounds * (len / page)));
	return 0;
}
