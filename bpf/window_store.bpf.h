/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a thread's release window (release_window.bpf.h) is kept.
 *
 * Every page free looks its thread's window up. Task storage costs a helper call with recursion
 * guards at each look-up, and an allocation at a thread's first release that the kernel frees
 * through RCU at its exit: a page free inside a release paid the first, a process storm both,
 * for every process. So windows are kept in a table of MR_WINDOW_SLOTS slots indexed by thread
 * id, each naming the thread that holds it by id and start time: one array look-up finds it.
 *
 * Thread ids are unique among live threads: a slot held under this thread's id is this thread's,
 * or a dead thread's, and then this thread may take it. A thread whose slot another thread holds
 * keeps its window in task storage, as before, for the rest of its life. A thread gives its slot
 * back at its exit, and again at the end of a teardown it ran while exiting; a slot whose thread
 * died without giving it back goes to the next thread with that id.
 *
 * The legacy object (5.10, no task storage): a preallocated hash keyed by thread id, whose entry
 * goes when the window closes or the thread exits.
 */
#ifndef WINDOW_STORE_BPF_H
#define WINDOW_STORE_BPF_H

#ifdef MR_LEGACY
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct release_window);
} windows SEC(".maps");

static const struct release_window window_zero;

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The task's window, or NULL. task is the current one. */
static __always_inline struct release_window *window_of(struct task_struct *task)
{
	__u32 tid = current_tid();

	return bpf_map_lookup_elem(&windows, &tid);
}

static __always_inline struct release_window *window_make(struct task_struct *task)
{
	__u32 tid = current_tid();

	bpf_map_update_elem(&windows, &tid, (void *)&window_zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&windows, &tid);
}

static __always_inline void window_give_back(struct task_struct *task)
{
	__u32 tid = current_tid();

	bpf_map_delete_elem(&windows, &tid);
}
#else
#define MR_WINDOW_SLOTS 16384 /* a power of two */

struct window_slot {
	__u32 tid; /* the thread holding it; 0: free */
	__u32 pad;
	__u64 born; /* and its start time: a dead thread's id is reused */
	struct release_window w;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MR_WINDOW_SLOTS);
	__type(key, __u32);
	__type(value, struct window_slot);
} window_slots SEC(".maps");

/* The windows of threads whose slot another thread holds. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct release_window);
} windows SEC(".maps");

static __always_inline struct window_slot *window_slot_of(__u32 tid)
{
	__u32 i = tid & (MR_WINDOW_SLOTS - 1);

	return bpf_map_lookup_elem(&window_slots, &i);
}

static __always_inline bool window_slot_held_by(struct window_slot *s, struct task_struct *task,
						__u32 tid)
{
	return s->tid == tid && s->born == task_field(task, start_time);
}

/* The task's window, or NULL. */
static __always_inline struct release_window *window_of(struct task_struct *task)
{
	__u32 tid = task_field(task, pid);
	struct window_slot *s = window_slot_of(tid);

	if (s && window_slot_held_by(s, task, tid))
		return &s->w;
	if (!task->bpf_storage)
		return NULL;
	return bpf_task_storage_get(&windows, task, 0, 0);
}

/* Take the slot if it is free, or left by a dead thread with this id. */
static __always_inline struct release_window *window_slot_take(struct window_slot *s,
							       struct task_struct *task, __u32 tid)
{
	__u32 holder = s->tid;

	if (holder && holder != tid)
		return NULL;
	if (__sync_val_compare_and_swap(&s->tid, holder, tid) != holder)
		return NULL; /* another thread with an id of this slot was faster */
	s->born = task_field(task, start_time);
	__builtin_memset(&s->w, 0, sizeof(s->w));
	return &s->w;
}

/* A window for a task that has none (window_of() found none). */
static __always_inline struct release_window *window_make(struct task_struct *task)
{
	__u32 tid = task_field(task, pid);
	struct window_slot *s = window_slot_of(tid);
	struct release_window *w = s ? window_slot_take(s, task, tid) : NULL;

	if (w)
		return w;
	return bpf_task_storage_get(&windows, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* The task's releases are over: its slot is free for the next thread with an id of it. */
static __always_inline void window_give_back(struct task_struct *task)
{
	__u32 tid = task_field(task, pid);
	struct window_slot *s = window_slot_of(tid);

	if (s && window_slot_held_by(s, task, tid))
		__sync_lock_test_and_set(&s->tid, 0);
}
#endif

/* The task's window, made if it has none; NULL (counted) when no storage could be had. */
static __always_inline struct release_window *window_get(struct task_struct *task)
{
	struct release_window *w = window_of(task);

	if (!w)
		w = window_make(task);
	if (!w)
		__sync_fetch_and_add(&health.unfollowed_releases, 1);
	return w;
}

#endif /* WINDOW_STORE_BPF_H */
