/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of memreap's kernel hooks: each raw tracepoint, the BPF program attached to it,
 * what that program reads, and since which kernel the tracepoint exists. Attaching, the BTF
 * check before loading and `memreap doctor` all read it.
 */
#ifndef MR_HOOKS_H
#define MR_HOOKS_H

#include <stddef.h>

struct hook {
	const char *tracepoint; /* raw tracepoint name (btf_trace_<name> in the kernel's BTF) */
	const char *program;	/* the BPF program attached to it */
	const char *reads;	/* its arguments as memreap uses them, and why */
	const char *since;	/* the first kernel that has it */
	int nargs;		/* the arguments memreap reads, the first ones */
	const char *more_args;	/* why a kernel passing more is fine (NULL: none does) */
	const char *fallback;	/* what the legacy object does without it (NULL: none) */
};

extern const struct hook hooks[];
extern const size_t nhooks;

/* MEMREAP_TRACEPOINT_<name>=<other> attaches a hook elsewhere (debugging, the tests). */
const char *hook_target(const struct hook *h);

#endif
