/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A set of ledgers with where and when they were observed, and the observer's health: what
 * `run` produces live and `report` reads back from a recording. Every output format takes one.
 */
#ifndef MR_DOCUMENT_H
#define MR_DOCUMENT_H

#include <stddef.h>
#include "ledger.h"

#define MR_SCHEMA "memreap/v1"

struct health {
	uint64_t ringbuf_drops;
	uint64_t map_full;
	uint64_t unattributed_bytes;
	uint64_t lost_ledgers;
	uint64_t parked; /* events the ring buffer could not take, kept in BPF maps: not lost */
	/* Releases whose frees could not be followed (no release window): freed is short. */
	uint64_t unfollowed_releases;
};

/* A BPF program's run time and runs (counted only while kernel.bpf_stats_enabled is 1). */
struct program_stats {
	char name[32];
	uint64_t run_ns, runs;
};

struct doc_meta {
	char schema[32];
	char memreap_version[32];
	char host[256];
	char kernel[128];
	uint32_t page_size;
	uint64_t boot_time_ns; /* wall clock at boot */
	uint64_t started_ns, ended_ns;
};

struct sample;
struct timeline_event;

struct document {
	struct doc_meta meta;
	struct health health;
	struct ledger *ledgers;
	size_t n, cap;
	struct sample *samples;	/* a recording's, in the order taken; NULL when it has none */
	size_t nsamples, samples_cap;
	struct timeline_event *events; /* a recording's large releases, as they came */
	size_t nevents, events_cap;
};

/* Fill meta from this machine; started_ns = now. */
void document_init_local(struct document *d);
void document_add(struct document *d, const struct ledger *l); /* copies l */
void document_free(struct document *d);
void document_totals(const struct document *d, struct ledger_sum *t);
bool health_is_clean(const struct health *h);

enum group_by { BY_LEDGER, BY_COMM, BY_EXE, BY_CGROUP, BY_INTERPRETER, BY_TREE };

struct group {
	char *key;
	struct ledger_sum sum;
};

/* Aggregate by comm, exe, cgroup or interpreter; groups are owned by the caller (groups_free). */
int document_group(const struct document *d, enum group_by by, struct group **out, size_t *n);
void groups_free(struct group *g, size_t n);

/* Sort fields accepted by --sort (sort_fields, NULL-terminated, in this order). */
enum sort_field {
	SORT_PEAK,
	SORT_SELF,
	SORT_KERNEL,
	SORT_KERNEL_EXIT,
	SORT_KERNEL_LIVE,
	SORT_KERNEL_EXEC,
	SORT_FAULTED,
	SORT_FREED,
	SORT_LEDGERS,
	SORT_PID,
	SORT_START,
	SORT_NAME,
};
extern const char *const sort_fields[];
/* A numeric field's value (peak ... ledgers); 0 for pid, start and name. */
uint64_t ledger_sum_field(const struct ledger_sum *s, int field);
int sort_field_index(const char *name); /* -1 if unknown */
void sort_ledgers(struct ledger *l, size_t n, int field, bool ascending);
void sort_groups(struct group *g, size_t n, int field, bool ascending);

#endif
