// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
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

/* bpf_rdonly_cast(0, struct sched_param) from a raw tracepoint program, as kernel_word() does. */
static int load_rdonly_cast(int func_id, int struct_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = struct_id },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = func_id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EPERM ? -1 : 0;
}

int probe_direct_loads(void)
{
	struct btf *btf = btf__parse(kernel_btf_path(), NULL);
	int func, type, found = 0;

	if (!btf)
		return 0;
	func = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC);
	type = btf__find_by_name_kind(btf, "sched_param", BTF_KIND_STRUCT);
	if (func > 0 && type > 0)
		found = load_rdonly_cast(func, type);
	btf__free(btf);
	return found;
}

const char *kernel_btf_path(void)
{
	const char *env = getenv("MEMREAP_BTF");

	return env && *env ? env : "/sys/kernel/btf/vmlinux";
}
