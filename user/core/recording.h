/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recording file format, version 3 (all integers little-endian):
 *
 *   "MEMREAP\0"  u32 format_version  u32 reserved
 *   record*:     u32 payload_length  u32 type  payload  u32 crc32(length, type, payload)
 *
 * Types: 1 header (JSON doc_meta, first record), 2 ledger (JSON ledger), 3 health snapshot
 * (JSON health), 4 end (JSON {"ended_ns", "health"}), 5 ledger (binary: ledger_bin.h), 6 samples
 * (binary: sample.h), 7 a timeline event (binary: sample.h), 8 a compressed block (rec_zlib.h).
 * Version 3 is version 2 compressed: the header, then only type 8 records, whose inflated bytes
 * are version 2's records. A reader skips types it does not know (added later within a version:
 * memreap before samples skips 6); version 1 files have types 1 to 4, version 2 files types 1 to
 * 7, and still read. Records are appended as ledgers end, so a file cut short (SIGKILL, full
 * disk) reads up to its last whole record (of version 3: up to its last whole block).
 */
#ifndef MR_RECORDING_H
#define MR_RECORDING_H

#include <stdio.h>
#include "document.h"

#define REC_MAGIC	    "MEMREAP"
#define REC_VERSION	    3
#define REC_VERSION_PLAIN   2 /* uncompressed: what memreap before compression reads */
#define REC_MAX_PAYLOAD	    (1u << 20)

enum rec_type {
	REC_HEADER = 1,
	REC_LEDGER = 2,
	REC_HEALTH = 3,
	REC_END = 4,
	REC_LEDGER_BIN = 5,
	REC_SAMPLES = 6,
	REC_EVENT = 7,
	REC_COMPRESSED = 8,
};

struct rec_writer {
	int fd;
	char *path;
	char *buf;
	size_t len, cap;
	int error; /* errno of the first failed write; the writer stops writing after it */
	struct rec_deflater *deflater; /* version 3: what follows the header is compressed */
};

/* A recording of version 3 (compressed), or of version 2 (plain) for older readers. */
int rec_open(struct rec_writer *w, const char *path, const struct doc_meta *meta, bool compress);
void rec_add_ledger(struct rec_writer *w, const struct ledger *l);
struct sample;
/* Samples taken at ts_ns, in records of at most SAMPLE_BATCH_MAX. */
void rec_add_samples(struct rec_writer *w, const struct sample *s, size_t n, uint64_t ts_ns);
struct timeline_event;
void rec_add_event(struct rec_writer *w, const struct timeline_event *e);
void rec_add_health(struct rec_writer *w, const struct health *h);
void rec_add_end(struct rec_writer *w, uint64_t ended_ns, const struct health *h);
int rec_flush(struct rec_writer *w); /* -1 and w->error set on failure */
int rec_close(struct rec_writer *w);

/*
 * Read a whole recording into d. Returns 0 when the file is complete, 1 when it was cut short
 * (note says where; d holds every whole record before), -1 on an error (err says what and at
 * which byte offset; d is freed).
 */
int rec_read(FILE *f, struct document *d, char *note, size_t notelen, char *err, size_t errlen);

#endif
