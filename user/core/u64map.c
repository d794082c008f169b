// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "u64map.h"

static size_t slot_of(const struct u64map *m, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 7) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct u64map *m)
{
	struct u64map bigger = { .cap = m->cap ? m->cap * 2 : 64 };

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		fprintf(stderr, "memreap: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = slot_of(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
		bigger.len++;
	}
	free(m->keys);
	free(m->vals);
	*m = bigger;
}

bool u64map_put(struct u64map *m, uint64_t key, uint64_t val, uint64_t *old)
{
	bool found;
	size_t i;

	if (!key)
		return false;
	if ((m->len + 1) * 2 > m->cap)
		grow(m);
	i = slot_of(m, key);
	found = m->keys[i] != 0;
	if (found && old)
		*old = m->vals[i];
	if (!found) {
		m->keys[i] = key;
		m->len++;
	}
	m->vals[i] = val;
	return found;
}

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	size_t i;

	if (!key || !m->cap)
		return false;
	i = slot_of(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
bool u64map_del(struct u64map *m, uint64_t key, uint64_t *val)
{
	size_t i, j;

	if (!key || !m->cap)
		return false;
	i = slot_of(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	m->keys[i] = 0;
	m->len--;
	for (j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
		uint64_t k = m->keys[j], v = m->vals[j];
		size_t to;

		m->keys[j] = 0;
		to = slot_of(m, k);
		m->keys[to] = k;
		m->vals[to] = v;
	}
	return true;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
