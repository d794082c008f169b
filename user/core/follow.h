/* SPDX-License-Identifier: GPL-2.0 */
/* The set of thread groups descending from chosen roots, kept up to date from fork events. */
#ifndef MR_FOLLOW_H
#define MR_FOLLOW_H

#include <stdbool.h>
#include "u64map.h"

struct follow {
	struct u64map pids; /* followed pid -> the id of its newest ledger (0: none yet) */
};

void follow_add(struct follow *f, uint32_t pid);
bool follow_has(const struct follow *f, uint32_t pid);
/* A child joins when its parent is followed. */
void follow_fork(struct follow *f, uint32_t parent, uint32_t child, uint64_t child_ledger);
/*
 * The thread group whose last ledger was `ledger` is gone; its pid may be reused by a stranger.
 * An end that arrives late (parked), after the pid was reused by a followed child, keeps it.
 */
void follow_exit(struct follow *f, uint32_t pid, uint64_t ledger);
void follow_free(struct follow *f);

#endif
