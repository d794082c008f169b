/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The change of an mm's RSS counter since a ledger last booked it, read from a raw tracepoint.
 *
 * Before 6.2 each counter is an atomic (struct mm_rss_stat): read it, swap it into the ledger.
 *
 * Since 6.2 each counter is a struct percpu_counter: a shared count plus a small delta per CPU,
 * and an exact value is a sum over every possible CPU. Summing on every event would cost O(CPUs)
 * per page fault. Instead each CPU keeps a shadow, per mm it saw, of its own delta as last booked,
 * and the ledger keeps the shared count as last booked. percpu_counter_add() on CPU c changes c's
 * delta, or, when the delta would reach the batch, flushes it and the change into the shared
 * count and leaves c's delta at zero; the tracepoint fires right after, on c. So an event books
 * the change of its CPU's delta and, when that delta is back at zero (a flush), the change of the
 * shared count: each change is booked by the event of the task that made it. Over all events the
 * booked changes telescope to the counter's value. A CPU with no shadow of the mm starts one:
 * from zero for a new mm it never booked (a bit per CPU, modulo 64, in the ledger says so), else
 * (an mm that predates memreap, a slot another mm took) from a full sum, booking the difference.
 * Where a ledger ends, a counter it still books as non-zero is reconciled with one full sum.
 *
 * What concurrency can shift, never lose: a change whose task migrated between the add and the
 * tracepoint is booked by the next event of that counter on the CPU that made it, a flush whose
 * event another CPU's flush-marked event beats to the shared count by the latter (each in that
 * event's category); a full sum taken while another CPU's event is in flight books that change
 * once more, and the end's reconciliation takes it back. The totals stay exact.
 *
 * Summing needs each CPU's per-CPU offset. This kernel exports neither __per_cpu_offset nor
 * per-CPU variables in kallsyms, so the offsets are learnt from a per-CPU array map of our own:
 * the map's per-CPU base (bpf_array.pptrs[0]) and bpf_map_lookup_percpu_elem() for each CPU
 * differ by exactly that CPU's offset. Learnt once, then cached.
 */
#ifndef RSS_COUNTER_BPF_H
#define RSS_COUNTER_BPF_H

#define MR_MAX_CPUS 1024
#define MR_SHADOW_SLOTS 1024 /* per CPU; a power of two */

const volatile __u32 nr_cpus = 1; /* possible CPUs, set by the loader (<= MR_MAX_CPUS) */
extern struct mr_paths paths;	   /* memreap.bpf.c: what memreap doctor reports */

struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

#ifdef MR_LEGACY
/*
 * The legacy object (Linux 5.10, see memreap.bpf.c): atomic counters only, and no atomic
 * exchange (5.12): a change is the counter's value less what the ledger booked, added to the
 * booked value with a lock add. Two CPUs that read the same booked value book one change twice;
 * the counter's next event takes it back. cur[] stays the sum of what was booked: balanced.
 */
static __always_inline __s64 swap_booked(__s64 *slot, __s64 value)
{
	__s64 old = *slot;

	__sync_fetch_and_add(slot, value - old);
	return old;
}

static __always_inline bool counters_are_atomic(void)
{
	return true;
}

static __always_inline __s64 atomic_counter_pages(struct mm_struct *mm, __u32 member)
{
	struct mm_struct___old *old = (void *)mm;

	return BPF_CORE_READ(old, rss_stat.count[member & (MR_NMEMBERS - 1)].counter);
}

static __always_inline __s64 rss_counter_bytes(struct mm_struct *mm, int member, __u32 shift)
{
	return atomic_counter_pages(mm, member) << shift;
}

static __always_inline void rss_counter_seed(struct mm_struct *mm, int member, struct mr_ledger *l,
					     __u32 shift)
{
	l->cur[member & (MR_NMEMBERS - 1)] = rss_counter_bytes(mm, member, shift);
}

/* No per-CPU shadows: the fault path finds its ledger by the index (ledger_slots.bpf.h). */
struct counter_shadow {
	__u64 mm;
	__u64 ledger;
	__u32 slot;
};

static __always_inline struct counter_shadow *shadow_of(struct mm_struct *mm)
{
	return NULL;
}

static __always_inline __s64 rss_counter_change(struct mm_struct *mm, int member,
						 struct mr_ledger *l, struct counter_shadow *sh,
						 __u32 shift)
{
	__s64 value;

	member &= MR_NMEMBERS - 1;
	value = rss_counter_bytes(mm, member, shift);
	return value - swap_booked(&l->cur[member], value);
}
#else
static __always_inline __s64 swap_booked(__s64 *slot, __s64 value)
{
	return __sync_lock_test_and_set(slot, value);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_probe SEC(".maps");

/* This CPU's per-CPU deltas of one mm's counters, as it last booked them (pages). */
struct counter_shadow {
	__u64 mm;
	__u64 ledger; /* an mm's address can be reused: the ledger's id tells them apart */
	__s32 local[MR_NMEMBERS];
	__u32 slot;   /* and where that ledger is: the fault path's way to it (ledger_slots.bpf.h) */
	__u32 pad;
	__u64 deltas; /* where this CPU's deltas of its counters are, side by side; 0: apart */
};

/*
 * MR_SHADOW_SLOTS per possible CPU, CPU by CPU (the loader sizes it): a plain array, so that a
 * fault reaches its shadow with one load where a per-CPU array's look-up adds a dependent load
 * of the CPU's pointer, a cache miss of its own after the fault cleared a page.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MR_SHADOW_SLOTS);
	__type(key, __u32);
	__type(value, struct counter_shadow);
} shadows SEC(".maps");

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

/* CPU cpu's delta of a per-CPU counter whose per-CPU array is at counters. */
static __always_inline __s32 percpu_delta(__u64 counters, __u32 cpu)
{
	if (cpu >= MR_MAX_CPUS)
		return 0;
	return kernel_word(counters + percpu_offset[cpu]);
}

static __always_inline __s32 percpu_local(struct percpu_counter *fbc, __u32 cpu)
{
	return percpu_delta((__u64)kernel_field(struct percpu_counter, fbc, counters), cpu);
}

/* The exact value, summed over every possible CPU; *shared gets the shared count it used. */
static __noinline __s64 percpu_counter_value(struct percpu_counter *fbc, __s64 *shared)
{
	__s64 sum = kernel_field(struct percpu_counter, fbc, count);

	*shared = sum;
	if (!percpu_offset_ready && learn_percpu_offsets())
		return sum;
	for (__u32 cpu = 0; cpu < MR_MAX_CPUS && cpu < nr_cpus; cpu++)
		sum += percpu_local(fbc, cpu);
	return sum;
}

static __always_inline bool counters_are_atomic(void)
{
	return bpf_core_type_exists(struct mm_rss_stat___old);
}

/*
 * Before 6.2. A function of its own: the compiler may hoist a field offset above the branch that
 * guards it, and on a newer kernel that offset's relocation fails.
 */
static __noinline __s64 atomic_counter_pages(struct mm_struct *mm, __u32 member)
{
	struct mm_struct___old *old = (void *)mm;

	return BPF_CORE_READ(old, rss_stat.count[member & (MR_NMEMBERS - 1)].counter);
}

/* Bytes resident (or swapped, for MM_SWAPENTS) according to counter `member` of mm: exact. */
static __always_inline __s64 rss_counter_bytes(struct mm_struct *mm, int member, __u32 shift)
{
	__s64 pages, shared;

	member &= MR_NMEMBERS - 1; /* callers check the range; this proves it to the verifier */
	if (counters_are_atomic())
		pages = atomic_counter_pages(mm, member);
	else
		pages = percpu_counter_value(&mm->rss_stat[member], &shared);
	return pages << shift;
}

/* A ledger that starts from what is resident: its counters' values, and the shared counts. */
static __always_inline void rss_counter_seed(struct mm_struct *mm, int member, struct mr_ledger *l,
					     __u32 shift)
{
	__s64 shared = 0;

	member &= MR_NMEMBERS - 1;
	if (counters_are_atomic()) {
		l->cur[member] = atomic_counter_pages(mm, member) << shift;
		return;
	}
	l->cur[member] = percpu_counter_value(&mm->rss_stat[member], &shared) << shift;
	l->shared[member] = shared;
}

/* This CPU's shadow slot for mm: it holds mm's shadow, another mm's, or none. */
static __always_inline struct counter_shadow *shadow_of(struct mm_struct *mm)
{
	__u32 slot = (__u32)(((__u64)mm * 0x9E3779B97F4A7C15ull) >> 54) & (MR_SHADOW_SLOTS - 1);

	slot += bpf_get_smp_processor_id() * MR_SHADOW_SLOTS;
	return bpf_map_lookup_elem(&shadows, &slot);
}

/*
 * The shared count's change since it was last booked. Swapped in with compare-and-swap, never
 * with a value read before another CPU booked a newer one: the booked values follow each other
 * in time, so the changes telescope and none is booked twice.
 */
static __always_inline __s64 shared_change(struct percpu_counter *fbc, struct mr_ledger *l,
					   __u32 member)
{
	member &= MR_NMEMBERS - 1;
	for (int try = 0; try < 16; try++) {
		__s64 booked = l->shared[member], now = kernel_field(struct percpu_counter, fbc, count);

		if (__sync_val_compare_and_swap(&l->shared[member], booked, now) == booked)
			return now - booked;
	}
	return 0; /* sixteen CPUs in a row were faster: a later event books it */
}

/*
 * Where CPU cpu's deltas of l's counters are when they lie side by side, as one per-CPU
 * allocation for all of an mm's counters puts them (percpu_counter_init_many(), 6.6+): a fault
 * then reaches its delta from the shadow it holds already. 0 when they do not.
 */
static __always_inline __u64 deltas_of(struct mr_ledger *l, __u32 cpu)
{
	for (int m = 1; m < MR_NMEMBERS; m++)
		if (l->percpu[m] != l->percpu[0] + m * sizeof(__s32))
			return 0;
	return cpu < MR_MAX_CPUS ? l->percpu[0] + percpu_offset[cpu] : 0;
}

/*
 * A ledger whose counters started at zero (a new mm), on a CPU that never booked it: what that
 * CPU booked of it is zero, so its shadow starts at zero and no full sum is needed. Returns false
 * when that is not known (an mm that predates memreap, or a CPU whose shadow was evicted).
 */
static __noinline bool shadow_start(struct mm_struct *mm, struct mr_ledger *l,
				    struct counter_shadow *sh)
{
	__u64 bit = 1ull << (bpf_get_smp_processor_id() & 63);

	if (!l->zero_start || (l->cpus_booked & bit))
		return false;
	__sync_fetch_and_or(&l->cpus_booked, bit);
	for (int m = 0; m < MR_NMEMBERS; m++) {
		l->percpu[m] = (__u64)kernel_field(struct percpu_counter, &mm->rss_stat[m], counters);
		sh->local[m] = 0;
	}
	sh->mm = l->mm;
	sh->ledger = l->id;
	sh->slot = l->slot;
	sh->deltas = deltas_of(l, bpf_get_smp_processor_id());
	return true;
}

/* No shadow of l on this CPU: book the difference to a full sum and start one from it. */
static __noinline __s64 percpu_rebook(struct mm_struct *mm, __u32 member, struct mr_ledger *l,
				      struct counter_shadow *sh, __u32 shift)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__s64 shared, value;

	member &= MR_NMEMBERS - 1;
	__sync_fetch_and_or(&l->cpus_booked, 1ull << (cpu & 63));
	__sync_fetch_and_add(&paths.full_sums, 1);
	value = percpu_counter_value(&mm->rss_stat[member], &shared) << shift;
	__sync_lock_test_and_set(&l->shared[member], shared);
	for (int m = 0; m < MR_NMEMBERS; m++) {
		/* The per-CPU array is the mm's for its whole life: read its address once. */
		l->percpu[m] = (__u64)kernel_field(struct percpu_counter, &mm->rss_stat[m], counters);
		if (sh)
			sh->local[m] = percpu_delta(l->percpu[m], cpu);
	}
	if (sh) {
		sh->mm = l->mm;
		sh->ledger = l->id;
		sh->slot = l->slot;
		sh->deltas = deltas_of(l, cpu);
	}
	return value - __sync_lock_test_and_set(&l->cur[member], value);
}

/*
 * The change of counter `member` of mm since ledger l last booked it, in bytes; l->cur[member]
 * moves by as much. O(1) per event, whatever the number of CPUs. sh is this CPU's shadow slot
 * for mm (shadow_of()); it remembers l from now on.
 */
static __always_inline __s64 rss_counter_change(struct mm_struct *mm, int member,
						 struct mr_ledger *l, struct counter_shadow *sh,
						 __u32 shift)
{
	struct percpu_counter *fbc;
	__s64 change;
	__s32 local;
	__u32 cpu;

	member &= MR_NMEMBERS - 1;
	if (counters_are_atomic()) {
		__s64 value = rss_counter_bytes(mm, member, shift);

		if (sh && (sh->mm != l->mm || sh->ledger != l->id)) {
			sh->mm = l->mm; /* no deltas to shadow: only the way to l */
			sh->ledger = l->id;
			sh->slot = l->slot;
		}
		return value - __sync_lock_test_and_set(&l->cur[member], value);
	}
	if (!percpu_offset_ready && learn_percpu_offsets())
		return 0;
	fbc = &mm->rss_stat[member];
	if (!sh)
		return percpu_rebook(mm, member, l, sh, shift);
	if ((sh->mm != l->mm || sh->ledger != l->id || !l->percpu[member]) &&
	    !shadow_start(mm, l, sh))
		return percpu_rebook(mm, member, l, sh, shift);
	cpu = bpf_get_smp_processor_id();
	if (sh->deltas)
		local = kernel_word(sh->deltas + member * sizeof(__s32));
	else
		local = percpu_delta(l->percpu[member], cpu);
	change = (__s64)(local - sh->local[member]);
	sh->local[member] = local;
	/* A delta back at zero marks a flush into the shared count by this CPU's add. */
	if (local == 0)
		change += shared_change(fbc, l, member);
	change <<= shift;
	__sync_fetch_and_add(&l->cur[member], change);
	return change;
}

#endif /* MR_LEGACY */

#endif /* RSS_COUNTER_BPF_H */
