/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compressed body of a version 3 recording: every record after the header goes through one
 * raw deflate stream (zlib, level 1), sync-flushed at each flush of the writer, so that each
 * block decodes with what came before it and a file cut after a block reads up to there. The
 * blocks are type 8 records; inflated, they are the records of version 2, framing included.
 */
#ifndef MR_REC_ZLIB_H
#define MR_REC_ZLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

struct rec_deflater {
	z_stream z;
	unsigned char *out; /* the last block's compressed bytes */
	size_t len, cap;
};

/* 0, or -1 (out of memory). */
int rec_deflate_init(struct rec_deflater *d);
/* Compress n bytes and sync-flush: the block is d->out, d->len bytes. 0, or -1. */
int rec_deflate_block(struct rec_deflater *d, const void *in, size_t n);
void rec_deflate_end(struct rec_deflater *d);

struct rec_inflater {
	z_stream z;
	unsigned char *in; /* a copy of the block fed */
	size_t in_cap;
	unsigned char *buf; /* inflated bytes not taken yet: buf[0..len) */
	size_t len, cap;
	bool done; /* the stream ended (a writer never ends it: only a crafted file) */
};

/* cap: room for the longest whole record. 0, or -1 (out of memory). */
int rec_inflate_init(struct rec_inflater *f, size_t cap);
/* The next block's compressed bytes (copied), to inflate by rec_inflate_more. 0, or -1. */
int rec_inflate_feed(struct rec_inflater *f, const void *in, size_t n);
/*
 * Inflate more of the block fed into f->buf: the number of bytes added, 0 when the block is
 * used up, -1 with a reason when it is not a valid continuation of the stream (or f->buf is full:
 * the caller takes whole records out of it between calls).
 */
long rec_inflate_more(struct rec_inflater *f, char *err, size_t errlen);
/* Drop the first n bytes of f->buf (records taken). */
void rec_inflate_take(struct rec_inflater *f, size_t n);
void rec_inflate_end(struct rec_inflater *f);

#endif
