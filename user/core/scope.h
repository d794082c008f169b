/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which processes an observation keeps, with one meaning for `run`, `record` and `top`: the
 * process trees rooted at chosen pids (each root, and every descendant forked while observing),
 * and the processes whose comm is one of the chosen ones; either matches. With neither, all.
 */
#ifndef MR_SCOPE_H
#define MR_SCOPE_H

#include <stdbool.h>
#include <stdint.h>
#include "follow.h"

struct scope {
	struct follow tree;
	const char **comms; /* chosen comms (owned array of borrowed strings), or NULL */
	size_t ncomms;
	bool chosen; /* a pid or a comm was given: not everything */
};

/* Add a root (its tree is followed from now on) or a comm. */
void scope_add_pid(struct scope *s, uint32_t pid);
int scope_add_comm(struct scope *s, const char *comm);
bool scope_accepts(const struct scope *s, uint32_t pid, const char *comm);
/* From fork events and ended ledgers: descendants join, pids that go stop being followed. */
void scope_fork(struct scope *s, uint32_t parent, uint32_t child, uint64_t child_ledger);
void scope_exit(struct scope *s, uint32_t pid, uint64_t ledger);
void scope_free(struct scope *s);

#endif
