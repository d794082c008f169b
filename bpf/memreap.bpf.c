// SPDX-License-Identifier: GPL-2.0
/*
 * memreap's kernel side: one ledger per address space (mm), kept in a hash map keyed by the mm's
 * address and updated on every change of an RSS counter. Only finished ledgers and rare events
 * (fork, exec, first sight of an old mm) go through the ring buffer.
 *
 * Hooks, all raw tracepoints (no tracefs, no per-event record formatting):
 *   rss_stat             (mm, member) after every RSS counter change
 *   sched_process_fork   binds a new mm to its thread group
 *   sched_process_exec   a new image's mm becomes the process's
 *   sched_process_exit   the thread group is dead: what remains is the kernel's to reclaim
 *   exit_mmap            the teardown is over: the ledger is complete
 *   mm_page_free         a page went back to the page allocator: freed, not just unmapped
 *   mark_victim          the OOM killer chose an mm's process as its victim
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "memreap.h"
#include "kernel_word.bpf.h"
#include "rss_counter.bpf.h"

#if defined(MR_LEGACY) && !defined(__TARGET_ARCH_x86)
#error "the legacy object (Linux 5.10) is x86_64's only: its task_regs() is x86's task_pt_regs()"
#endif

char LICENSE[] SEC("license") = "GPL";

#define EEXIST 17 /* include/uapi/asm-generic/errno-base.h */
#define ENOSYS 38 /* include/uapi/asm-generic/errno.h */
#define ENOSPC 28 /* include/uapi/asm-generic/errno-base.h */

#define PF_EXITING  0x00000004
#define PF_MEMALLOC 0x00000800
#define PF_KTHREAD  0x00200000

/* Set by the loader: syscall numbers of the target architecture and the page size. */
const volatile __u32 page_shift = 12;
const volatile long nr_mmap = -1, nr_munmap = -1, nr_brk = -1, nr_mremap = -1, nr_madvise = -1;
const volatile long nr_clone = -1, nr_clone3 = -1, nr_fork = -1, nr_vfork = -1;
const volatile long nr_execve = -1, nr_execveat = -1;
/* Cleared by the loader when command lines are not wanted (collector_opts.no_argv). */
const volatile bool capture_argv = true;
/* A self release of at least this many bytes is an event for the timeline; 0: none. */
const volatile __u64 release_event_min = 0;

/* Ended ledgers the ring buffer had no room for; user space drains it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* ledger id */
	__type(value, struct mr_ledger);
} parked SEC(".maps");

/* Fork events the ring buffer had no room for; user space drains it before any ended ledger. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* child tgid */
	__type(value, struct mr_event_fork);
} parked_forks SEC(".maps");

/* Last counter values of mms that have no ledger (map full), to count unattributed bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __s64[MR_NMEMBERS]);
} untracked SEC(".maps");

/* Thread groups created with CLONE_VM (vfork, posix_spawn): they use a parent's mm. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} sharers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mr_ledger);
} scratch SEC(".maps");

#include "ledger_slots.bpf.h"

/*
 * Waking the reader for every record costs it a context switch per record, and it polls on a
 * timer anyway: wake it only once the buffer holds this many bytes (0: wake for every record).
 */
const volatile __u64 ringbuf_wakeup_bytes = 0;

static __always_inline __u64 ringbuf_flags(void)
{
	if (!ringbuf_wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

struct mr_health health;
struct mr_paths paths;
__u64 ledger_seq;

#ifdef MR_LEGACY
/*
 * No atomic fetch-and-add before 5.12: each CPU numbers the ledgers it creates (programs that
 * create ledgers do not nest on a CPU); the CPU in the low bits keeps the ids unique.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ledger_ids SEC(".maps");

static __always_inline __u64 next_ledger_id(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&ledger_ids, &zero);

	if (!seq)
		return 0;
	*seq += 1;
	return *seq << 10 | (bpf_get_smp_processor_id() & (MR_MAX_CPUS - 1));
}
#else
static __always_inline __u64 next_ledger_id(void)
{
	return __sync_fetch_and_add(&ledger_seq, 1) + 1;
}
#endif

static __always_inline int kind_of(int member)
{
	switch (member) {
	case MR_MM_ANONPAGES:
		return MR_ANON;
	case MR_MM_FILEPAGES:
		return MR_FILE;
	case MR_MM_SHMEMPAGES:
		return MR_SHMEM;
	}
	return -1;
}

static __always_inline __u64 clamped(__s64 bytes)
{
	return bytes > 0 ? bytes : 0;
}

/* Resident bytes as booked; user space's rss_at_end reads cur[] the same way, clamped at 0. */
static __always_inline __u64 resident_bytes(const struct mr_ledger *l)
{
	return clamped(l->cur[MR_MM_ANONPAGES]) + clamped(l->cur[MR_MM_FILEPAGES]) +
	       clamped(l->cur[MR_MM_SHMEMPAGES]);
}

/*
 * The current task. A BTF pointer (5.11+): its fields are plain loads, no bpf_probe_read_kernel()
 * per field. MR_LEGACY (5.10): a plain address, every field read with BPF_CORE_READ.
 */
#ifdef MR_LEGACY
#define current_task() ((struct task_struct *)bpf_get_current_task())
#define task_field(task, field) BPF_CORE_READ(task, field)
#define regs_field(regs, field) BPF_CORE_READ(regs, field)
#else
#define current_task() bpf_get_current_task_btf()
#define task_field(task, field) ((task)->field)
#define regs_field(regs, field) ((regs)->field)
#endif

#ifdef MR_LEGACY
extern bool CONFIG_KASAN __kconfig __weak;

/*
 * No bpf_task_pt_regs() before 5.15: x86_64's task_pt_regs(), the registers saved at the top of
 * the task's stack. THREAD_SIZE: 16 KiB, twice that with KASAN (5.10's BTF cannot size it).
 */
static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	__u64 size = CONFIG_KASAN ? 32768 : 16384;
	void *stack = BPF_CORE_READ(task, stack);

	if (!stack)
		return NULL;
	return (struct pt_regs *)(stack + size - bpf_core_type_size(struct pt_regs));
}
#else
#define task_regs(task) ((struct pt_regs *)bpf_task_pt_regs(task))
#endif

/* The first argument of a system call, from its saved registers. */
static __always_inline __u64 first_arg(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs_field(regs, di);
#elif defined(__TARGET_ARCH_arm64)
	return regs_field(regs, orig_x0); /* x0 gets the return value */
#else
	return 0;
#endif
}

/*
 * The system call in progress according to a task's saved registers (task_regs()), or -1; *arg
 * (if asked) gets its first argument, 0 outside one: two calls in a row with no fault between
 * them are told apart by it (two munmaps, two places).
 */
static __always_inline long syscall_in_regs(struct pt_regs *regs, __u64 *arg)
{
	long nr = -1;

	if (arg)
		*arg = 0;
	if (!regs)
		return -1;
#if defined(__TARGET_ARCH_x86)
	/*
	 * orig_ax holds an exception's error code too (a page fault's is 4 to 7, sometimes more):
	 * only a system call in progress has ax at -ENOSYS until it returns.
	 */
	if (regs_field(regs, ax) == (unsigned long)-ENOSYS)
		nr = regs_field(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	nr = regs_field(regs, syscallno);
#endif
	if (arg && nr >= 0)
		*arg = first_arg(regs);
	return nr;
}

/* The system call task is in, or -1 (a kernel thread is in none); *arg as above. */
static __always_inline long syscall_in(struct task_struct *task, __u64 *arg)
{
	if (task_field(task, flags) & PF_KTHREAD) {
		if (arg)
			*arg = 0;
		return -1;
	}
	return syscall_in_regs(task_regs(task), arg);
}

static __always_inline long syscall_nr(struct task_struct *task)
{
	return syscall_in(task, NULL);
}

static __always_inline int call_of(long nr)
{
	if (nr == nr_munmap)
		return MR_CALL_MUNMAP;
	if (nr == nr_brk)
		return MR_CALL_BRK;
	if (nr == nr_madvise)
		return MR_CALL_MADVISE;
	if (nr == nr_mremap)
		return MR_CALL_MREMAP;
	if (nr == nr_mmap)
		return MR_CALL_MMAP;
	return MR_CALL_OTHER;
}

static __always_inline bool is_fork_call(long nr)
{
	/* arm64 has no fork or vfork: their numbers stay -1, which is also "no system call". */
	if (nr < 0)
		return false;
	return nr == nr_clone || nr == nr_clone3 || nr == nr_fork || nr == nr_vfork;
}

static __always_inline bool is_exec_call(long nr)
{
	return nr == nr_execve || nr == nr_execveat;
}

static __always_inline __u64 mm_pages_to_bytes(unsigned long pages)
{
	return (__u64)pages << page_shift;
}

static __always_inline void read_vm(struct mr_ledger *l, struct mm_struct *mm)
{
	__u64 total = mm_pages_to_bytes(BPF_CORE_READ(mm, total_vm));
	__u64 hiwater = mm_pages_to_bytes(BPF_CORE_READ(mm, hiwater_vm));

	l->vm_at_end = total;
	l->vm_peak = total > hiwater ? total : hiwater;
}

static __always_inline struct task_struct *mm_owner(struct mm_struct *mm)
{
	if (!bpf_core_field_exists(mm->owner))
		return NULL;
	return BPF_CORE_READ(mm, owner);
}

/*
 * Whose an mm that predates memreap is: its owner (mm->owner, with memcg), not the task that
 * happened to show it first, which may be a vfork child sharing its parent's mm (forked before
 * memreap started, so not known as a sharer).
 */
static __always_inline struct task_struct *existing_owner(struct mm_struct *mm, int origin,
							  struct task_struct *task)
{
	struct task_struct *owner = origin == MR_ORIGIN_EXISTING ? mm_owner(mm) : NULL;

	return owner ? owner : task;
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

static __always_inline void set_owner(struct mr_ledger *l, struct task_struct *task)
{
	if (!task)
		return;
	l->pid = BPF_CORE_READ(task, tgid);
	l->ppid = BPF_CORE_READ(task, real_parent, tgid);
	l->cgroup_id = task_cgroup_id(task);
	l->proc_start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&l->comm, task, group_leader, comm);
}

static __always_inline void send_new(struct mr_ledger *l)
{
	struct mr_event_new *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&health.ringbuf_drops, 1);
		return;
	}
	e->type = MR_EV_NEW;
	e->tgid = l->pid;
	e->ledger = l->id;
	e->ts_ns = l->start_ns;
	bpf_ringbuf_submit(e, ringbuf_flags());
}

/* How ledger_end() ends a ledger. */
#define END_INEXACT 1 /* the teardown's last frees may not be matched */
#define END_MM_GONE 2 /* the mm may be freed, or another: its sizes were read before */
#define END_KEEP_WINDOW 4 /* the caller settled this task's window and goes on using it */

static int ledger_end(struct mm_struct *mm, __u32 how);

#ifdef MR_LEGACY
/* x86's mm->context.ctx_id: unique for the life of the system, where an mm's address is not. */
static __always_inline __u64 mm_identity(struct mm_struct *mm)
{
	return BPF_CORE_READ(mm, context.ctx_id);
}

/*
 * Without exit_mmap an exec's teardown ends after exec_mmap() (release_window.bpf.h), and another
 * CPU may have had the freed mm's address for a new mm by then: the old ledger ends now, less
 * exact (frees its window matched may not have reached it).
 */
static __always_inline struct mr_ledger *ledger_of(struct mm_struct *mm)
{
	struct mr_ledger *l = ledger_indexed(mm);

	if (l && l->mm_ctx_id != mm_identity(mm)) {
		ledger_end(mm, END_MM_GONE | END_INEXACT);
		return NULL;
	}
	return l;
}
#endif

/*
 * Create the ledger of an mm seen for the first time. An mm being built by fork or exec starts
 * from zero; any other mm predates memreap and its baseline is what is resident now.
 */
static __noinline struct mr_ledger *ledger_create(struct mm_struct *mm, int origin,
						  struct task_struct *owner)
{
	__u64 key = (__u64)mm;
	__u32 zero = 0;
	struct mr_ledger *l = bpf_map_lookup_elem(&scratch, &zero);
	long err;

	if (!l)
		return NULL;
	__builtin_memset(l, 0, sizeof(*l));
	l->id = next_ledger_id();
	l->mm = key;
	l->start_ns = bpf_ktime_get_boot_ns();
	l->exit_code = -1;
	l->origin = origin;
	l->zero_start = origin != MR_ORIGIN_EXISTING;
	l->last_call = MR_CALL_OTHER;
#ifdef MR_LEGACY
	l->mm_ctx_id = mm_identity(mm);
#endif
	set_owner(l, existing_owner(mm, origin, owner));
	if (origin == MR_ORIGIN_EXISTING) {
		for (int m = 0; m < MR_NMEMBERS; m++) {
			int k = kind_of(m);

			rss_counter_seed(mm, m, l, page_shift);
			if (k >= 0)
				l->baseline[k] = l->cur[m];
		}
		l->peak_rss = resident_bytes(l);
	}
	err = ledger_insert(l);
	if (err && err != -EEXIST) { /* EEXIST: another CPU created it */
		__sync_fetch_and_add(&health.map_full, 1);
		return NULL;
	}
	l = ledger_of(mm);
	if (l && !err && origin == MR_ORIGIN_EXISTING)
		send_new(l);
	return l;
}

/* First sight of mm at an RSS change made by the current task: decide how it began. */
static __noinline struct mr_ledger *ledger_first_sight(struct mm_struct *mm)
{
	struct task_struct *task = current_task();
	struct mm_struct *own = task_field(task, mm);
	long nr;

	if (own == mm)
		return ledger_create(mm, MR_ORIGIN_EXISTING, task);
	nr = syscall_nr(task);
	if (!(task_field(task, flags) & PF_MEMALLOC)) {
		/* fork copies the parent's pages into the child's counters from the parent. */
		if (is_fork_call(nr))
			return ledger_create(mm, MR_ORIGIN_FORK, NULL);
		/* exec fills the new mm (arguments, stack) before switching to it. */
		if (is_exec_call(nr) && own) {
			struct mr_ledger *old = ledger_of(own);
			struct mr_ledger *l;

			if (!old)
				old = ledger_create(own, MR_ORIGIN_EXISTING, task);
			l = ledger_create(mm, MR_ORIGIN_EXEC, task);
			if (l) {
				l->state = MR_STATE_BUILDING;
				l->prev_mm = (__u64)own;
				l->parent_id = old ? old->id : 0;
				/*
				 * The parent it was forked from, even if gone by now; not for a
				 * vfork child, whose old mm is its parent's.
				 */
				if (old && old->pid == task_field(task, tgid) && old->ppid)
					l->ppid = old->ppid;
			}
			return l;
		}
	}
	return ledger_create(mm, MR_ORIGIN_EXISTING, mm_owner(mm));
}

/* An mm without a ledger (map full): count its changes as unattributed bytes. */
static __always_inline void account_untracked(struct mm_struct *mm, int member)
{
	__u64 key = (__u64)mm;
	__s64 init[MR_NMEMBERS] = {};
	__s64 *last, value, delta;

	last = bpf_map_lookup_elem(&untracked, &key);
	if (!last) {
		for (int m = 0; m < MR_NMEMBERS; m++)
			init[m] = rss_counter_bytes(mm, m, page_shift);
		bpf_map_update_elem(&untracked, &key, init, BPF_ANY);
		return;
	}
	member &= MR_NMEMBERS - 1; /* in range (on_rss_stat checked); proven to the verifier */
	value = rss_counter_bytes(mm, member, page_shift);
	delta = value - swap_booked(&last[member], value);
	if (member != MR_MM_SWAPENTS)
		__sync_fetch_and_add(&health.unattributed_bytes, delta < 0 ? -delta : delta);
}

#include "release_window.bpf.h"

/*
 * mark_oom_victim() binds the victim's mm to its signal struct (signal->oom_mm, holding the
 * mm_struct until the signal struct goes, so the address cannot be another mm's): whoever tears
 * the mm down can tell, on every kernel, whatever the mark_victim tracepoint's arguments.
 */
static __always_inline void note_oom_victim(struct mr_ledger *l, struct task_struct *task,
					    struct mm_struct *mm)
{
	if (!l->oom_killed && BPF_CORE_READ(task, signal, oom_mm) == mm)
		l->oom_killed = 1;
}

/* The thread group is dead: note how it ended and its sizes; what remains is the kernel's. */
static __always_inline void mark_exiting(struct mr_ledger *l, struct task_struct *task,
					 struct mm_struct *mm)
{
	l->state = MR_STATE_EXITING;
	l->end_ns = bpf_ktime_get_boot_ns();
	l->exit_code = BPF_CORE_READ(task, exit_code);
	l->swap_at_end = clamped(l->cur[MR_MM_SWAPENTS]);
	l->cgroup_id = task_cgroup_id(task);
	BPF_CORE_READ_STR_INTO(&l->comm, task, group_leader, comm);
	read_vm(l, mm);
	note_oom_victim(l, task, mm);
}

/*
 * A decrease of ledger l (mm), made in task's context: who did it? The mm's own task, in which
 * call; or the kernel: at exit, at exec, or while the mm lives (reclaim, OOM reaper, another
 * process). Returns the category (enum mr_release); *call is the call of a self release.
 */
static __always_inline __u32 release_category(struct mr_ledger *l, struct mm_struct *mm,
					      struct task_struct *task, int k, int *call)
{
	unsigned int flags = task_field(task, flags);

	/* First: a task still using this mm (a CLONE_VM sharer may outlive the owner's group). */
	if (task_field(task, mm) == mm) {
		long nr = syscall_nr(task);

		*call = call_of(nr);
		/* Direct reclaim of its own pages outside a releasing call is the kernel's doing. */
		if (*call == MR_CALL_OTHER && (flags & PF_MEMALLOC))
			return MR_REL_LIVE;
		if (nr >= 0)
			l->last_call = *call;
		else if (k == MR_ANON)
			/*
			 * A fault never lowers its own mm's anonymous pages: this is another
			 * thread's release, whose change this thread's event read first.
			 */
			*call = l->last_call;
		return MR_REL_SELF;
	}
	if (l->state == MR_STATE_EXITING)
		return MR_REL_EXIT;
	if (l->state == MR_STATE_EXECED)
		return MR_REL_EXEC;
	if (l->pid == task_field(task, tgid) && !(flags & PF_MEMALLOC)) {
		/*
		 * Kernels that run sched_process_exit after exit_mm() (6.1, ...): teardown
		 * comes first, with exit_code already set and the VM sizes still in place.
		 */
		if (flags & PF_EXITING) {
			mark_exiting(l, task, mm);
			return MR_REL_EXIT;
		}
		/* exec tears the old mm down after switching to the new one. */
		if (is_exec_call(syscall_nr(task)) && l->state != MR_STATE_BUILDING) {
			l->state = MR_STATE_EXECED;
			l->end_ns = bpf_ktime_get_boot_ns();
#ifdef MR_LEGACY
			read_vm(l, mm); /* its end comes after exec_mmap() may have freed the mm */
#endif
			return MR_REL_EXEC;
		}
	}
	return MR_REL_LIVE;
}

/* A self release of bytes by call (enum mr_call). */
static __always_inline void book_call(struct mr_ledger *l, int call, __u64 bytes)
{
	__u32 c = call;

	barrier_var(c); /* one register, compared and used: 6.1's verifier loses a copy's bound */
	if (c < MR_NCALLS)
		__sync_fetch_and_add(&l->by_call[c], bytes);
}

static __always_inline void book_release(struct mr_ledger *l, struct mm_struct *mm, int k,
					 __u64 bytes)
{
	struct task_struct *task = current_task();
	int call = MR_CALL_OTHER;
	__u32 cat = release_category(l, mm, task, k, &call);

	if (cat >= MR_NRELEASES || k < 0 || k >= MR_NKINDS)
		return;
	__sync_fetch_and_add(&l->released[cat][k], bytes);
	if (cat == MR_REL_SELF) {
		book_call(l, call, bytes);
		if (l->shutdown_ns)
			__sync_fetch_and_add(&l->shutdown_released[k], bytes);
	}
	if (owner_teardown(l, mm, task, cat)) {
		if (!l->teardown_window)
			window_teardown_begin(task, l, cat, k, bytes);
	} else {
		window_release(task, l, cat, call, k, bytes);
	}
	teardown_elsewhere(l, mm, task);
}

/*
 * Seeding: give every process that predates memreap a ledger with its exact baseline, so that
 * its first change is counted and idle processes are seen. Run once by user space through
 * BPF_PROG_TEST_RUN, which holds the RCU read lock that walking the task list needs.
 */
struct seed_walk {
	struct task_struct *first;
	struct task_struct *task;
};

__u32 seeded;

static __always_inline void seed_task(struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);

	if (!mm || (BPF_CORE_READ(t, flags) & PF_KTHREAD) || ledger_of(mm))
		return;
	if (ledger_create(mm, MR_ORIGIN_EXISTING, t))
		seeded++;
}

/* The layout CO-RE resolved, as rss_counter_bytes() sees it: for memreap doctor. */
static __always_inline void note_counter_layout(void)
{
	paths.counter_layout = MR_COUNTERS_PERCPU;
	if (bpf_core_type_exists(struct mm_rss_stat___old))
		paths.counter_layout = MR_COUNTERS_ATOMIC;
}

#ifdef MR_LEGACY
/*
 * No bpf_loop() before 5.17: the task iterator (5.8) runs this once per task, with the RCU read
 * lock held; user space reads the iterator once through.
 */
SEC("iter/task")
int seed_existing(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;

	if (!t)
		return 0;
	note_counter_layout();
	seed_task(t);
	return 0;
}
#else
static long seed_next(__u32 i, struct seed_walk *w)
{
	struct task_struct *cur = w->task; /* outside BPF_CORE_READ: seed_walk is ours, not CO-RE */
	struct list_head *next = BPF_CORE_READ(cur, tasks.next);
	struct task_struct *t = (void *)next - bpf_core_field_offset(struct task_struct, tasks);

	if (t == w->first)
		return 1; /* back where we started: every process seen */
	w->task = t;
	seed_task(t);
	return 0;
}

SEC("raw_tp")
int seed_existing(void *ctx)
{
	struct seed_walk w;

	note_counter_layout();
	/* Plain addresses: every read on the walk goes through bpf_probe_read_kernel. */
	w.first = (struct task_struct *)bpf_get_current_task();
	w.task = w.first;
	seed_task(w.first);
	bpf_loop(1 << 22, seed_next, &w, 0);
	return 0;
}
#endif

/*
 * An interpreter begins its own shutdown (Py_FinalizeEx, perl_destruct, node::FreeEnvironment,
 * ...): user space attaches this uprobe to each runtime's entry point, for every process.
 */
SEC("uprobe")
int BPF_KPROBE(on_shutdown) /* a uprobe: libbpf 1.1 has no BPF_UPROBE yet */
{
	struct task_struct *task = current_task();
	struct mm_struct *mm = task_field(task, mm);
	struct mr_ledger *l;

	if (!mm)
		return 0;
	l = ledger_of(mm);
	if (!l)
		l = ledger_create(mm, MR_ORIGIN_EXISTING, task);
	if (!l || l->shutdown_ns)
		return 0; /* the first call counts (a runtime may finalize twice) */
	l->rss_at_shutdown = resident_bytes(l);
	l->shutdown_ns = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("raw_tp/rss_stat")
int BPF_PROG(on_rss_stat, struct mm_struct *mm, int member)
{
	struct counter_shadow *sh;
	struct mr_ledger *l;
	__s64 delta;
	__u64 rss;
	int k;

	if (member < 0 || member >= MR_NMEMBERS)
		return 0;
	sh = shadow_of(mm);
	l = ledger_cached(mm, sh);
	if (!l)
		l = ledger_of(mm);
	if (!l)
		l = ledger_first_sight(mm);
	if (!l) {
		account_untracked(mm, member);
		return 0;
	}
	delta = rss_counter_change(mm, member, l, sh, page_shift);
	k = kind_of(member);
	if (delta == 0 || k < 0)
		return 0;
	if (delta < 0) {
		book_release(l, mm, k, -delta);
		return 0;
	}
	__sync_fetch_and_add(&l->faulted_in[k], delta);
	rss = resident_bytes(l);
	if (rss > l->peak_rss)
		l->peak_rss = rss;
	window_growth(l);
	return 0;
}

/*
 * The ring buffer is full: park the fork for user space, which needs it to follow a process tree
 * (a child whose fork it never sees is missing from `run` and `record --pid`).
 */
static __always_inline void send_fork(struct mr_event_fork *ev)
{
	struct mr_event_fork *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (e) {
		__builtin_memcpy(e, ev, sizeof(*e));
		bpf_ringbuf_submit(e, ringbuf_flags());
		return;
	}
	__sync_fetch_and_add(&health.ringbuf_drops, 1);
	if (bpf_map_update_elem(&parked_forks, &ev->child_tgid, ev, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&health.parked_forks, 1);
	else
		__sync_fetch_and_add(&health.lost_forks, 1);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct mm_struct *mm = BPF_CORE_READ(child, mm);
	struct mm_struct *parent_mm = BPF_CORE_READ(parent, mm);
	struct mr_event_fork ev = {};
	struct mr_ledger *l, *pl;
	__u32 tgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (BPF_CORE_READ(child, pid) != tgid || !mm)
		return 0; /* a thread, or a kernel thread */
	pl = parent_mm ? ledger_of(parent_mm) : NULL;
	if (mm == parent_mm) {
		bpf_map_update_elem(&sharers, &tgid, &one, BPF_ANY);
		l = pl;
	} else {
		l = ledger_of(mm);
		if (!l)
			l = ledger_create(mm, MR_ORIGIN_FORK, NULL);
		if (l) {
			set_owner(l, child);
			l->ppid = BPF_CORE_READ(parent, tgid);
			l->origin = MR_ORIGIN_FORK;
			l->parent_id = pl ? pl->id : 0;
		}
	}
	ev.type = MR_EV_FORK;
	ev.parent_tgid = BPF_CORE_READ(parent, tgid);
	ev.child_tgid = tgid;
	ev.shares_mm = mm == parent_mm;
	ev.parent_ledger = pl ? pl->id : 0;
	ev.child_ledger = l ? l->id : 0;
	ev.ts_ns = bpf_ktime_get_boot_ns();
	send_fork(&ev);
	return 0;
}

/*
 * The new image's arguments, from its own stack (current is the exec'ing task and its mm the new
 * one; exec wrote the pages, so they are resident): one bounded copy, no /proc read later.
 */
static __always_inline void read_argv(struct mr_event_exec *e, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end - start;

	e->argv_len = 0;
	e->argv_read = 0;
	e->argv_cut = 0;
	if (!capture_argv || end < start)
		return;
	if (len > MR_ARGV_LEN) {
		len = MR_ARGV_LEN;
		e->argv_cut = 1;
	}
	barrier_var(len); /* the verifier must see the bound clang already knows */
	if (len > MR_ARGV_LEN || bpf_probe_read_user(e->argv, len, (void *)start))
		return;
	e->argv_len = len;
	e->argv_read = 1;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct mr_ledger *l = ledger_of(mm), *old = NULL;
	struct mr_event_exec *e;
	bool shared = bpf_map_delete_elem(&sharers, &tgid) == 0;

	window_exec_done();
	if (!l)
		l = ledger_create(mm, MR_ORIGIN_EXEC, task);
	if (!l)
		return 0;
	__u32 ppid = l->ppid;

	l->state = MR_STATE_ALIVE;
	l->origin = MR_ORIGIN_EXEC;
	set_owner(l, task);
	if (ppid)
		l->ppid = ppid; /* kept from the image this exec replaced */
	/* The replaced mm survives the exec only when someone else still holds it. */
	if (l->prev_mm && !shared) {
		old = ledger_of((struct mm_struct *)l->prev_mm);
		if (old && old->pid == tgid && old->state == MR_STATE_ALIVE) {
			old->state = MR_STATE_EXECED;
			old->end_ns = bpf_ktime_get_boot_ns();
		}
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&health.ringbuf_drops, 1);
		return 0;
	}
	e->type = MR_EV_EXEC;
	e->tgid = tgid;
	e->ledger = l->id;
	e->old_ledger = l->parent_id;
	e->ts_ns = bpf_ktime_get_boot_ns();
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	e->file_ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
	e->file_size = BPF_CORE_READ(bprm, file, f_inode, i_size);
	e->file_dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev);
	read_argv(e, task);
	bpf_ringbuf_submit(e, ringbuf_flags());
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	struct mm_struct *mm;
	struct mr_ledger *l;
	__u32 tgid;

	window_task_exit(); /* task is the current one */
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0; /* other threads of the group live on */
	tgid = BPF_CORE_READ(task, tgid);
	if (bpf_map_delete_elem(&sharers, &tgid) == 0)
		return 0; /* the mm is its parent's */
	mm = BPF_CORE_READ(task, mm);
	if (!mm) {
		/*
		 * Older kernels: exit_mm() already ran. Either its teardown ended the ledger, or
		 * someone else still holds the mm (its lazy-TLB active_mm) and will tear it down.
		 */
		__sync_fetch_and_add(&paths.exits_after_exit_mm, 1);
		mm = BPF_CORE_READ(task, active_mm);
		l = mm ? ledger_of(mm) : NULL;
		if (l && l->state == MR_STATE_ALIVE && l->pid == tgid)
			mark_exiting(l, task, mm);
		return 0;
	}
	__sync_fetch_and_add(&paths.exits_before_exit_mm, 1);
	l = ledger_of(mm);
	if (!l)
		l = ledger_create(mm, MR_ORIGIN_EXISTING, task);
	if (!l || l->pid != tgid)
		return 0; /* a sharer memreap did not see forked: the mm lives on with its owner */
	mark_exiting(l, task, mm);
	return 0;
}

/*
 * The teardown is over and nothing changes the counters any more: what the ledger still books
 * as resident is checked against one full sum (per-CPU counters book changes CPU by CPU; see
 * rss_counter.bpf.h), and a difference is booked as faulted in or as the end's release.
 */
static __always_inline void reconcile(struct mr_ledger *l, struct mm_struct *mm)
{
	__u32 cat = l->state == MR_STATE_EXECED ? MR_REL_EXEC : MR_REL_EXIT;

	if (counters_are_atomic())
		return; /* read directly: exact at every event */
	for (int m = 0; m < MR_NMEMBERS; m++) {
		__s64 value, diff;
		int k = kind_of(m);

		if (!l->cur[m])
			continue; /* the usual end: everything booked as released */
		value = rss_counter_bytes(mm, m, page_shift);
		diff = value - __sync_lock_test_and_set(&l->cur[m], value);
		if (k < 0 || !diff)
			continue;
		if (diff > 0)
			__sync_fetch_and_add(&l->faulted_in[k], diff);
		else
			__sync_fetch_and_add(&l->released[cat][k], -diff);
		__sync_fetch_and_add(&paths.reconciled, 1);
	}
}

/* The ring buffer is full: keep the ledger for user space rather than lose it. */
static __always_inline void park(struct mr_ledger *l)
{
	__sync_fetch_and_add(&health.ringbuf_drops, 1);
	if (bpf_map_update_elem(&parked, &l->id, l, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&health.parked, 1);
	else
		__sync_fetch_and_add(&health.lost_ledgers, 1);
}

/* exit_mmap with no room in the ring buffer: the ended ledger waits in the parked map. */
static __noinline int end_parked(struct mr_ledger *l, __u64 mm)
{
	__u32 zero = 0;
	struct mr_ledger *copy = bpf_map_lookup_elem(&scratch, &zero);

	if (copy)
		__builtin_memcpy(copy, l, sizeof(*l));
	if (!ledger_remove(l, mm))
		return 0;
	if (copy)
		park(copy);
	else
		__sync_fetch_and_add(&health.lost_ledgers, 1);
	return 0;
}

/*
 * mm's teardown is over: its ledger ends. how: END_INEXACT, frees after this point may not be
 * matched (MR_LEGACY, a teardown run elsewhere); END_MM_GONE, exec may have freed the mm.
 */
static __noinline int ledger_end(struct mm_struct *mm, __u32 how)
{
	struct mr_ledger *l = ledger_indexed(mm);
	struct mr_event_end *e;

	if (!l)
		return 0;
	l->end_inexact = !!(how & END_INEXACT);
	if (l->state == MR_STATE_EXECED) {
		l->end = MR_END_EXEC;
		if (!(how & END_MM_GONE)) /* the replaced image's sizes: its teardown keeps them */
			read_vm(l, mm);
	} else {
		l->end = MR_END_EXIT;
		if (l->state != MR_STATE_EXITING) {
			l->end_ns = bpf_ktime_get_boot_ns();
			if (!(how & END_MM_GONE))
				read_vm(l, mm);
		}
		/* The OOM reaper may have left the exit's teardown nothing to book. */
		if (!(how & END_MM_GONE))
			note_oom_victim(l, current_task(), mm);
	}
	reconcile(l, mm);
	if (!(how & END_KEEP_WINDOW))
		window_teardown_done(l);
	/*
	 * Whoever removes the ledger ends it: user space may have collected it already. A removed
	 * slot can be reused at once by another CPU: copy the ledger out first. One test of e on
	 * each path: 6.1's verifier cannot tell that a ring buffer record tested once is not NULL.
	 */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return end_parked(l, (__u64)mm);
	e->type = MR_EV_END;
	__builtin_memcpy(&e->ledger, l, sizeof(*l));
	if (ledger_remove(l, (__u64)mm))
		bpf_ringbuf_submit(e, ringbuf_flags());
	else
		bpf_ringbuf_discard(e, 0);
	return 0;
}

#ifndef MR_LEGACY
SEC("raw_tp/exit_mmap")
int BPF_PROG(on_exit_mmap, struct mm_struct *mm)
{
	return ledger_end(mm, 0);
}
#endif

/*
 * The mark_victim tracepoint's arguments since 6.8 (and in 6.1.y since the backport, Debian's
 * 6.1.192 among them): (task, uid), with the uid in the tracepoint's record. Before: (pid) alone,
 * a thread id BPF cannot turn into its mm there; note_oom_victim() flags the ledger at teardown.
 */
struct trace_event_raw_mark_victim___task {
	uid_t uid;
} __attribute__((preserve_access_index));

/*
 * The OOM killer chose task's process: its ledger says so at once, while the OOM reaper and the
 * exit take its memory (both stay kernel_live and kernel_exit: nothing here changes a category).
 */
SEC("raw_tp/mark_victim")
int BPF_PROG(on_mark_victim, struct task_struct *task)
{
	struct mm_struct *mm;
	struct mr_ledger *l;

	if (!bpf_core_field_exists(struct trace_event_raw_mark_victim___task, uid))
		return 0;
	mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return 0;
	l = ledger_of(mm);
	if (!l)
		l = ledger_create(mm, MR_ORIGIN_EXISTING, task);
	if (l)
		l->oom_killed = 1;
	return 0;
}
