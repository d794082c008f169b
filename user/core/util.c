// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"

char *printable(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

const char *human_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else if (v < 10)
		snprintf(buf, len, "%.2f %s", v, units[u]);
	else if (v < 100)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
	return buf;
}

const char *percent(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	if (!whole)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f%%", 100.0 * (double)part / (double)whole);
	return buf;
}

uint64_t clock_ns(int clock_id)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t boot_to_wall_offset_ns(void)
{
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);
	uint64_t wall = clock_ns(CLOCK_REALTIME);

	return (int64_t)(wall - boot);
}

long long parse_count(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	return v;
}

double parse_seconds(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 1e9)
		return -1;
	return v;
}

static size_t slot_of(const struct idmap *m, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 7) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void idmap_grow(struct idmap *m)
{
	struct idmap bigger = { .cap = m->cap ? m->cap * 2 : 64 };

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.values = calloc(bigger.cap, sizeof(*bigger.values));
	if (!bigger.keys || !bigger.values) {
		fprintf(stderr, "memreap: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = slot_of(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.values[j] = m->values[i];
		bigger.len++;
	}
	free(m->keys);
	free(m->values);
	*m = bigger;
}

/* Key 0 means "empty slot" and is never stored. */
void idmap_put(struct idmap *m, uint64_t key, const char *value)
{
	size_t i;

	if (!key)
		return;
	if ((m->len + 1) * 2 > m->cap)
		idmap_grow(m);
	i = slot_of(m, key);
	if (m->keys[i]) {
		free(m->values[i]);
	} else {
		m->keys[i] = key;
		m->len++;
	}
	m->values[i] = strdup(value ? value : "");
}

const char *idmap_get(const struct idmap *m, uint64_t key)
{
	size_t i;

	if (!key || !m->cap)
		return NULL;
	i = slot_of(m, key);
	return m->keys[i] ? m->values[i] : NULL;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
void idmap_del(struct idmap *m, uint64_t key)
{
	size_t i, j;

	if (!key || !m->cap)
		return;
	i = slot_of(m, key);
	if (!m->keys[i])
		return;
	free(m->values[i]);
	m->keys[i] = 0;
	m->values[i] = NULL;
	m->len--;
	for (j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
		uint64_t k = m->keys[j];
		char *v = m->values[j];

		m->keys[j] = 0;
		m->values[j] = NULL;
		size_t to = slot_of(m, k);
		m->keys[to] = k;
		m->values[to] = v;
	}
}

void idmap_free(struct idmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->values[i]);
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}
