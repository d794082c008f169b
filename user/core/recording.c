// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "ledger_bin.h"
#include "rec_zlib.h"
#include "sample.h"
#include "ledger_json.h"
#include "recording.h"
#include "util.h"

#define FILE_HEADER_LEN 16
#define FRAME_HEADER_LEN 8

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t get_u32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int buf_reserve(struct rec_writer *w, size_t more)
{
	if (w->len + more <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 65536;
	while (cap < w->len + more)
		cap *= 2;
	char *grown = realloc(w->buf, cap);
	if (!grown) {
		w->error = ENOMEM;
		return -1;
	}
	w->buf = grown;
	w->cap = cap;
	return 0;
}

/* Room for a record of up to max payload bytes: where its payload goes, or NULL. */
static unsigned char *frame_begin(struct rec_writer *w, size_t max)
{
	if (w->error || max > REC_MAX_PAYLOAD || buf_reserve(w, FRAME_HEADER_LEN + max + 4))
		return NULL;
	return (unsigned char *)w->buf + w->len + FRAME_HEADER_LEN;
}

/* The payload of n bytes is in place: frame it and check-sum it. */
static void frame_end(struct rec_writer *w, enum rec_type type, size_t n)
{
	unsigned char *p = (unsigned char *)w->buf + w->len;
	uLong crc;

	put_u32(p, (uint32_t)n);
	put_u32(p + 4, type);
	crc = crc32(0L, p, (uInt)(FRAME_HEADER_LEN + n));
	put_u32(p + FRAME_HEADER_LEN + n, (uint32_t)crc);
	w->len += FRAME_HEADER_LEN + n + 4;
}

static void add_record(struct rec_writer *w, enum rec_type type, json_object *payload)
{
	const char *text = json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(text);
	unsigned char *p = frame_begin(w, n);

	if (p) {
		memcpy(p, text, n);
		frame_end(w, type, n);
	}
	json_object_put(payload);
}

int rec_open(struct rec_writer *w, const char *path, const struct doc_meta *meta, bool compress)
{
	unsigned char head[FILE_HEADER_LEN] = { 0 };

	memset(w, 0, sizeof(*w));
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return -1;
	w->path = strdup(path);
	memcpy(head, REC_MAGIC, sizeof(REC_MAGIC));
	put_u32(head + 8, compress ? REC_VERSION : REC_VERSION_PLAIN);
	if (buf_reserve(w, sizeof(head)))
		return -1;
	memcpy(w->buf, head, sizeof(head));
	w->len = sizeof(head);
	add_record(w, REC_HEADER, meta_to_json(meta));
	if (rec_flush(w)) /* the header stays plain: what the file is reads without zlib */
		return -1;
	if (!compress)
		return 0;
	w->deflater = malloc(sizeof(*w->deflater));
	if (!w->deflater || rec_deflate_init(w->deflater)) {
		free(w->deflater);
		w->deflater = NULL;
		w->error = errno = ENOMEM;
		return -1;
	}
	return 0;
}

void rec_add_ledger(struct rec_writer *w, const struct ledger *l)
{
	unsigned char *p = frame_begin(w, LEDGER_BIN_MAX);

	if (p)
		frame_end(w, REC_LEDGER_BIN, ledger_to_bin(l, p));
}

void rec_add_samples(struct rec_writer *w, const struct sample *s, size_t n, uint64_t ts_ns)
{
	for (size_t at = 0; at < n; at += SAMPLE_BATCH_MAX) {
		size_t batch = n - at < SAMPLE_BATCH_MAX ? n - at : SAMPLE_BATCH_MAX;
		unsigned char *p = frame_begin(w, SAMPLE_BATCH_HEAD + batch * SAMPLE_BIN_LEN);

		if (!p)
			return;
		frame_end(w, REC_SAMPLES, samples_to_bin(s + at, batch, ts_ns, p));
	}
}

void rec_add_event(struct rec_writer *w, const struct timeline_event *e)
{
	unsigned char *p = frame_begin(w, TL_EVENT_BIN_LEN);

	if (p)
		frame_end(w, REC_EVENT, event_to_bin(e, p));
}

void rec_add_health(struct rec_writer *w, const struct health *h)
{
	add_record(w, REC_HEALTH, health_to_json(h));
}

void rec_add_end(struct rec_writer *w, uint64_t ended_ns, const struct health *h)
{
	json_object *o = json_object_new_object();

	/* The end in a block of its own: a recording cut in its last bytes keeps every ledger. */
	rec_flush(w);
	json_add_time(o, "ended_ns", ended_ns, true);
	json_object_object_add(o, "health", health_to_json(h));
	add_record(w, REC_END, o);
}

/* Version 3: the records waiting in w->buf become type 8 records of their compressed bytes. */
static void compress_pending(struct rec_writer *w)
{
	struct rec_deflater *d = w->deflater;
	unsigned char *p;

	if (!d || !w->len || w->error)
		return;
	if (rec_deflate_block(d, w->buf, w->len)) {
		w->error = ENOMEM;
		return;
	}
	w->len = 0;
	for (size_t at = 0; at < d->len; at += REC_MAX_PAYLOAD) {
		size_t n = d->len - at < REC_MAX_PAYLOAD ? d->len - at : REC_MAX_PAYLOAD;

		if (!(p = frame_begin(w, n)))
			return;
		memcpy(p, d->out + at, n);
		frame_end(w, REC_COMPRESSED, n);
	}
}

int rec_flush(struct rec_writer *w)
{
	size_t done = 0;

	compress_pending(w);
	while (!w->error && done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			w->error = n < 0 ? errno : EIO;
		else
			done += (size_t)n;
	}
	w->len = 0;
	return w->error ? -1 : 0;
}

int rec_close(struct rec_writer *w)
{
	int rc = rec_flush(w);

	if (w->fd >= 0 && close(w->fd) && !w->error) {
		w->error = errno;
		rc = -1;
	}
	w->fd = -1;
	if (w->deflater)
		rec_deflate_end(w->deflater);
	free(w->deflater);
	free(w->buf);
	free(w->path);
	w->buf = w->path = NULL;
	w->deflater = NULL;
	return rc;
}

/* --- reading --- */

struct reader {
	FILE *f;
	uint32_t version; /* the file's format version */
	uint64_t offset; /* of the record read; inside version 3, of its compressed block */
	char *payload;
	struct rec_inflater *inflater; /* version 3, from its first compressed block */
	char *err;
	size_t errlen;
};

enum { READ_OK, READ_EOF, READ_SHORT, READ_BAD };

static int read_frame(struct reader *r, uint32_t *type, uint32_t *len)
{
	unsigned char head[FRAME_HEADER_LEN], tail[4];
	size_t n = fread(head, 1, sizeof(head), r->f);
	uLong crc;

	if (n == 0)
		return READ_EOF;
	if (n < sizeof(head))
		return READ_SHORT;
	*len = get_u32(head);
	*type = get_u32(head + 4);
	/* Version 1 knew types 1 to 4; version 2 skips types newer than its own (see below). */
	if (*len > REC_MAX_PAYLOAD || *type < REC_HEADER || (r->version == 1 && *type > REC_END)) {
		snprintf(r->err, r->errlen, "corrupt record at byte offset %llu (%s)",
			 (unsigned long long)r->offset,
			 *len > REC_MAX_PAYLOAD ? "impossible length" : "unknown type");
		return READ_BAD;
	}
	if (fread(r->payload, 1, *len, r->f) < *len || fread(tail, 1, 4, r->f) < 4)
		return READ_SHORT;
	crc = crc32(0L, head, sizeof(head));
	crc = crc32(crc, (unsigned char *)r->payload, *len);
	if ((uint32_t)crc != get_u32(tail)) {
		snprintf(r->err, r->errlen, "corrupt record at byte offset %llu (checksum mismatch)",
			 (unsigned long long)r->offset);
		return READ_BAD;
	}
	r->payload[*len] = '\0';
	return READ_OK;
}

/* The reader's one-line error for the record at r->offset; returns -1. */
static int bad_record(struct reader *r, const char *why)
{
	snprintf(r->err, r->errlen, "bad record at byte offset %llu: %s",
		 (unsigned long long)r->offset, why);
	return -1;
}

/* A binary record: a ledger (5), a batch of samples (6) or a timeline event (7). */
static int apply_binary(struct reader *r, struct document *d, uint32_t type, uint32_t len)
{
	const unsigned char *p = (unsigned char *)r->payload;
	char why[200];
	struct ledger l;

	if (type == REC_SAMPLES &&
	    samples_from_bin(p, len, &d->samples, &d->nsamples, &d->samples_cap, why, sizeof(why)))
		return bad_record(r, why);
	if (type == REC_EVENT &&
	    event_from_bin(p, len, &d->events, &d->nevents, &d->events_cap, why, sizeof(why)))
		return bad_record(r, why);
	if (type != REC_LEDGER_BIN)
		return 0;
	if (ledger_from_bin(p, len, &l, why, sizeof(why)))
		return bad_record(r, why);
	document_add(d, &l);
	ledger_free(&l);
	return 0;
}

static json_object *parse_payload(struct reader *r, uint32_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, r->payload, (int)len);

	if (!o || json_tokener_get_parse_end(tok) != len) {
		snprintf(r->err, r->errlen, "corrupt record at byte offset %llu (invalid JSON)",
			 (unsigned long long)r->offset);
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int apply_record(struct reader *r, struct document *d, uint32_t type, json_object *o,
			bool *ended)
{
	char why[200] = "";
	struct ledger l;
	json_object *f;

	switch (type) {
	case REC_HEADER:
		snprintf(why, sizeof(why), "a second header");
		break;
	case REC_LEDGER:
		if (ledger_from_json(o, &l, why, sizeof(why)) == 0) {
			document_add(d, &l);
			ledger_free(&l);
			return 0;
		}
		break;
	case REC_HEALTH:
		if (health_from_json(o, &d->health, why, sizeof(why)) == 0)
			return 0;
		break;
	case REC_END:
		if (json_object_object_get_ex(o, "ended_ns", &f) &&
		    json_object_is_type(f, json_type_int) &&
		    json_object_object_get_ex(o, "health", &f) &&
		    health_from_json(f, &d->health, why, sizeof(why)) == 0) {
			json_object_object_get_ex(o, "ended_ns", &f);
			d->meta.ended_ns = json_object_get_uint64(f);
			*ended = true;
			return 0;
		}
		if (!*why)
			snprintf(why, sizeof(why), "end record without ended_ns");
		break;
	}
	return bad_record(r, why);
}

static int read_compressed(struct reader *r, struct document *d, uint32_t len, bool *ended);

/* One whole record: JSON (types 1 to 4), binary (5 to 7), a compressed block (8, version 3), or a
 * newer type (skipped). */
static int read_record(struct reader *r, struct document *d, uint32_t type, uint32_t len,
		       bool *ended)
{
	json_object *o;
	int rc;

	if (type >= REC_LEDGER_BIN && type <= REC_EVENT)
		return apply_binary(r, d, type, len);
	if (type == REC_COMPRESSED && r->version >= 3)
		return read_compressed(r, d, len, ended);
	if (type > REC_EVENT)
		return 0; /* a record type a newer memreap added within the file's version */
	o = parse_payload(r, len);
	if (!o)
		return -1;
	rc = apply_record(r, d, type, o, ended);
	json_object_put(o);
	return rc;
}

/* The whole records inflated so far, each as if read from the file; the rest waits. */
static int read_inflated(struct reader *r, struct document *d, bool *ended)
{
	struct rec_inflater *f = r->inflater;
	const unsigned char *p = f->buf;
	size_t at = 0;
	uint32_t len, type;

	while (!*ended && f->len - at >= FRAME_HEADER_LEN) {
		len = get_u32(p + at);
		type = get_u32(p + at + 4);
		if (len > REC_MAX_PAYLOAD || type < REC_LEDGER || type == REC_COMPRESSED)
			return bad_record(r, len > REC_MAX_PAYLOAD ?
						     "a compressed record of impossible length" :
						     "a compressed record of a wrong type");
		if (f->len - at < FRAME_HEADER_LEN + len + 4)
			break;
		if (get_u32(p + at + FRAME_HEADER_LEN + len) !=
		    (uint32_t)crc32(0L, p + at, FRAME_HEADER_LEN + len))
			return bad_record(r, "a compressed record's checksum mismatch");
		memcpy(r->payload, p + at + FRAME_HEADER_LEN, len);
		r->payload[len] = '\0';
		if (read_record(r, d, type, len, ended))
			return -1;
		at += FRAME_HEADER_LEN + len + 4;
	}
	rec_inflate_take(f, at);
	return 0;
}

/* A type 8 record: the next block of the file's one deflate stream. */
static int read_compressed(struct reader *r, struct document *d, uint32_t len, bool *ended)
{
	size_t room = FRAME_HEADER_LEN + REC_MAX_PAYLOAD + 4 + 65536; /* the longest record + */
	char why[200];
	long n = 0;

	if (!r->inflater) {
		r->inflater = malloc(sizeof(*r->inflater));
		if (!r->inflater || rec_inflate_init(r->inflater, room)) {
			free(r->inflater);
			r->inflater = NULL;
			return bad_record(r, "out of memory");
		}
	}
	if (rec_inflate_feed(r->inflater, r->payload, len))
		return bad_record(r, "out of memory");
	while (!*ended && (n = rec_inflate_more(r->inflater, why, sizeof(why))) > 0)
		if (read_inflated(r, d, ended))
			return -1;
	return !*ended && n < 0 ? bad_record(r, why) : 0;
}

/* A file that does not start like a recording: say what it is rather than "bad magic". */
static void not_a_recording(struct reader *r, const unsigned char *head, size_t n)
{
	size_t magic = n < sizeof(REC_MAGIC) ? n : sizeof(REC_MAGIC), i = 0;
	int read_errno = errno; /* of the fread, before fstat */
	struct stat st;

	while (i < n && strchr(" \t\r\n", head[i]))
		i++;
	if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(r->err, r->errlen, "is a directory, not a memreap recording");
	else if (n == 0 && ferror(r->f))
		snprintf(r->err, r->errlen, "cannot read it: %s", strerror(read_errno));
	else if (n == 0)
		snprintf(r->err, r->errlen, "empty file, not a memreap recording");
	else if (i < n && (head[i] == '{' || head[i] == '['))
		snprintf(r->err, r->errlen, "a JSON document, not a memreap recording: write one "
			 "with `memreap record -o FILE` or `memreap run -o FILE`");
	else if (n < FILE_HEADER_LEN && !memcmp(head, REC_MAGIC, magic))
		snprintf(r->err, r->errlen, "recording cut short at byte offset %zu, inside its "
			 "file header", n);
	else
		snprintf(r->err, r->errlen, "not a memreap recording (bad magic at byte offset 0)");
}

static int read_file_header(struct reader *r, struct document *d)
{
	unsigned char head[FILE_HEADER_LEN];
	uint32_t type, len;
	json_object *o;
	int rc;
	size_t n = fread(head, 1, sizeof(head), r->f);

	if (n < sizeof(head) || memcmp(head, REC_MAGIC, sizeof(REC_MAGIC))) {
		not_a_recording(r, head, n);
		return -1;
	}
	r->version = get_u32(head + 8);
	if (r->version < 1 || r->version > REC_VERSION) {
		snprintf(r->err, r->errlen,
			 "recording format version %u is not supported (this reads 1 to %d)",
			 r->version, REC_VERSION);
		return -1;
	}
	r->offset = sizeof(head);
	rc = read_frame(r, &type, &len);
	if (rc == READ_BAD)
		return -1;
	if (rc != READ_OK || type != REC_HEADER) {
		snprintf(r->err, r->errlen, "recording has no header record at byte offset %llu",
			 (unsigned long long)r->offset);
		return -1;
	}
	o = parse_payload(r, len);
	if (!o)
		return -1;
	char why[200];
	rc = meta_from_json(o, &d->meta, why, sizeof(why));
	json_object_put(o);
	if (rc) {
		snprintf(r->err, r->errlen, "bad header at byte offset %llu: %s",
			 (unsigned long long)r->offset, why);
		return -1;
	}
	r->offset += FRAME_HEADER_LEN + len + 4;
	return 0;
}

int rec_read(FILE *f, struct document *d, char *note, size_t notelen, char *err, size_t errlen)
{
	struct reader r = { .f = f, .err = err, .errlen = errlen };
	bool ended = false;
	uint32_t type, len;
	int rc = -1, status;

	memset(d, 0, sizeof(*d));
	note[0] = err[0] = '\0';
	r.payload = malloc(REC_MAX_PAYLOAD + 1);
	if (!r.payload) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (read_file_header(&r, d))
		goto out;
	while ((status = read_frame(&r, &type, &len)) == READ_OK) {
		if (read_record(&r, d, type, len, &ended))
			goto out;
		r.offset += FRAME_HEADER_LEN + len + 4;
		if (ended)
			break;
	}
	if (status == READ_BAD)
		goto out;
	if (status == READ_SHORT)
		snprintf(note, notelen, "recording cut short at byte offset %llu; read %zu ledgers up to there",
			 (unsigned long long)r.offset, d->n);
	else if (!ended)
		snprintf(note, notelen, "recording has no end record (the recorder was stopped abruptly); read %zu ledgers",
			 d->n);
	else if (fgetc(f) != EOF)
		snprintf(note, notelen, "data after the end record at byte offset %llu ignored",
			 (unsigned long long)r.offset);
	rc = *note ? 1 : 0;
out:
	printable(err); /* they may quote the file: one line, no escapes */
	printable(note);
	free(r.payload);
	if (r.inflater)
		rec_inflate_end(r.inflater);
	free(r.inflater);
	if (rc < 0)
		document_free(d);
	return rc;
}
