// SPDX-License-Identifier: GPL-2.0
/*
 * Shared memory leaves an address space without being freed while its file holds it: maps and
 * touches 32 MiB of a memfd and unmaps it while the memfd stays open (not freed), then maps and
 * touches 16 MiB of a second memfd and truncates it while mapped (freed: the truncate drops the
 * file's pages and unmaps them from this process).
 *
 *   shmfree
 */
#include <sys/mman.h>
#include "common.h"

static char *map_memfd(int *fd, size_t len)
{
	char *p;

	*fd = memfd_create("memreap-shmfree", 0);
	if (*fd < 0 || ftruncate(*fd, (off_t)len))
		die("memfd");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	touch(p, len);
	return p;
}

int main(void)
{
	int kept, truncated;
	char *p = map_memfd(&kept, 32 * MiB);

	if (munmap(p, 32 * MiB))
		die("munmap");
	map_memfd(&truncated, 16 * MiB);
	if (ftruncate(truncated, 0))
		die("ftruncate");
	return 0; /* the kept memfd is freed by the exit's close, after the teardown */
}
