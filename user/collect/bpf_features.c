// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "bpf_features.h"

static int probe_ringbuf(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
}

static int probe_task_btf(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_get_current_task_btf,
				       NULL);
}

static int probe_task_storage(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL);
}

static int probe_task_pt_regs(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL);
}

static int probe_loop(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL);
}

/* In the order Linux gained them; fallbacks are the legacy object's (README, "Kernel support"). */
const struct feature features[] = {
	{ "ring buffer", "BPF_MAP_TYPE_RINGBUF", "for ended ledgers and rare events", "5.8",
	  probe_ringbuf, NULL },
	{ "task BTF", "bpf_get_current_task_btf()",
	  "the current task, read by plain loads in every hook", "5.11", probe_task_btf,
	  "bpf_get_current_task() and BPF_CORE_READ() for every task field" },
	{ "task storage", "BPF_MAP_TYPE_TASK_STORAGE",
	  "for the release windows that measure freed memory", "5.11", probe_task_storage,
	  "a preallocated hash of release windows keyed by thread id, deleted at the thread's "
	  "sched_process_exit" },
	{ "task pt_regs", "bpf_task_pt_regs()",
	  "the syscall in progress, that names who released memory", "5.15", probe_task_pt_regs,
	  "x86_64's task_pt_regs(): task->stack + THREAD_SIZE (16 KiB, 32 KiB with KASAN) - "
	  "sizeof(struct pt_regs), read with bpf_probe_read_kernel()" },
	{ "bpf_loop", "bpf_loop()", "walks the existing processes at start-up", "5.17",
	  probe_loop, "the task iterator (iter/task, 5.8): one program run per task" },
};
const size_t nfeatures = sizeof(features) / sizeof(features[0]);

bool legacy_object_built(void)
{
#ifdef MR_HAVE_LEGACY
	return true;
#else
	return false;
#endif
}

bool legacy_object_forced(void)
{
	const char *env = getenv("MEMREAP_BPF_OBJECT");

	return env && !strcmp(env, "legacy");
}

const char *kernel_btf_path(void)
{
	const char *env = getenv("MEMREAP_BTF");

	return env && *env ? env : "/sys/kernel/btf/vmlinux";
}
