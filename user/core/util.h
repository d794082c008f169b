/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every module: sizes, clocks, a string map keyed by integers. */
#ifndef MR_UTIL_H
#define MR_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include "u64map.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "1.5 MiB", "512 B": binary units, at most 3 significant digits. */
const char *human_bytes(uint64_t bytes, char *buf, size_t len);
/* "42%" of part in whole; "-" when whole is 0. */
const char *percent(uint64_t part, uint64_t whole, char *buf, size_t len);

/*
 * Replace control characters (a newline, a terminal escape) by '?': names and messages come
 * from processes and files memreap does not trust. Returns s.
 */
char *printable(char *s);

uint64_t clock_ns(int clock_id);
/*
 * Nanoseconds since the epoch as RFC 3339 UTC with all nine digits,
 * "2026-12-02T05:21:36.123456789Z": exact where a JSON number is not (above 2^53). Returns buf.
 */
#define UTC_TEXT_LEN 40
char *utc_text(uint64_t ns, char *buf, size_t len);
/* CLOCK_REALTIME minus CLOCK_BOOTTIME: add to a BPF boot timestamp to get wall time. */
int64_t boot_to_wall_offset_ns(void);

/* Parse a non-negative integer or a duration in seconds; -1 on garbage. */
long long parse_count(const char *s);
double parse_seconds(const char *s);
/* s's words, wrapped at width columns; continuation lines indented by indent. */
void fprint_wrapped(FILE *f, const char *s, int indent, int width);
/* "1048576", "512K", "1.5M", "2GiB", "100MB": bytes in binary units; -1 on garbage. */
long long parse_size(const char *s);

/* A map from a non-zero 64-bit key to an owned string. */
struct idmap {
	struct u64map map;
};
void idmap_put(struct idmap *m, uint64_t key, const char *value);
const char *idmap_get(const struct idmap *m, uint64_t key);
void idmap_del(struct idmap *m, uint64_t key);
void idmap_free(struct idmap *m);

#endif
