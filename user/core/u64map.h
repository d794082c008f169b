/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An open-addressing hash map from a non-zero 64-bit key to a 64-bit value (linear probing,
 * backward-shift deletion, grows at half full). The string map of util.h is built on it.
 */
#ifndef MR_U64MAP_H
#define MR_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys; /* 0: an empty slot */
	uint64_t *vals;
	size_t cap, len;
};

/* Key 0 is never stored. Returns the value it replaced in *old (if old), and whether one was. */
bool u64map_put(struct u64map *m, uint64_t key, uint64_t val, uint64_t *old);
/* The value of key in *val (if val); false when absent. */
bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
/* Removes key; its value in *val (if val); false when absent. */
bool u64map_del(struct u64map *m, uint64_t key, uint64_t *val);
void u64map_free(struct u64map *m);

#endif
