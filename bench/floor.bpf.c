// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: empty programs on exactly the hooks memreap uses (the raw tracepoints of the hooks
 * table, user/collect/hooks.c, and the interpreter shutdown uprobe), and, for the design
 * comparison, an empty program on the classic kmem:rss_stat tracepoint (which formats a record and
 * sums the per-CPU counter before any program runs).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tp/rss_stat")
int raw_rss_stat(void *ctx) { return 0; }
SEC("raw_tp/sched_process_fork")
int raw_fork(void *ctx) { return 0; }
SEC("raw_tp/sched_process_exec")
int raw_exec(void *ctx) { return 0; }
SEC("raw_tp/sched_process_exit")
int raw_exit(void *ctx) { return 0; }
SEC("raw_tp/exit_mmap")
int raw_exit_mmap(void *ctx) { return 0; }
SEC("raw_tp/mm_page_free")
int raw_page_free(void *ctx) { return 0; }
SEC("raw_tp/mark_victim")
int raw_mark_victim(void *ctx) { return 0; }

SEC("tp/kmem/rss_stat")
int classic_rss_stat(void *ctx) { return 0; }

/* Attached by floor.c at each of memreap's interpreter shutdown probe sites (no auto-attach). */
SEC("uprobe")
int shutdown(void *ctx) { return 0; }
