// SPDX-License-Identifier: GPL-2.0
#include "follow.h"

void follow_add(struct follow *f, uint32_t pid)
{
	idmap_put(&f->pids, pid, "");
}

bool follow_has(const struct follow *f, uint32_t pid)
{
	return idmap_get(&f->pids, pid) != NULL;
}

void follow_fork(struct follow *f, uint32_t parent, uint32_t child)
{
	if (follow_has(f, parent))
		follow_add(f, child);
}

void follow_exit(struct follow *f, uint32_t pid)
{
	idmap_del(&f->pids, pid);
}

void follow_free(struct follow *f)
{
	idmap_free(&f->pids);
}
