/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only structures that cross the kernel/user boundary: the per-address-space ledger kept in
 * the BPF hash map, the events sent through the ring buffer, and the health counters.
 */
#ifndef MEMREAP_H
#define MEMREAP_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* user space; BPF code gets the types from vmlinux.h */
#endif

#define MR_COMM_LEN	16
#define MR_FILENAME_LEN 256
#define MR_ARGV_LEN	512 /* the most of a command line the exec hook copies */

/* Resident-memory kinds, in the order of the JSON contract. */
enum mr_kind {
	MR_ANON,
	MR_FILE,
	MR_SHMEM,
	MR_NKINDS,
};

/*
 * The kernel's RSS counters (enum in include/linux/mm_types_task.h, stable since 4.5); their
 * number is a power of two, so masking with MR_NMEMBERS - 1 keeps an index in range.
 */
enum mr_member {
	MR_MM_FILEPAGES,
	MR_MM_ANONPAGES,
	MR_MM_SWAPENTS,
	MR_MM_SHMEMPAGES,
	MR_NMEMBERS,
};

/* The call a process was in when it released its own memory. */
enum mr_call {
	MR_CALL_MUNMAP,
	MR_CALL_BRK,
	MR_CALL_MADVISE,
	MR_CALL_MREMAP,
	MR_CALL_MMAP,
	MR_CALL_OTHER,
	MR_NCALLS,
};

/*
 * Who released resident bytes, in the contract's order (self_released, kernel_live, kernel_exit,
 * kernel_exec): every decrease of a ledger's RSS goes to exactly one.
 */
enum mr_release {
	MR_REL_SELF,
	MR_REL_LIVE,
	MR_REL_EXIT,
	MR_REL_EXEC,
	MR_NRELEASES,
};

/* Where a ledger is in its life, as the BPF side sees it. */
enum mr_state {
	MR_STATE_ALIVE,
	MR_STATE_BUILDING, /* the new mm of an exec that has not completed yet */
	MR_STATE_EXITING,  /* its thread group is dead: what remains goes to kernel_exit */
	MR_STATE_EXECED,   /* replaced by exec: what remains goes to kernel_exec */
};

/* How the ledger began. */
enum mr_origin {
	MR_ORIGIN_EXISTING, /* the mm predates memreap: baseline is what was resident then */
	MR_ORIGIN_FORK,
	MR_ORIGIN_EXEC,
};

enum mr_end {
	MR_END_ALIVE,
	MR_END_EXIT,
	MR_END_EXEC,
};

struct mr_ledger {
	__u64 id;	 /* unique for the life of one BPF object */
	__u64 parent_id; /* ledger forked from, or replaced by this exec; 0 if unknown */
	__u64 mm;	 /* kernel address of the mm; the map key */
	__u64 prev_mm;	 /* for an exec: the mm it replaces */
	__u64 start_ns;	 /* CLOCK_BOOTTIME */
	__u64 end_ns;
	__u64 cgroup_id;
	__u64 proc_start_ns; /* CLOCK_BOOTTIME start of the owning process (for ages) */
	__u32 pid; /* thread group id of the owner */
	__u32 ppid;
	__s32 exit_code; /* raw wait status (code << 8 | signal), -1 if not an exit */
	__u8 state;
	__u8 origin;
	__u8 end;
	__u8 zero_start; /* its counters started at zero (a new mm): see rss_counter.bpf.h */
	__u8 last_call;	 /* the call of its latest self release made in a system call */
	__u8 teardown_window; /* its owner's teardown has one window for all it leaves */
	__u8 oom_killed; /* the OOM killer chose it as its victim (oom:mark_victim) */
	/*
	 * Ended without the exit_mmap tracepoint (Linux 5.10) at the RSS change that left no page,
	 * in a task other than its owner's, or once its freed mm's address was another mm's: the
	 * frees of the teardown's last batch may not be matched.
	 */
	__u8 end_inexact;
	char comm[MR_COMM_LEN];
	__s64 cur[MR_NMEMBERS];	   /* each kernel counter's value as booked, bytes */
	__s64 shared[MR_NMEMBERS]; /* per-CPU counters: the shared count as booked, pages */
	union {
		__u64 percpu[MR_NMEMBERS]; /* and where their per-CPU deltas live (0: not known) */
		/* The legacy object: x86's mm->context.ctx_id, unique where an address is not. */
		__u64 mm_ctx_id;
	};
	__u64 cpus_booked;	   /* bit cpu % 64: that CPU started a shadow of this ledger */
	__u64 baseline[MR_NKINDS];
	__u64 faulted_in[MR_NKINDS];
	__u64 released[MR_NRELEASES][MR_NKINDS];
	/* The part of released that went back to the page allocator (bpf/release_window.bpf.h). */
	__u64 freed[MR_NRELEASES][MR_NKINDS];
	__u64 by_call[MR_NCALLS];
	__u64 peak_rss;
	__u32 open_events; /* its tasks' self releases not over as timeline events yet */
	__u32 slot;	   /* its place in the ledgers array */
	__u64 vm_peak;
	__u64 vm_at_end;
	__u64 swap_at_end;
	__u64 shutdown_ns; /* the interpreter began its own shutdown; 0 = never */
	__u64 rss_at_shutdown;
	__u64 shutdown_released[MR_NKINDS]; /* the part of self_released made after shutdown_ns */
};

/* The ledger_index map's value: where the ledger of an mm is, and which ledger it is. */
struct mr_ledger_ref {
	__u32 slot;
	__u32 pad;
	__u64 id;
};

enum mr_event_type {
	MR_EV_END = 1, /* a ledger ended; carries the whole ledger */
	MR_EV_FORK,    /* a new thread group (new mm or CLONE_VM sharer) */
	MR_EV_EXEC,
	MR_EV_NEW, /* first sight of an mm that predates memreap */
	MR_EV_RELEASE, /* the process released at least release_event_min bytes in one go */
};

struct mr_event_end {
	__u32 type;
	__u32 pad;
	struct mr_ledger ledger;
};

struct mr_event_fork {
	__u32 type;
	__u32 parent_tgid;
	__u32 child_tgid;
	__u32 shares_mm; /* CLONE_VM without CLONE_THREAD (vfork, posix_spawn) */
	__u64 parent_ledger;
	__u64 child_ledger;
	__u64 ts_ns;
};

struct mr_event_exec {
	__u32 type;
	__u32 tgid;
	__u64 ledger;
	__u64 old_ledger;
	__u64 ts_ns;
	/* The executable's identity: user space names it once, then knows it by these. */
	__u64 file_ino;
	__u64 file_size;
	__u32 file_dev;
	__u16 argv_len; /* bytes of argv read */
	__u8 argv_read; /* 0: not read (capture off, or the read failed) */
	__u8 argv_cut;	/* the command line is longer than MR_ARGV_LEN: argv is its start */
	char comm[MR_COMM_LEN];
	char filename[MR_FILENAME_LEN];
	/* The new image's command line as /proc/PID/cmdline has it: NUL-terminated arguments. */
	char argv[MR_ARGV_LEN];
};

struct mr_event_new {
	__u32 type;
	__u32 tgid;
	__u64 ledger;
	__u64 ts_ns;
};

/* A large release by the process itself: one call's bytes (consecutive calls of the same kind
 * with no other change in between are one release). */
struct mr_event_release {
	__u32 type;
	__u32 call; /* enum mr_call */
	__u64 ledger;
	__u64 ts_ns; /* its first page's release */
	__u64 bytes;
	__u32 tgid; /* the process: a self release is made in its own context */
	char comm[MR_COMM_LEN];
};

/* Nothing lost, nothing silent: every way the BPF side can fail to account is counted here. */
struct mr_health {
	__u64 ringbuf_drops;	  /* events the ring buffer had no room for */
	__u64 map_full;		  /* ledgers that could not be created */
	__u64 unattributed_bytes; /* resident-byte changes of mms without a ledger */
	__u64 parked;		  /* ended ledgers kept in the overflow map for user space */
	__u64 lost_ledgers;	  /* ended ledgers neither sent nor parked */
	__u64 parked_forks;	  /* fork events kept in their overflow map for user space */
	__u64 lost_forks;	  /* fork events neither sent nor parked */
	__u64 unfollowed_releases; /* releases whose frees could not be followed (no window) */
};

/*
 * The paths this kernel got, for `memreap doctor`: the RSS counter layout CO-RE chose at load
 * time, and how many exits were seen before and after exit_mm() dropped the mm.
 */
enum mr_counter_layout {
	MR_COUNTERS_UNKNOWN,
	MR_COUNTERS_ATOMIC, /* struct mm_rss_stat of atomics (before 6.2) */
	MR_COUNTERS_PERCPU, /* struct percpu_counter per member (6.2 and later) */
};

struct mr_paths {
	__u32 counter_layout;	     /* enum mr_counter_layout */
	__u32 reserved;
	__u64 exits_before_exit_mm;  /* sched_process_exit still saw the mm */
	__u64 exits_after_exit_mm;   /* it did not: the teardown came first */
	__u64 reconciled; /* counters whose booked value a full sum corrected at a ledger's end */
	__u64 full_sums;  /* per-CPU counters summed whole: a CPU's first event of an mm */
};

#endif /* MEMREAP_H */
