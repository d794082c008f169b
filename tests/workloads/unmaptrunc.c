// SPDX-License-Identifier: GPL-2.0
/*
 * A release's window ends with its call. Writes a file of MIB MiB, maps it shared and reads every
 * page, unmaps it (released; the pages stay in the page cache), then truncates the file in a call
 * of its own: the truncate frees those pages in this process's context, with no RSS change in
 * between, and they are not the munmap's freed memory.
 *
 *   unmaptrunc FILE MIB
 */
#include <fcntl.h>
#include "common.h"

static void write_file(int fd, size_t len)
{
	static char block[1 << 16];

	memset(block, 'm', sizeof(block));
	for (size_t done = 0; done < len; done += sizeof(block))
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			die("write");
	if (fsync(fd)) /* clean pages: nothing under writeback when the truncate drops them */
		die("fsync");
}

int main(int argc, char **argv)
{
	volatile char sum = 0;
	size_t len;
	char *p;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: unmaptrunc FILE MIB\n");
		return 2;
	}
	len = (size_t)atol(argv[2]) * MiB;
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(argv[1]);
	write_file(fd, len);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (size_t i = 0; i < len; i += 4096)
		sum += p[i];
	if (munmap(p, len))
		die("munmap");
	if (ftruncate(fd, 0))
		die("ftruncate");
	return 0;
}
