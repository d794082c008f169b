// SPDX-License-Identifier: GPL-2.0
/*
 * Page frees outside any release: reads a 64 MiB file into the page cache and drops it again
 * with posix_fadvise(POSIX_FADV_DONTNEED), ROUNDS times. The process maps nothing, so no RSS
 * counter changes, and memreap's page-free program finds no release open: only the closed window
 * its thread keeps since its start-up released memory (ld.so's munmaps), or none.
 * Prints timing.h's line; OPS counts pages dropped.
 *
 *   pagecache FILE ROUNDS
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "timing.h"

#define FILE_BYTES (64ul << 20)

static int fill(const char *path)
{
	static char block[1 << 16];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	memset(block, 1, sizeof(block));
	for (size_t done = 0; done < FILE_BYTES; done += sizeof(block))
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			return -1;
	return fsync(fd) ? -1 : fd; /* clean pages: DONTNEED drops them at once */
}

int main(int argc, char **argv)
{
	static char block[1 << 16];
	int rounds = argc > 2 ? atoi(argv[2]) : 20, fd = argc > 1 ? fill(argv[1]) : -1;
	struct bench_clock start;

	if (fd < 0)
		return 1;
	unlink(argv[1]);
	/* No readahead: the cache fills one 4 KiB page at a time, one free per page dropped. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	start = bench_start();
	for (int r = 0; r < rounds; r++) {
		for (off_t at = 0; at < (off_t)FILE_BYTES; at += sizeof(block))
			if (pread(fd, block, sizeof(block), at) != (ssize_t)sizeof(block))
				return 1;
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	bench_report(start, (long)(rounds * (FILE_BYTES / (size_t)sysconf(_SC_PAGESIZE))));
	return 0;
}
