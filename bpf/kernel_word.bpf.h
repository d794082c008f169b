/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 32-bit word of kernel memory that no BTF type describes: a CPU's delta of a per-CPU counter,
 * the low word of a struct page's flags or mapping. bpf_probe_read_kernel() copies it through a
 * helper call, about 20 ns on paths that run at every page fault and page free. Where the kernel
 * lets a raw tracepoint call the bpf_rdonly_cast() kfunc, the word is one plain load instead,
 * which the JIT guards against faults as it does any load through an untrusted pointer. The
 * loader probes which (direct_loads, `memreap doctor` names it); the verifier drops the other.
 * kernel_field() is the same for a field of a type BTF describes; kernel_word() reads the one
 * field of the simplest such type.
 */
#ifndef KERNEL_WORD_BPF_H
#define KERNEL_WORD_BPF_H

const volatile bool direct_loads = false; /* set by the loader's probe */

#ifdef MR_LEGACY
/* Linux 5.10 has no kfuncs (5.13): the legacy object copies every field. */
#define kernel_field(t, addr, f) BPF_CORE_READ((t *)(addr), f)
#else
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * Field f of the kernel object of type t at addr (a raw tracepoint's untyped argument, or an
 * address computed from one): a plain load where direct_loads, else a bpf_probe_read_kernel()
 * copy. Its offset is CO-RE relocated either way.
 */
#define kernel_field(t, addr, f)                                                                 \
	(direct_loads ? ((t *)bpf_rdonly_cast((void *)(addr), bpf_core_type_id_kernel(t)))->f     \
		      : BPF_CORE_READ((t *)(addr), f))
#endif

/* The word at addr, read as uapi's struct sched_param: one int, as stable as types go. */
static __always_inline __s32 kernel_word(__u64 addr)
{
	return kernel_field(struct sched_param, addr, sched_priority);
}

#endif /* KERNEL_WORD_BPF_H */
