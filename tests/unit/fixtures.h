/* SPDX-License-Identifier: GPL-2.0 */
/* Ledgers with known numbers for the unit tests. */
#ifndef UNIT_FIXTURES_H
#define UNIT_FIXTURES_H

#include <string.h>
#include "ledger.h"

#define MiB (1ull << 20)

/*
 * A forked process that faulted 100 MiB of anon, released 40 MiB itself (all of it freed), left
 * 60 MiB at exit (56 MiB of it freed, 4 MiB still shared) and 3 MiB of file pages (cached).
 */
static inline struct mr_ledger kernel_ledger_exit(void)
{
	struct mr_ledger k;

	memset(&k, 0, sizeof(k));
	k.id = 7;
	k.parent_id = 3;
	k.pid = 812;
	k.ppid = 800;
	k.origin = MR_ORIGIN_FORK;
	k.end = MR_END_EXIT;
	k.exit_code = 0x0100; /* exit(1) */
	k.start_ns = 1000;
	k.end_ns = 5000;
	strcpy(k.comm, "python3.11");
	k.faulted_in[MR_ANON] = 100 * MiB;
	k.faulted_in[MR_FILE] = 3 * MiB;
	k.released[MR_REL_SELF][MR_ANON] = 40 * MiB;
	k.by_call[MR_CALL_MUNMAP] = 30 * MiB;
	k.by_call[MR_CALL_MADVISE] = 10 * MiB;
	k.released[MR_REL_EXIT][MR_ANON] = 60 * MiB;
	k.released[MR_REL_EXIT][MR_FILE] = 3 * MiB;
	k.freed[MR_REL_SELF][MR_ANON] = 40 * MiB;
	k.freed[MR_REL_EXIT][MR_ANON] = 56 * MiB;
	k.peak_rss = 103 * MiB;
	return k;
}

#endif
