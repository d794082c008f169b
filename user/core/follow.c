// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "follow.h"

/* Each followed pid maps to the id of the newest ledger known for it (0: none known yet). */
static void follow_put(struct follow *f, uint32_t pid, uint64_t ledger)
{
	char id[24];

	snprintf(id, sizeof(id), "%" PRIu64, ledger);
	idmap_put(&f->pids, pid, id);
}

void follow_add(struct follow *f, uint32_t pid)
{
	follow_put(f, pid, 0);
}

bool follow_has(const struct follow *f, uint32_t pid)
{
	return idmap_get(&f->pids, pid) != NULL;
}

void follow_fork(struct follow *f, uint32_t parent, uint32_t child, uint64_t child_ledger)
{
	if (follow_has(f, parent))
		follow_put(f, child, child_ledger);
}

void follow_exit(struct follow *f, uint32_t pid, uint64_t ledger)
{
	const char *newest = idmap_get(&f->pids, pid);

	/* Ledger ids grow: a newer one means the pid was reused by a followed child since. */
	if (newest && strtoull(newest, NULL, 10) <= ledger)
		idmap_del(&f->pids, pid);
}

void follow_free(struct follow *f)
{
	idmap_free(&f->pids);
}
