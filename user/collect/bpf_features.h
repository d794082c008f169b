/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of BPF features memreap needs beyond its hooks, with the probe that tells whether
 * this kernel has each: the collector refuses to load without one, and `memreap doctor` lists them.
 * The probes are libbpf's (a one-instruction program or map the kernel accepts or not), so a
 * feature is found where it exists, whatever the kernel's version number says.
 */
#ifndef MR_BPF_FEATURES_H
#define MR_BPF_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct feature {
	const char *name;   /* "ring buffer": doctor's name for it */
	const char *ident;  /* "BPF_MAP_TYPE_RINGBUF": the kernel's name for it */
	const char *what;   /* what memreap uses it for */
	const char *since;  /* the first kernel that has it */
	int (*probe)(void); /* 1 present, 0 missing, < 0 cannot tell (not privileged) */
	const char *fallback; /* what the legacy object does without it; NULL: none */
};

/* What memreap does without a hook or feature that has no fallback (README, "Kernel support"). */
#define MR_NO_FALLBACK "not supported yet, memreap cannot run without it"
/* The objects built from bpf/memreap.bpf.c, as memreap doctor names them. */
#define MR_OBJECT_MODERN "memreap.bpf.o"
#define MR_OBJECT_LEGACY "memreap_legacy.bpf.o (-DMR_LEGACY)"

extern const struct feature features[];
extern const size_t nfeatures;

/*
 * Whether this build carries the legacy object: x86_64's (its task_pt_regs() is x86's), and only
 * for the atomic RSS counters of kernels before 6.2.
 */
bool legacy_object_built(void);
/* MEMREAP_BPF_OBJECT=legacy: the legacy object wherever it can load (tested on 6.1 as well). */
bool legacy_object_forced(void);

/*
 * Not needed, only faster: may a raw tracepoint call bpf_rdonly_cast()? Then the hot paths read
 * untyped kernel words by plain loads, not bpf_probe_read_kernel() (bpf/kernel_word.bpf.h).
 * 1 yes, 0 no, < 0 cannot tell (not privileged).
 */
int probe_direct_loads(void);
#define DIRECT_LOADS_WHAT "bpf_rdonly_cast(): the page-fault and page-free programs read " \
	"per-CPU counters and struct page by plain loads"

/* The kernel's BTF: /sys/kernel/btf/vmlinux, or MEMREAP_BTF=FILE (kernels that expose none). */
const char *kernel_btf_path(void);

#endif
