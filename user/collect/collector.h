/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: loads and attaches the BPF side, drains its ring buffer, reads live ledgers
 * from its map, resolves names, and keeps health counters. The only module that knows libbpf;
 * every view goes through this API.
 */
#ifndef MR_COLLECTOR_H
#define MR_COLLECTOR_H

#include <stddef.h>
#include "document.h"
#include "sample.h"

struct collector;

struct collector_opts {
	uint32_t ledger_entries; /* capacity of the live-ledger map; 0 = default */
	uint32_t ringbuf_bytes;	 /* ring buffer size, a power of two; 0 = default */
	bool no_argv;		 /* capture no command lines: every ledger's argv stays unknown */
	uint64_t release_event_min; /* a self release this large is a timeline event; 0: none */
};

struct collector_handlers {
	void (*ledger_end)(const struct ledger *l, void *ctx);
	/* A new thread group: its own mm, or sharing its parent's (vfork, posix_spawn). */
	void (*fork)(uint32_t parent, uint32_t child, uint64_t child_ledger, void *ctx);
	/* A large release (collector_opts.release_event_min). */
	void (*release)(const struct timeline_event *e, void *ctx);
	void *ctx;
};

struct collector *collector_open(const struct collector_opts *o,
				 const struct collector_handlers *h, char *err, size_t errlen);
/* Wait up to timeout_ms (at most 100 ms) for events and handle them all; -1 on error (not EINTR). */
int collector_poll(struct collector *c, int timeout_ms);
/* Handle everything already in the ring buffer and the overflow map. */
void collector_drain(struct collector *c);
/* Drain, giving ledgers already exiting or replaced by exec up to timeout_ms to end. */
void collector_settle(struct collector *c, int timeout_ms);
typedef void (*ledger_fn)(const struct ledger *l, void *ctx);
/* Every ledger still in the kernel map, as an `alive` ledger. */
/* with_vm: also read VmPeak/VmSize from /proc (one file read per ledger). */
void collector_for_each_live(struct collector *c, ledger_fn fn, void *ctx, bool with_vm);
/*
 * The same with what the kernel map holds only (figures, pid, comm): no exe, cgroup, argv or
 * interpreter, so nothing read from /proc. For samples, every --interval.
 */
void collector_for_each_live_figures(struct collector *c, ledger_fn fn, void *ctx);
void collector_health(struct collector *c, struct health *h);
/* Stats of up to max loaded programs; returns how many. */
size_t collector_program_stats(struct collector *c, struct program_stats *out, size_t max);
/*
 * Watch an executable for its interpreter's shutdown (a uprobe on the runtime's entry point, for
 * every process that runs it). Done automatically for interpreters seen running, exec'd, or in
 * PATH at start; `run` calls it for CMD before CMD starts. Returns 0 if watched or not an
 * interpreter, -1 if the probe could not be attached (collector_watch_error says why).
 */
int collector_watch(struct collector *c, const char *exe);
const char *collector_watch_error(struct collector *c);
void collector_close(struct collector *c);

/* memreap doctor: one line per thing the kernel offers and the path memreap takes with it. */
struct kernel_check {
	char what[24];
	char result[320];
	bool ok; /* false: memreap cannot work on this kernel (result says why) */
	bool unchecked; /* this process may not check it: neither ok nor a failure */
};
/* The result of a check that needs what an unprivileged process lacks. */
#define KERNEL_CHECK_NEEDS_PRIVILEGES "not checked (needs root or CAP_BPF + CAP_PERFMON)"
/*
 * Probe the running kernel (its BTF, hooks, BPF features) without loading; returns the count.
 * Without the privileges to load BPF, the feature probes are left unchecked.
 */
int collector_kernel_checks(struct kernel_check *checks, int max);
/* The paths the loaded programs took: counter layout chosen by CO-RE, exits seen each way. */
void collector_paths(struct collector *c, struct mr_paths *p);
/* The BPF object loaded: bpf_features.h's MR_OBJECT_MODERN or MR_OBJECT_LEGACY. */
const char *collector_object(struct collector *c);
/* Interpreter shutdown uprobes attached so far. */
size_t collector_probe_count(struct collector *c);

#endif
