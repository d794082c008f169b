// SPDX-License-Identifier: GPL-2.0
/*
 * Maps a file and reads every page. Run inside a memory cgroup smaller than the file, the kernel
 * must reclaim the process's own mapped pages while it faults the rest in: direct reclaim in the
 * process's own context, which memreap books as kernel_live, not as the process's release.
 *
 *   filemap FILE
 */
#include <fcntl.h>
#include <sys/stat.h>
#include "common.h"

int main(int argc, char **argv)
{
	volatile char sum = 0;
	struct stat st;
	char *p;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: filemap FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(argv[1]);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* start cold: every page is faulted in here */
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, (size_t)st.st_size, MADV_RANDOM); /* no read-around: one page per fault */
	for (off_t i = 0; i < st.st_size; i += 4096)
		sum += p[i];
	printf("{\"size\": %lld}\n", (long long)st.st_size);
	return 0;
}
