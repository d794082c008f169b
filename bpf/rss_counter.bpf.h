/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exact value of one of an mm's RSS counters, read from a raw tracepoint.
 *
 * Since 6.2 each counter is a struct percpu_counter: a shared count plus a small per-CPU delta.
 * Summing it needs each CPU's per-CPU offset. This kernel exports neither __per_cpu_offset nor
 * per-CPU variables in kallsyms, so the offsets are learnt from a per-CPU array map of our own:
 * the map's per-CPU base (bpf_array.pptrs[0]) and bpf_map_lookup_percpu_elem() for each CPU
 * differ by exactly that CPU's offset. Learnt once, then cached.
 *
 * Before 6.2 the counters were plain atomics (struct mm_rss_stat).
 */
#ifndef RSS_COUNTER_BPF_H
#define RSS_COUNTER_BPF_H

#define MR_MAX_CPUS 1024

const volatile __u32 nr_cpus = 1; /* possible CPUs, set by the loader (<= MR_MAX_CPUS) */

struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_probe SEC(".maps");

__u64 percpu_offset[MR_MAX_CPUS];
__u32 percpu_offset_ready;

/* The verifier forbids arithmetic on map pointers; read the address back as a plain number. */
static __always_inline __u64 address_of(void *ptr)
{
	__u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), &ptr);
	return addr;
}

static __noinline int learn_percpu_offsets(void)
{
	__u64 map = address_of(&percpu_probe), base = 0;
	__u32 zero = 0;

	if (bpf_probe_read_kernel(&base, sizeof(base),
				  (void *)(map + bpf_core_field_offset(struct bpf_array, pptrs))))
		return -1;
	for (__u32 cpu = 0; cpu < MR_MAX_CPUS && cpu < nr_cpus; cpu++) {
		void *value = bpf_map_lookup_percpu_elem(&percpu_probe, &zero, cpu);

		if (!value)
			return -1;
		percpu_offset[cpu] = address_of(value) - base;
	}
	percpu_offset_ready = 1;
	return 0;
}

static __noinline __s64 percpu_counter_value(struct percpu_counter *fbc)
{
	__s64 sum = BPF_CORE_READ(fbc, count);
	__u64 counters = (__u64)BPF_CORE_READ(fbc, counters);

	if (!percpu_offset_ready && learn_percpu_offsets())
		return sum;
	for (__u32 cpu = 0; cpu < MR_MAX_CPUS && cpu < nr_cpus; cpu++) {
		__s32 local = 0;

		bpf_probe_read_kernel(&local, sizeof(local), (void *)(counters + percpu_offset[cpu]));
		sum += local;
	}
	return sum;
}

/* Bytes resident (or swapped, for MM_SWAPENTS) according to counter `member` of mm. */
static __always_inline __s64 rss_counter_bytes(struct mm_struct *mm, int member, __u32 shift)
{
	__s64 pages;

	member &= MR_NMEMBERS - 1; /* callers check the range; this proves it to the verifier */
	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;

		pages = BPF_CORE_READ(old, rss_stat.count[member].counter);
	} else {
		pages = percpu_counter_value(&mm->rss_stat[member]);
	}
	return pages << shift;
}

#endif /* RSS_COUNTER_BPF_H */
