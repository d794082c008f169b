/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Samples: a live ledger's figures at one instant, so that a recording shows memory over time.
 * Recordings hold them as record type 6 (added within format version 2; older readers skip
 * it): u64 ts_ns (wall clock), u32 count, u32 reserved, then count samples of SAMPLE_BIN_LEN
 * bytes: u64 ledger id, u64 resident anon, file, shmem, u64 self_released, kernel (live + exit +
 * exec), freed (every release category), u64 swap; all cumulative since the ledger began.
 * Fields are only ever added at the end of a sample, whose length the reader takes from the
 * payload (the reserved word).
 */
#ifndef MR_SAMPLE_H
#define MR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "ledger.h"

struct sample {
	uint64_t ledger_id;
	uint64_t ts_ns;
	uint64_t rss[MR_NKINDS];
	uint64_t self_released, kernel, freed;
	uint64_t swap;
};

#define SAMPLE_BIN_LEN	   64
#define SAMPLE_BATCH_HEAD  16
/* Samples per record: a record's payload stays far below REC_MAX_PAYLOAD. */
#define SAMPLE_BATCH_MAX   4096

/* The live ledger l's figures at ts_ns. */
void sample_of(struct sample *s, const struct ledger *l, uint64_t ts_ns);
/* Whether a and b differ in anything but their time: a ledger that did not change is not
 * sampled again. */
bool sample_changed(const struct sample *a, const struct sample *b);

/* A batch of n samples taken at ts_ns into buf (SAMPLE_BATCH_HEAD + n * SAMPLE_BIN_LEN bytes). */
size_t samples_to_bin(const struct sample *s, size_t n, uint64_t ts_ns, unsigned char *buf);
/* Decode a batch, appending to *out (grown as needed; *n and *cap updated). -1 and a reason when
 * the payload is not a valid batch. */
int samples_from_bin(const unsigned char *p, size_t len, struct sample **out, size_t *n,
		     size_t *cap, char *err, size_t errlen);

/*
 * Timeline events beside the samples: record type 7, one event of TL_EVENT_BIN_LEN bytes: u64
 * ts_ns (wall clock), u64 ledger id, u32 kind (1: a large release by the process itself), u32
 * its call (enum mr_call: munmap, brk, madvise, mremap, mmap, other), u64 bytes. Fork, exec,
 * exit and the interpreter's shutdown need no event: their times are in the ledgers.
 */
enum timeline_kind { TL_RELEASE = 1 };

struct timeline_event {
	uint64_t ts_ns;
	uint64_t ledger_id;
	uint32_t kind, call;
	uint64_t bytes;
	uint32_t pid;		 /* not stored: for choosing which events a recording keeps */
	char comm[MR_COMM_LEN];	 /* the same */
};

#define TL_EVENT_BIN_LEN 32

size_t event_to_bin(const struct timeline_event *e, unsigned char *buf);
/* Append one decoded event to *out (grown as needed); -1 and a reason when it is not one. */
int event_from_bin(const unsigned char *p, size_t len, struct timeline_event **out, size_t *n,
		   size_t *cap, char *err, size_t errlen);

#endif
