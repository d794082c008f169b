/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of BPF features memreap needs beyond its hooks, with the probe that tells whether
 * this kernel has each: the collector refuses to load without one, and `memreap doctor` lists them.
 */
#ifndef MR_BPF_FEATURES_H
#define MR_BPF_FEATURES_H

#include <stddef.h>

struct feature {
	const char *name;   /* "ring buffer" */
	const char *what;   /* what memreap uses it for */
	const char *since;  /* the first kernel that has it */
	int (*probe)(void); /* 1 present, 0 missing, < 0 cannot tell (not privileged) */
};

extern const struct feature features[];
extern const size_t nfeatures;

/* The kernel's BTF: /sys/kernel/btf/vmlinux, or MEMREAP_BTF=FILE (kernels that expose none). */
const char *kernel_btf_path(void);

#endif
