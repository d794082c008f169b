// SPDX-License-Identifier: GPL-2.0
/* Scenario 2: mmap 64 KiB, touch its 16 pages, munmap; repeat N times. Prints timing.h's line. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "timing.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	size_t len = 64 << 10, page = (size_t)sysconf(_SC_PAGESIZE);
	struct bench_clock start = bench_start();

	for (long i = 0; i < n; i++) {
		char *p =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		for (size_t off = 0; off < len; off += page)
			p[off] = 1;
		munmap(p, len);
	}
	bench_report(start, n);
	return 0;
}
