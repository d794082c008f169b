// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample.h"

void sample_of(struct sample *s, const struct ledger *l, uint64_t ts_ns)
{
	memset(s, 0, sizeof(*s));
	s->ledger_id = l->id;
	s->ts_ns = ts_ns;
	for (int k = 0; k < MR_NKINDS; k++)
		s->rss[k] = l->bytes[CAT_RSS_AT_END][k];
	s->self_released = cat_total(l->bytes[CAT_SELF_RELEASED]);
	s->kernel = ledger_kernel_total(l);
	s->freed = ledger_freed_total(l);
	s->swap = l->swap_at_end;
}

bool sample_changed(const struct sample *a, const struct sample *b)
{
	struct sample x = *a, y = *b;

	x.ts_ns = y.ts_ns = 0;
	return memcmp(&x, &y, sizeof(x)) != 0;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static const uint64_t *fields_of(const struct sample *s, uint64_t v[8])
{
	v[0] = s->ledger_id;
	memcpy(&v[1], s->rss, sizeof(s->rss));
	v[4] = s->self_released;
	v[5] = s->kernel;
	v[6] = s->freed;
	v[7] = s->swap;
	return v;
}

size_t samples_to_bin(const struct sample *s, size_t n, uint64_t ts_ns, unsigned char *buf)
{
	uint64_t v[8];

	put64(buf, ts_ns);
	put64(buf + 8, (uint64_t)n | (uint64_t)SAMPLE_BIN_LEN << 32);
	for (size_t i = 0; i < n; i++) {
		fields_of(&s[i], v);
		for (int f = 0; f < 8; f++)
			put64(buf + SAMPLE_BATCH_HEAD + i * SAMPLE_BIN_LEN + 8 * f, v[f]);
	}
	return SAMPLE_BATCH_HEAD + n * SAMPLE_BIN_LEN;
}

static void sample_at(struct sample *s, const unsigned char *p, uint64_t ts_ns)
{
	s->ledger_id = get64(p);
	s->ts_ns = ts_ns;
	for (int k = 0; k < MR_NKINDS; k++)
		s->rss[k] = get64(p + 8 + 8 * k);
	s->self_released = get64(p + 32);
	s->kernel = get64(p + 40);
	s->freed = get64(p + 48);
	s->swap = get64(p + 56);
}

int samples_from_bin(const unsigned char *p, size_t len, struct sample **out, size_t *n,
		     size_t *cap, char *err, size_t errlen)
{
	uint64_t ts, count, each;
	struct sample *grown;

	if (len < SAMPLE_BATCH_HEAD)
		return snprintf(err, errlen, "a sample batch of %zu bytes", len), -1;
	ts = get64(p);
	count = get64(p + 8) & 0xffffffffu;
	each = get64(p + 8) >> 32;
	if (each < SAMPLE_BIN_LEN || count > (len - SAMPLE_BATCH_HEAD) / each)
		return snprintf(err, errlen, "%llu samples of %llu bytes in %zu bytes",
				(unsigned long long)count, (unsigned long long)each, len), -1;
	if (*n + count > *cap) {
		size_t want = (*n + count) * 2;

		if (!(grown = realloc(*out, want * sizeof(*grown))))
			return snprintf(err, errlen, "out of memory"), -1;
		*out = grown;
		*cap = want;
	}
	for (uint64_t i = 0; i < count; i++)
		sample_at(&(*out)[(*n)++], p + SAMPLE_BATCH_HEAD + i * each, ts);
	return 0;
}

size_t event_to_bin(const struct timeline_event *e, unsigned char *buf)
{
	put64(buf, e->ts_ns);
	put64(buf + 8, e->ledger_id);
	put64(buf + 16, (uint64_t)e->kind | (uint64_t)e->call << 32);
	put64(buf + 24, e->bytes);
	return TL_EVENT_BIN_LEN;
}

int event_from_bin(const unsigned char *p, size_t len, struct timeline_event **out, size_t *n,
		   size_t *cap, char *err, size_t errlen)
{
	struct timeline_event *grown;
	uint64_t kind_call;

	if (len < TL_EVENT_BIN_LEN)
		return snprintf(err, errlen, "an event of %zu bytes", len), -1;
	if (*n == *cap) {
		size_t want = *cap ? 2 * *cap : 16;

		if (!(grown = realloc(*out, want * sizeof(*grown))))
			return snprintf(err, errlen, "out of memory"), -1;
		*out = grown;
		*cap = want;
	}
	kind_call = get64(p + 16);
	(*out)[(*n)++] = (struct timeline_event){
		.ts_ns = get64(p),
		.ledger_id = get64(p + 8),
		.kind = (uint32_t)kind_call,
		.call = (uint32_t)(kind_call >> 32),
		.bytes = get64(p + 24),
	};
	return 0;
}
