/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for workloads that know exactly what they map, touch and free. */
#ifndef WORKLOAD_COMMON_H
#define WORKLOAD_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1UL << 20)

static inline void die(const char *what)
{
	perror(what);
	exit(100);
}

/* Write to every page so that it is resident. */
static inline void touch(char *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < len; i += (size_t)page)
		p[i] = 1;
}

static inline char *map_touched(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* Small pages only: a THP would make "touched" a 2 MiB question. */
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len);
	return p;
}

#endif
