/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freed, not just unmapped. A page that leaves an address space is freed only if that was its
 * last reference: a file page stays in the page cache, an anonymous page shared copy-on-write
 * with another address space stays there.
 *
 * The page allocator's mm_page_free tracepoint fires for every page it gets back, in the context
 * of the task that dropped the last reference. A release lowers the RSS counters first and frees
 * the pages after: zap_pte_range() books its counts (rss_stat) before the TLB flush that frees
 * the pages it gathered, for munmap, brk, madvise, mremap, a MAP_FIXED mapping, and the exit and
 * exec teardown alike; reclaim unmaps a page (rss_stat) before it frees it.
 *
 * So each task that releases memory keeps a release window (window_store.bpf.h): the ledger and
 * category of its release and, per kind, a budget of the bytes it released that no free has
 * matched yet. A user page freed in that task's context is matched against the budget of its
 * kind, and what matches is that ledger's freed memory in that category: freed never exceeds
 * released, by construction. The window closes when the task's state changes (another syscall,
 * the end of its teardown, its exit): frees after that are not this release's.
 *
 * A page free costs one array look-up when its task has no window open.
 */
#ifndef RELEASE_WINDOW_BPF_H
#define RELEASE_WINDOW_BPF_H

/* The task state a window belongs to: the same call (and place), own mm and flags. */
#define WINDOW_FLAGS (PF_EXITING | PF_MEMALLOC)

/* Frees matched in a window reach its live ledger at most this many bytes late. */
#define WINDOW_FLUSH_BYTES (256u << 10)

struct release_window {
	__u64 mm;      /* the ledger's key */
	__u64 ledger;  /* the ledger's id: an mm's address can be reused */
	__s64 call;    /* the task's state when the window opened: syscall in progress, */
	__u64 call_arg; /* its first argument, */
	__u64 task_mm; /* its own mm, */
	__u32 flags;   /* and WINDOW_FLAGS */
	__u32 cat;     /* enum mr_release */
	__u32 mixed;   /* opened in the same state while another ledger's budget was unmatched */
	__u32 self_call; /* a self release's call (enum mr_call) */
	__u32 open_event; /* a self release not over as an event yet: counted in open_events */
	__u32 pad;
	__u64 regs;      /* where the task's saved registers are (0: a kernel thread) */
	__u64 opened_ns; /* when the bytes in released began */
	__u64 released;  /* bytes of the current release: a large one is an event */
	__u64 budget[MR_NKINDS];  /* released in this window, not matched by a free yet */
	__u64 pending[MR_NKINDS]; /* matched, not added to the ledger yet */
};

#include "window_store.bpf.h"

/*
 * The call task is in, read from the registers its window saved the address of (plain loads,
 * where the kernel allows them): bpf_task_pt_regs() would be a helper call per page free.
 */
static __always_inline long window_task_call(struct release_window *w, struct task_struct *task,
					     __u64 *arg)
{
#ifndef MR_LEGACY
	if (direct_loads)
		return syscall_in_regs(bpf_rdonly_cast((void *)w->regs,
						       bpf_core_type_id_kernel(struct pt_regs)), arg);
#endif
	return syscall_in(task, arg);
}

/* task (the window's, the current one) is still in the state its window opened in. */
static __always_inline bool window_state_is(struct release_window *w, struct task_struct *task)
{
	__u64 arg;
	long nr = window_task_call(w, task, &arg);

	return w->task_mm == (__u64)task_field(task, mm) &&
	       w->flags == (task_field(task, flags) & WINDOW_FLAGS) && w->call == nr &&
	       w->call_arg == arg;
}

/* What the window matched goes to its ledger, never beyond what that ledger released. */
static __always_inline void window_flush(struct release_window *w, struct mr_ledger *l)
{
	__u32 cat = w->cat;

	if (cat >= MR_NRELEASES)
		return;
	for (int k = 0; k < MR_NKINDS; k++) {
		__u64 matched = w->pending[k], released = l->released[cat][k];
		__u64 freed = l->freed[cat][k];
		__u64 room = released > freed ? released - freed : 0;

		if (!matched)
			continue;
		w->pending[k] = 0;
		__sync_fetch_and_add(&l->freed[cat][k], matched < room ? matched : room);
	}
}

/* The window's ledger, found again by key and id: NULL when it has ended meanwhile. */
static __always_inline struct mr_ledger *window_ledger(struct release_window *w)
{
	struct mr_ledger *l = ledger_of((struct mm_struct *)w->mm);

	return l && l->id == w->ledger ? l : NULL;
}

/* Flush into the window's ledger; returns it (NULL when it has ended). */
static __noinline struct mr_ledger *window_settle(struct release_window *w)
{
	struct mr_ledger *l = window_ledger(w);

	if (l)
		window_flush(w, l);
	return l;
}

#ifdef MR_LEGACY
static bool window_ends_teardown(struct release_window *w, __u32 cat);

/*
 * A window closes, or gives way to another. Without exit_mmap (5.10) an exec's teardown in this
 * task is over by then: exec_mmap() ran it, and the task's state changed after (ELF_PLAT_INIT
 * clears the registers that say execve). Its ledger ends here, or else at sched_process_exec.
 */
static __noinline struct mr_ledger *window_settle_end(struct release_window *w)
{
	struct mr_ledger *l = window_settle(w);

	if (!l || !window_ends_teardown(w, MR_REL_EXEC))
		return l;
	ledger_end((struct mm_struct *)w->mm, END_MM_GONE | END_KEEP_WINDOW);
	return NULL;
}
#else
#define window_settle_end window_settle
#endif

/* A release by the process itself of at least release_event_min bytes: the timeline's event. */
static __always_inline void window_report(struct release_window *w)
{
	struct mr_event_release *e;

	if (!release_event_min || w->cat != MR_REL_SELF || w->released < release_event_min)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&health.ringbuf_drops, 1);
		return;
	}
	e->type = MR_EV_RELEASE;
	e->call = w->self_call;
	e->ledger = w->ledger;
	e->ts_ns = w->opened_ns;
	e->bytes = w->released;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	BPF_CORE_READ_STR_INTO(&e->comm, current_task(), group_leader, comm);
	bpf_ringbuf_submit(e, ringbuf_flags());
}

/*
 * The window's release is over as a timeline event: reported if it is one. l is the window's
 * ledger (NULL when it has ended), whose open_events no longer counts it.
 */
static __always_inline void window_event_end(struct release_window *w, struct mr_ledger *l)
{
	window_report(w);
	w->released = 0;
	if (!w->open_event)
		return;
	w->open_event = 0;
	if (l)
		__sync_fetch_and_sub(&l->open_events, 1);
}

static __noinline void window_open(struct release_window *w, struct task_struct *task,
				   struct mr_ledger *l, __u32 cat, int call)
{
	bool unmatched = w->budget[MR_ANON] | w->budget[MR_FILE] | w->budget[MR_SHMEM];
	bool same_state = w->ledger && window_state_is(w, task);

	if (w->ledger)
		window_event_end(w, window_settle_end(w));
	/*
	 * Still in the same state (kswapd going from one address space to the next, say), with
	 * pages of the last ledger not freed yet: the frees that follow could be either's.
	 */
	w->mixed = same_state && w->ledger != l->id && unmatched;
	w->mm = l->mm;
	w->ledger = l->id;
	w->cat = cat;
	w->call = syscall_in(task, &w->call_arg);
	if (direct_loads) /* window_task_call() reads them */
		w->regs = task_field(task, flags) & PF_KTHREAD ? 0 : (__u64)task_regs(task);
	w->task_mm = (__u64)task_field(task, mm);
	w->flags = task_field(task, flags) & WINDOW_FLAGS;
	w->self_call = call;
	w->released = 0;
	for (int k = 0; k < MR_NKINDS; k++) {
		w->budget[k] = 0;
		w->pending[k] = 0;
	}
}

/* rss_stat: task released bytes of kind k from ledger l, in category cat. */
static __always_inline void window_release(struct task_struct *task, struct mr_ledger *l, __u32 cat,
					   int call, int k, __u64 bytes)
{
	struct release_window *w = window_get(task);

	if (!w)
		return;
	if (w->ledger != l->id || w->cat != cat || !window_state_is(w, task))
		window_open(w, task, l, cat, call);
	else
		window_flush(w, l);
	if (release_event_min && !w->released) /* a release's first bytes: when it began */
		w->opened_ns = bpf_ktime_get_boot_ns();
	w->released += bytes;
	if (release_event_min && cat == MR_REL_SELF && !w->open_event) {
		w->open_event = 1;
		__sync_fetch_and_add(&l->open_events, 1);
	}
	if (k >= 0 && k < MR_NKINDS)
		w->budget[k] += bytes;
}

/*
 * The owner's own teardown: its exit, or its exec dropping the old image. Everything the ledger
 * still books as resident leaves now, in this task's context, and nothing enters any more.
 */
static __always_inline bool owner_teardown(struct mr_ledger *l, struct mm_struct *mm,
					   struct task_struct *task, __u32 cat)
{
	return (cat == MR_REL_EXIT || cat == MR_REL_EXEC) && task_field(task, tgid) == l->pid &&
	       task_field(task, mm) != mm;
}

/*
 * So its first release opens one window whose budget is all of that (this release included,
 * which cur[] no longer counts), and the teardown's other releases, often dozens, need not look
 * the window up. What the frees match is still clamped to what the ledger released.
 */
static __noinline void window_teardown_begin(struct task_struct *task, struct mr_ledger *l,
					     __u32 cat, int k, __u64 bytes)
{
	struct release_window *w = window_get(task);

	if (!w)
		return;
	window_open(w, task, l, cat, MR_CALL_OTHER);
	w->budget[MR_ANON] = clamped(l->cur[MR_MM_ANONPAGES]);
	w->budget[MR_FILE] = clamped(l->cur[MR_MM_FILEPAGES]);
	w->budget[MR_SHMEM] = clamped(l->cur[MR_MM_SHMEMPAGES]);
	if (k >= 0 && k < MR_NKINDS)
		w->budget[k] += bytes;
	l->teardown_window = 1;
}

/*
 * A window ends; the task keeps it, closed (no ledger), for its next release, until it gives it
 * back at its exit. The legacy object's windows are entries of a preallocated hash: cheap to
 * delete, and too few to keep one per thread.
 */
static __always_inline void window_end(struct task_struct *task, struct release_window *w)
{
#ifdef MR_LEGACY
	if (!(task_field(task, flags) & PF_EXITING)) {
		window_give_back(task);
		return;
	}
#endif
	w->ledger = 0;
	w->mixed = 0;
	for (int k = 0; k < MR_NKINDS; k++) {
		w->budget[k] = 0;
		w->pending[k] = 0;
	}
}

static __always_inline void window_close(struct task_struct *task, struct release_window *w)
{
	window_event_end(w, window_settle_end(w));
	window_end(task, w);
}

/*
 * rss_stat: an address space grew in this task's context (a fault). A release still counted
 * from another state is over as an event (two munmaps with faults between them are two events);
 * the window itself stays for its frees, and no storage comes or goes. A fault of a ledger none
 * of whose tasks has such a release (most faults) costs one load; nothing at all without release
 * events (top, the exporter: the verifier drops it).
 */
static __always_inline void window_growth(struct mr_ledger *l)
{
	struct task_struct *task;
	struct release_window *w;

	if (!release_event_min || !l->open_events)
		return;
	task = current_task();
	w = window_of(task);
	if (w && w->open_event && !window_state_is(w, task))
		window_event_end(w, w->ledger == l->id ? l : window_ledger(w));
}

#ifdef MR_LEGACY
/*
 * Without the exit_mmap tracepoint (5.10): this task's window is the teardown window of a ledger
 * in category cat (its owner's exit or exec, window_teardown_begin()), and that teardown is over.
 */
static __noinline bool window_ends_teardown(struct release_window *w, __u32 cat)
{
	struct mm_struct *mm = (struct mm_struct *)w->mm; /* outside BPF_CORE_READ: not CO-RE */
	struct mr_ledger *l = ledger_indexed(mm);

	if (!l || l->id != w->ledger || !l->teardown_window || w->cat != cat)
		return false;
	/* An exit's teardown ran in exit_mm() when it dropped the last user; active_mm holds it. */
	return cat != MR_REL_EXIT || !BPF_CORE_READ(mm, mm_users.counter);
}

/*
 * sched_process_exit, which 5.10 runs after exit_mm(): an exit's teardown in this task ran to its
 * end (exit_mmap()) in exit_mm(), frees included: the ledger ends as exit_mmap would end it.
 * Then the task's window goes with it.
 */
static __always_inline void window_task_exit(void)
{
	struct task_struct *task = current_task();
	struct release_window *w = window_of(task);

	if (w && w->ledger) {
		if (window_ends_teardown(w, MR_REL_EXIT))
			ledger_end((struct mm_struct *)w->mm, 0);
		else
			window_close(task, w);
	}
	window_give_back(task);
}

/* sched_process_exec: exec_mmap() tore the old mm down in this task, before the new image ran. */
static __always_inline void window_exec_done(void)
{
	struct release_window *w = window_of(current_task());

	if (w && w->ledger && window_ends_teardown(w, MR_REL_EXEC))
		ledger_end((struct mm_struct *)w->mm, END_MM_GONE);
}

/*
 * A release in task's context that is not an owner's teardown followed by a window: a teardown
 * run elsewhere (a CLONE_VM sharer's exit, a reference held by another process), or one without
 * a window. With no user left and every counter at zero, it is over but for the frees of its
 * last batch, which come after: the ledger ends, saying it is less exact.
 */
static __always_inline void teardown_elsewhere(struct mr_ledger *l, struct mm_struct *mm,
					       struct task_struct *task)
{
	if (l->teardown_window || task_field(task, mm) == mm || BPF_CORE_READ(mm, mm_users.counter))
		return;
	for (int m = 0; m < MR_NMEMBERS; m++)
		if (rss_counter_bytes(mm, m, page_shift))
			return;
	ledger_end(mm, END_INEXACT);
}
#else
/*
 * sched_process_exit: the exiting task's releases are over, but for the teardown of its mm that
 * newer kernels run after it (window_teardown_done() gives the slot back again).
 */
static __always_inline void window_task_exit(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct release_window *w = window_of(task);

	if (w && w->ledger)
		window_close(task, w);
	window_give_back(task);
}

/* The exit_mmap tracepoint ends every teardown. */
static __always_inline void window_exec_done(void)
{
}

static __always_inline void teardown_elsewhere(struct mr_ledger *l, struct mm_struct *mm,
					       struct task_struct *task)
{
}
#endif

/* exit_mmap: ledger l's teardown is over; the task that did it flushes what it matched. */
static __always_inline void window_teardown_done(struct mr_ledger *l)
{
	struct task_struct *task = current_task();
	struct release_window *w = window_of(task);

	if (!w || w->ledger != l->id)
		return;
	window_flush(w, l);
	window_end(task, w);
	if (task_field(task, flags) & PF_EXITING)
		window_give_back(task);
}

/*
 * What a freed page was to the address spaces that mapped it: anonymous (the anon bit of its
 * mapping is still set when mm_page_free fires), or a page cache page whose mapping was cleared
 * when it left the cache (shmem and tmpfs pages are swap-backed). Page tables, slab and other
 * kernel pages are none of these: -1. Both bits are in the low 32 bits of their words (the low
 * addresses on little-endian x86_64 and arm64): page->flags comes first in struct page (unsigned
 * long, memdesc_flags_t in 6.18), and the anon bit is bit 0 of page->mapping.
 */
static __always_inline int freed_page_kind(struct page *page)
{
	__u64 mapping = (__u64)page + bpf_core_field_offset(struct page, mapping);
	__u32 flags;

	if (kernel_word(mapping) & 1) /* PAGE_MAPPING_ANON */
		return MR_ANON;
	flags = kernel_word((__u64)page);
	if (!(flags & (1u << bpf_core_enum_value(enum pageflags, PG_uptodate))))
		return -1;
	if (flags & (1u << bpf_core_enum_value(enum pageflags, PG_swapbacked)))
		return MR_SHMEM;
	return MR_FILE;
}

SEC("raw_tp/mm_page_free")
int BPF_PROG(on_page_free, struct page *page, unsigned int order)
{
	struct task_struct *task = current_task();
	struct release_window *w = window_of(task);
	__u64 bytes, match;
	int k;

	if (!w || w->mixed || !w->ledger)
		return 0; /* no window, or a closed one an exiting task keeps */
	k = freed_page_kind(page);
	if (k < 0 || k >= MR_NKINDS)
		return 0;
	if (!window_state_is(w, task)) {
		window_close(task, w); /* its release is over: this free is not part of it */
		return 0;
	}
	bytes = ((__u64)1 << page_shift) << (order & 31);
	match = bytes < w->budget[k] ? bytes : w->budget[k];
	w->budget[k] -= match;
	w->pending[k] += match;
	if (w->pending[MR_ANON] + w->pending[MR_FILE] + w->pending[MR_SHMEM] >= WINDOW_FLUSH_BYTES)
		window_settle(w);
	return 0;
}

#endif /* RELEASE_WINDOW_BPF_H */
