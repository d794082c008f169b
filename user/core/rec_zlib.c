// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rec_zlib.h"

int rec_deflate_init(struct rec_deflater *d)
{
	memset(d, 0, sizeof(*d));
	/* Level 1: ledgers are mostly zeros and repeats; more effort gains little (README). */
	if (deflateInit2(&d->z, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	return 0;
}

static int grow(struct rec_deflater *d, size_t want)
{
	size_t cap = d->cap ? d->cap : 65536;
	unsigned char *p;

	while (cap < want)
		cap *= 2;
	if (cap == d->cap)
		return 0;
	if (!(p = realloc(d->out, cap)))
		return -1;
	d->out = p;
	d->cap = cap;
	return 0;
}

int rec_deflate_block(struct rec_deflater *d, const void *in, size_t n)
{
	int rc;

	d->len = 0;
	d->z.next_in = (Bytef *)in;
	d->z.avail_in = (uInt)n;
	do { /* a sync flush that fills the output wants more room, then another call */
		if (grow(d, d->len + deflateBound(&d->z, d->z.avail_in) + 64))
			return -1;
		d->z.next_out = d->out + d->len;
		d->z.avail_out = (uInt)(d->cap - d->len);
		rc = deflate(&d->z, Z_SYNC_FLUSH);
		d->len = d->cap - d->z.avail_out;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
	} while (d->z.avail_out == 0 || d->z.avail_in);
	return 0;
}

void rec_deflate_end(struct rec_deflater *d)
{
	deflateEnd(&d->z);
	free(d->out);
	memset(d, 0, sizeof(*d));
}

int rec_inflate_init(struct rec_inflater *f, size_t cap)
{
	memset(f, 0, sizeof(*f));
	if (!(f->buf = malloc(cap)))
		return -1;
	f->cap = cap;
	if (inflateInit2(&f->z, -15) != Z_OK) {
		free(f->buf);
		f->buf = NULL;
		return -1;
	}
	return 0;
}

int rec_inflate_feed(struct rec_inflater *f, const void *in, size_t n)
{
	unsigned char *p;

	if (n > f->in_cap) {
		if (!(p = realloc(f->in, n)))
			return -1;
		f->in = p;
		f->in_cap = n;
	}
	memcpy(f->in, in, n);
	f->z.next_in = f->in;
	f->z.avail_in = (uInt)n;
	return 0;
}

long rec_inflate_more(struct rec_inflater *f, char *err, size_t errlen)
{
	size_t before = f->len;
	int rc;

	while (f->z.avail_in && f->len == before) { /* input can go in with nothing out yet */
		if (f->done) {
			snprintf(err, errlen, "data after the end of the compressed stream");
			return -1;
		}
		if (f->len == f->cap) {
			snprintf(err, errlen, "a compressed record longer than any record");
			return -1;
		}
		f->z.next_out = f->buf + f->len;
		f->z.avail_out = (uInt)(f->cap - f->len);
		rc = inflate(&f->z, Z_NO_FLUSH);
		f->len = f->cap - f->z.avail_out;
		if (rc == Z_STREAM_END)
			f->done = true;
		else if (rc != Z_OK)
			return snprintf(err, errlen, "invalid compressed data (%s)",
					f->z.msg ? f->z.msg : "zlib error"), -1;
	}
	return (long)(f->len - before);
}

void rec_inflate_take(struct rec_inflater *f, size_t n)
{
	memmove(f->buf, f->buf + n, f->len - n);
	f->len -= n;
}

void rec_inflate_end(struct rec_inflater *f)
{
	inflateEnd(&f->z);
	free(f->in);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}
