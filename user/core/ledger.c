// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "ledger.h"

const char *const category_names[NCATEGORIES] = {
	"baseline", "faulted_in", "self_released", "kernel_live", "kernel_exit", "kernel_exec",
	"rss_at_end",
};
const char *const kind_names[MR_NKINDS] = { "anon", "file", "shmem" };
const char *const call_names[MR_NCALLS] = { "munmap", "brk", "madvise", "mremap", "mmap", "other" };
const char *const end_names[3] = { "alive", "exit", "exec" };

static void split_wait_status(struct ledger *l, int32_t status)
{
	l->exit_code = -1;
	l->signal = -1;
	if (l->end != MR_END_EXIT || status < 0)
		return;
	if ((status & 0x7f) == 0)
		l->exit_code = (status >> 8) & 0xff;
	else
		l->signal = status & 0x7f;
}

static uint64_t clamp(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0;
}

/* What is resident at the end: the counters' last values (0 after a complete teardown). */
static void rss_at_end(struct ledger *l, const struct mr_ledger *k)
{
	l->bytes[CAT_RSS_AT_END][MR_ANON] = clamp(k->cur[MR_MM_ANONPAGES]);
	l->bytes[CAT_RSS_AT_END][MR_FILE] = clamp(k->cur[MR_MM_FILEPAGES]);
	l->bytes[CAT_RSS_AT_END][MR_SHMEM] = clamp(k->cur[MR_MM_SHMEMPAGES]);
	if (l->end == MR_END_ALIVE)
		l->swap_at_end = clamp(k->cur[MR_MM_SWAPENTS]);
}

void ledger_from_kernel(struct ledger *l, const struct mr_ledger *k, int64_t boot_to_wall)
{
	memset(l, 0, sizeof(*l));
	l->id = k->id;
	l->parent_id = k->parent_id;
	l->pid = k->pid;
	l->ppid = k->ppid;
	memcpy(l->comm, k->comm, sizeof(l->comm));
	l->comm[sizeof(l->comm) - 1] = '\0';
	l->start_ns = k->start_ns + boot_to_wall;
	l->process_start_ns = k->proc_start_ns ? k->proc_start_ns + boot_to_wall : l->start_ns;
	l->building = k->state == MR_STATE_BUILDING;
	l->end = k->end <= MR_END_EXEC ? k->end : MR_END_EXIT;
	l->end_ns = l->end == MR_END_ALIVE ? 0 : k->end_ns + boot_to_wall;
	split_wait_status(l, k->exit_code);
	l->observed_from_start = k->origin != MR_ORIGIN_EXISTING;
	l->peak_rss = k->peak_rss;
	l->vm_peak = k->vm_peak;
	l->vm_at_end = k->vm_at_end;
	l->swap_at_end = k->swap_at_end;
	for (int i = 0; i < MR_NKINDS; i++) {
		l->bytes[CAT_BASELINE][i] = k->baseline[i];
		l->bytes[CAT_FAULTED_IN][i] = k->faulted_in[i];
		for (int r = 0; r < MR_NRELEASES; r++) {
			l->bytes[CAT_SELF_RELEASED + r][i] = k->released[r][i];
			l->freed[CAT_SELF_RELEASED + r][i] = k->freed[r][i];
		}
	}
	rss_at_end(l, k);
	memcpy(l->by_call, k->by_call, sizeof(l->by_call));
	l->shutdown_started_ns = k->shutdown_ns ? k->shutdown_ns + boot_to_wall : 0;
	l->rss_at_shutdown = k->rss_at_shutdown;
	memcpy(l->shutdown_released, k->shutdown_released, sizeof(l->shutdown_released));
	l->oom_killed = k->oom_killed;
	l->end_inexact = k->end_inexact;
	l->exe = strdup("");
	l->cgroup = strdup("");
}

void ledger_free(struct ledger *l)
{
	free(l->exe);
	free(l->cgroup);
	l->exe = l->cgroup = NULL;
	cmdline_free(&l->argv);
}

void ledger_copy(struct ledger *dst, const struct ledger *src)
{
	*dst = *src;
	dst->exe = strdup(src->exe ? src->exe : "");
	dst->cgroup = strdup(src->cgroup ? src->cgroup : "");
	cmdline_copy(&dst->argv, &src->argv);
}

uint64_t cat_total(const uint64_t bytes[MR_NKINDS])
{
	uint64_t sum = 0;

	for (int i = 0; i < MR_NKINDS; i++)
		sum += bytes[i];
	return sum;
}

uint64_t ledger_kernel_total(const struct ledger *l)
{
	return cat_total(l->bytes[CAT_KERNEL_LIVE]) + cat_total(l->bytes[CAT_KERNEL_EXIT]) +
	       cat_total(l->bytes[CAT_KERNEL_EXEC]);
}

uint64_t ledger_released_total(const struct ledger *l)
{
	return cat_total(l->bytes[CAT_SELF_RELEASED]) + ledger_kernel_total(l);
}

uint64_t ledger_freed_total(const struct ledger *l)
{
	uint64_t sum = 0;

	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		sum += cat_total(l->freed[c]);
	return sum;
}

bool ledger_oom_killed(const struct ledger *l)
{
	return l->oom_killed && l->end == MR_END_EXIT;
}

int ledger_overfreed_category(const struct ledger *l)
{
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++)
		for (int k = 0; k < MR_NKINDS; k++)
			if (l->freed[c][k] > l->bytes[c][k])
				return c;
	return -1;
}

int ledger_unbalanced_kind(const struct ledger *l)
{
	for (int k = 0; k < MR_NKINDS; k++) {
		uint64_t in = l->bytes[CAT_BASELINE][k] + l->bytes[CAT_FAULTED_IN][k];
		uint64_t out = 0;

		for (int c = CAT_SELF_RELEASED; c <= CAT_RSS_AT_END; c++)
			out += l->bytes[c][k];
		if (in != out)
			return k;
	}
	return -1;
}

void ledger_sum_merge(struct ledger_sum *into, const struct ledger_sum *from)
{
	into->ledgers += from->ledgers;
	if (from->peak_rss > into->peak_rss)
		into->peak_rss = from->peak_rss;
	for (int c = 0; c < NCATEGORIES; c++) {
		for (int k = 0; k < MR_NKINDS; k++) {
			into->bytes[c][k] += from->bytes[c][k];
			into->freed[c][k] += from->freed[c][k];
		}
	}
	into->freed_unknown += from->freed_unknown;
	for (int i = 0; i < MR_NCALLS; i++)
		into->by_call[i] += from->by_call[i];
	for (int k = 0; k < MR_NKINDS; k++)
		into->shutdown_released[k] += from->shutdown_released[k];
}

void ledger_sum_add(struct ledger_sum *s, const struct ledger *l)
{
	struct ledger_sum one = { .ledgers = 1, .peak_rss = l->peak_rss,
				  .freed_unknown = l->freed_unknown };

	memcpy(one.bytes, l->bytes, sizeof(one.bytes));
	memcpy(one.freed, l->freed, sizeof(one.freed));
	memcpy(one.by_call, l->by_call, sizeof(one.by_call));
	memcpy(one.shutdown_released, l->shutdown_released, sizeof(one.shutdown_released));
	ledger_sum_merge(s, &one);
}

bool kernel_ledger_ended(const struct mr_ledger *k)
{
	return k->state == MR_STATE_EXITING || k->state == MR_STATE_EXECED;
}

bool kernel_ledger_is_stale(const struct mr_ledger *k, uint64_t now_ns, uint64_t stale_ns)
{
	bool ended = kernel_ledger_ended(k);
	bool unborn = k->origin == MR_ORIGIN_FORK && !k->pid;
	uint64_t since = ended ? k->end_ns : k->start_ns;

	if (!ended && !unborn)
		return false;
	/* since may be later than now: the ledger changed after now was read. */
	return since <= now_ns && now_ns - since >= stale_ns;
}
