// SPDX-License-Identifier: GPL-2.0
#include "follow.h"

/* Each followed pid maps to the id of the newest ledger known for it (0: none known yet). */
void follow_add(struct follow *f, uint32_t pid)
{
	u64map_put(&f->pids, pid, 0, NULL);
}

bool follow_has(const struct follow *f, uint32_t pid)
{
	return u64map_get(&f->pids, pid, NULL);
}

void follow_fork(struct follow *f, uint32_t parent, uint32_t child, uint64_t child_ledger)
{
	if (follow_has(f, parent))
		u64map_put(&f->pids, child, child_ledger, NULL);
}

void follow_exit(struct follow *f, uint32_t pid, uint64_t ledger)
{
	uint64_t newest;

	/* Ledger ids grow: a newer one means the pid was reused by a followed child since. */
	if (u64map_get(&f->pids, pid, &newest) && newest <= ledger)
		u64map_del(&f->pids, pid, NULL);
}

void follow_free(struct follow *f)
{
	u64map_free(&f->pids);
}
