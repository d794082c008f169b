// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include "hooks.h"

const struct hook hooks[] = {
	{ "rss_stat", "on_rss_stat", "(mm, member): every RSS counter change", "5.5", 2,
	  "its third, count (before 6.2: (mm, member, count)), is not read: the ledger reads the "
	  "mm's counter itself", NULL },
	{ "sched_process_fork", "on_fork", "(parent, child): binds a new mm to its process",
	  "2.6.28", 2, NULL, NULL },
	{ "sched_process_exec", "on_exec", "(task, old_pid, bprm): a new image's mm", "3.4", 3,
	  NULL, NULL },
	{ "sched_process_exit", "on_exit", "(task): the thread group is dead", "2.6.28", 1, NULL,
	  NULL },
	{ "exit_mmap", "on_exit_mmap", "(mm): the teardown is over, the ledger ends", "6.1", 1,
	  NULL,
	  "an exit's teardown ends at sched_process_exit, an exec's once the task moves on, "
	  "another at its last RSS change (end_inexact)" },
	{ "mm_page_free", "on_page_free",
	  "(page, order): a page went back to the page allocator (freed, not just unmapped)",
	  "3.3", 2, NULL, NULL },
	{ "mark_victim", "on_mark_victim",
	  "(task): the OOM killer chose task's mm (before 6.8, and 6.1.y before its backport: "
	  "(pid) only; the teardown then reads the victim's signal->oom_mm instead)",
	  "4.13", 1, "its second, uid, is not read", NULL },
};
const size_t nhooks = sizeof(hooks) / sizeof(hooks[0]);

const char *hook_target(const struct hook *h)
{
	char var[64];
	const char *other;

	snprintf(var, sizeof(var), "MEMREAP_TRACEPOINT_%s", h->tracepoint);
	other = getenv(var);
	return other ? other : h->tracepoint;
}
