/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the ledgers live. Every RSS change needs its mm's ledger, and a hash lookup of the mm
 * was the largest part of the page-fault program's cost. So the ledgers sit in an array, each in
 * a slot, and a hash (ledger_index) maps an mm to its slot and ledger id. The fault path asks its
 * CPU's counter shadow first (rss_counter.bpf.h), which remembers the slot of the mm it shadows:
 * an array lookup and two compares. The index is asked when that misses, and user space walks
 * the index to list the live ledgers.
 *
 * A slot comes from the free_slots queue, else from those never used yet. Whoever deletes an
 * mm's index entry ends its ledger (exit_mmap, or user space for a stale one): it clears the
 * slot's mm, so that no cache can match it any more, then gives the slot back.
 */
#ifndef LEDGER_SLOTS_BPF_H
#define LEDGER_SLOTS_BPF_H

#define MR_LEDGERS 32768 /* the default; user space may size the three maps otherwise */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MR_LEDGERS);
	__type(key, __u32); /* slot */
	__type(value, struct mr_ledger);
} ledgers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MR_LEDGERS);
	__type(key, __u64); /* mm address */
	__type(value, struct mr_ledger_ref);
} ledger_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, MR_LEDGERS);
	__type(value, __u32);
} free_slots SEC(".maps");

const volatile __u32 ledger_slots = MR_LEDGERS; /* the ledgers array's size, set by the loader */
__u32 slots_used; /* slots handed out at least once */

static __always_inline struct mr_ledger *ledger_at(__u32 slot, __u64 mm, __u64 id)
{
	struct mr_ledger *l = bpf_map_lookup_elem(&ledgers, &slot);

	return l && l->mm == mm && l->id == id ? l : NULL;
}

/* The ledger of mm, by the index. */
static __always_inline struct mr_ledger *ledger_indexed(struct mm_struct *mm)
{
	__u64 key = (__u64)mm;
	struct mr_ledger_ref *ref = bpf_map_lookup_elem(&ledger_index, &key);

	return ref ? ledger_at(ref->slot, key, ref->id) : NULL;
}

#ifndef MR_LEGACY /* the legacy object's also tells a reused address apart (memreap.bpf.c) */
#define ledger_of ledger_indexed
#endif

/* The ledger of mm as this CPU's shadow of it remembers it, or NULL. */
static __always_inline struct mr_ledger *ledger_cached(struct mm_struct *mm,
						       struct counter_shadow *sh)
{
	return sh && sh->mm == (__u64)mm ? ledger_at(sh->slot, sh->mm, sh->ledger) : NULL;
}

#ifdef MR_LEGACY
/*
 * No atomic fetch-and-add before 5.12: each CPU hands out the never used slots of its own stride
 * (cpu, cpu + nr_cpus, ...), counted per CPU (programs that take slots do not nest on a CPU).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} slots_taken SEC(".maps");

static __always_inline int slot_fresh(__u32 *slot)
{
	__u32 zero = 0, *taken = bpf_map_lookup_elem(&slots_taken, &zero);

	if (!taken)
		return -1;
	*slot = *taken * nr_cpus + bpf_get_smp_processor_id();
	if (*slot >= ledger_slots)
		return -1;
	*taken += 1;
	return 0;
}
#else
static __always_inline int slot_fresh(__u32 *slot)
{
	*slot = __sync_fetch_and_add(&slots_used, 1);
	return *slot < ledger_slots ? 0 : -1;
}
#endif

static __always_inline int slot_take(__u32 *slot)
{
	if (bpf_map_pop_elem(&free_slots, slot) == 0)
		return 0;
	return slot_fresh(slot);
}

static __always_inline void slot_give_back(__u32 slot)
{
	bpf_map_push_elem(&free_slots, &slot, 0);
}

/* Puts ledger l (made elsewhere) in a slot and indexes it: -EEXIST if mm has one already. */
static __always_inline long ledger_insert(struct mr_ledger *l)
{
	struct mr_ledger_ref ref = { .id = l->id };
	long err;

	if (slot_take(&ref.slot))
		return -ENOSPC;
	l->slot = ref.slot;
	err = bpf_map_update_elem(&ledgers, &ref.slot, l, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(&ledger_index, &l->mm, &ref, BPF_NOEXIST);
	if (err)
		slot_give_back(ref.slot); /* its copy's id is nobody's: no cache can match it */
	return err;
}

/* Ends ledger l of mm unless someone else did first (then false). */
static __always_inline bool ledger_remove(struct mr_ledger *l, __u64 mm)
{
	if (bpf_map_delete_elem(&ledger_index, &mm))
		return false;
	l->mm = 0;
	slot_give_back(l->slot);
	return true;
}

#endif /* LEDGER_SLOTS_BPF_H */
