/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger of one address space as user space and every view see it: the public contract.
 *
 * Identity, per kind, to the byte:
 *   baseline + faulted_in = self_released + kernel_live + kernel_exit + kernel_exec + rss_at_end
 * and of each release category (self_released ... kernel_exec), freed <= released: the part of
 * it that went back to the page allocator; the rest stays in memory elsewhere (page cache,
 * shmem, pages still shared with another address space).
 */
#ifndef MR_LEDGER_H
#define MR_LEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include "cmdline.h"
#include "interp.h"
#include "memreap.h"

enum category {
	CAT_BASELINE,
	CAT_FAULTED_IN,
	CAT_SELF_RELEASED,
	CAT_KERNEL_LIVE,
	CAT_KERNEL_EXIT,
	CAT_KERNEL_EXEC,
	CAT_RSS_AT_END,
	NCATEGORIES,
};

/* self_released, kernel_live, kernel_exit, kernel_exec: where resident bytes went. */
static inline bool cat_is_release(int c)
{
	return c >= CAT_SELF_RELEASED && c <= CAT_KERNEL_EXEC;
}

extern const char *const category_names[NCATEGORIES];
extern const char *const kind_names[MR_NKINDS];
extern const char *const call_names[MR_NCALLS];
extern const char *const end_names[3];

struct ledger {
	uint64_t id, parent_id;
	uint32_t pid, ppid;
	char comm[MR_COMM_LEN];
	char *exe;    /* owned; "" if unknown */
	char *cgroup; /* owned; "" if unknown */
	struct cmdline argv; /* as of its exec, or its parent's for a fork that did not exec */
	struct interp interp; /* name "" if not an interpreter */
	uint64_t start_ns, end_ns; /* wall clock, ns since the epoch; end_ns 0 while alive */
	uint64_t process_start_ns; /* when the owning process started (not in the JSON contract) */
	bool building; /* the new image of an exec not yet complete: still the old comm (not in JSON) */
	enum mr_end end;
	int exit_code; /* -1 = null */
	int signal;    /* -1 = null */
	bool observed_from_start;
	uint64_t peak_rss, vm_peak, vm_at_end, swap_at_end;
	uint64_t bytes[NCATEGORIES][MR_NKINDS];
	uint64_t freed[NCATEGORIES][MR_NKINDS]; /* of each release category (cat_is_release) */
	bool freed_unknown; /* read from a recording made before memreap measured freed bytes */
	uint64_t by_call[MR_NCALLS];
	uint64_t shutdown_started_ns; /* wall clock; 0 = the interpreter never began its shutdown */
	uint64_t rss_at_shutdown;
	uint64_t shutdown_released[MR_NKINDS];
	bool shutdown_unwatched; /* its interpreter could not be probed: shutdown is unknown */
	bool oom_killed;  /* the OOM killer chose it as its victim (oom:mark_victim) */
	bool oom_unknown; /* read from a recording made before memreap saw OOM kills */
	/*
	 * Ended without the exit_mmap tracepoint (the legacy object, Linux 5.10) at the last RSS
	 * change of a teardown run outside its owner: the frees of its last batch are not in freed.
	 */
	bool end_inexact;
};

/* Sums of several ledgers, for totals and --by aggregation. */
struct ledger_sum {
	uint64_t ledgers;
	uint64_t peak_rss; /* largest single peak */
	uint64_t bytes[NCATEGORIES][MR_NKINDS];
	uint64_t freed[NCATEGORIES][MR_NKINDS];
	uint64_t freed_unknown; /* ledgers without freed figures (old recordings) */
	uint64_t by_call[MR_NCALLS];
	uint64_t shutdown_released[MR_NKINDS];
};

void ledger_from_kernel(struct ledger *l, const struct mr_ledger *k, int64_t boot_to_wall);
void ledger_free(struct ledger *l);
void ledger_copy(struct ledger *dst, const struct ledger *src);

uint64_t cat_total(const uint64_t bytes[MR_NKINDS]);
/* Bytes that left the resident set: self + kernel (live, exit, exec). */
uint64_t ledger_released_total(const struct ledger *l);
uint64_t ledger_kernel_total(const struct ledger *l);

/* Freed bytes of every release category (all kinds). */
uint64_t ledger_freed_total(const struct ledger *l);

/* Its process was killed by the OOM killer (and has ended). */
bool ledger_oom_killed(const struct ledger *l);
/* How every view says so: the END column's word, and its meaning in words. */
#define OOM_END	  "oom-kill"
#define OOM_WORDS "killed by the OOM killer"
/* end_inexact, as the END column marks it and what the mark means. */
#define INEXACT_MARK  "~"
#define INEXACT_WORDS "ended without the exit_mmap tracepoint, before the frees of its " \
		      "teardown's last batch: FREED is a lower bound"


/* Returns -1 when every kind balances, else the first kind that does not. */
int ledger_unbalanced_kind(const struct ledger *l);
/* Returns -1 when freed <= released in every category and kind, else the first category over. */
int ledger_overfreed_category(const struct ledger *l);

/* Its process exited or exec'd; exit_mmap has not closed it yet. */
bool kernel_ledger_ended(const struct mr_ledger *k);

/*
 * A kernel ledger exit_mmap will never end: its process ended (or, for a fork that never got an
 * owner, began) more than stale_ns before now. The kernel skips exit_mmap for an mm without VMAs.
 */
bool kernel_ledger_is_stale(const struct mr_ledger *k, uint64_t now_ns, uint64_t stale_ns);

void ledger_sum_add(struct ledger_sum *s, const struct ledger *l);
void ledger_sum_merge(struct ledger_sum *into, const struct ledger_sum *from);

#endif
