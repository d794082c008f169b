// SPDX-License-Identifier: GPL-2.0
/*
 * Releases memory through every call memreap names, in known amounts, then exits with a known
 * amount still resident. Writes what it did as JSON to the file named by argv[1].
 */
#include <errno.h>
#include "common.h"

int main(int argc, char **argv)
{
	size_t munmapped = 32 * MiB, madvised = 16 * MiB, brk_shrunk = 8 * MiB;
	size_t mremapped = 4 * MiB, fixed = 4 * MiB;
	char *big, *remap, *over, *top;
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: pattern OUT.json\n");
		return 2;
	}
	big = map_touched(64 * MiB);
	if (munmap(big, munmapped))
		die("munmap");
	if (madvise(big + munmapped, madvised, MADV_DONTNEED))
		die("madvise");

	top = sbrk(0);
	if (sbrk((intptr_t)brk_shrunk) == (void *)-1)
		die("sbrk");
	touch(top, brk_shrunk);
	if (sbrk(-(intptr_t)brk_shrunk) == (void *)-1)
		die("sbrk shrink");

	remap = map_touched(2 * mremapped);
	if (mremap(remap, 2 * mremapped, mremapped, 0) == MAP_FAILED)
		die("mremap");

	over = map_touched(fixed);
	if (mmap(over, fixed, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED)
		die("mmap fixed");

	out = fopen(argv[1], "w");
	if (!out)
		die(argv[1]);
	/* Still resident at exit: the untouched half of big (16 MiB) and the kept half of remap. */
	fprintf(out,
		"{\"munmap\": %zu, \"madvise\": %zu, \"brk\": %zu, \"mremap\": %zu, \"mmap\": %zu, "
		"\"resident_at_exit_min\": %zu}\n",
		munmapped, madvised, brk_shrunk, mremapped, fixed, 16 * MiB + mremapped);
	fclose(out);
	return 0;
}
