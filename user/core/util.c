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

char *utc_text(uint64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000ull));
	return buf;
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

/* A word's length, with a size's unit after it ("1.5 MiB" is never cut in two). */
static size_t word_length(const char *s)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	size_t n = strcspn(s, " "), u;

	if (s[n] != ' ' || !n || s[n - 1] < '0' || s[n - 1] > '9')
		return n;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		u = strlen(units[i]);
		if (!strncmp(s + n + 1, units[i], u) && strchr(" ,;:)", s[n + 1 + u]))
			return n + 1 + u + strcspn(s + n + 1 + u, " ");
	}
	return n;
}

void fprint_wrapped(FILE *f, const char *s, int indent, int width)
{
	bool has_word = false;
	int column = 0;

	for (; *s == ' '; s++, column++) /* the first line's own indent */
		fputc(' ', f);
	while (*s) {
		size_t word = word_length(s);

		if (has_word && column + 1 + (int)word > width) {
			fprintf(f, "\n%*s", indent, "");
			column = indent;
		} else if (has_word) {
			fputc(' ', f);
			column++;
		}
		fprintf(f, "%.*s", (int)word, s);
		column += (int)word;
		has_word = true;
		s += word;
		s += strspn(s, " ");
	}
	fputc('\n', f);
}

long long parse_size(const char *s)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	double v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return -1;
	if (*end && (u = strchr(units, *end))) {
		v *= (double)(1ull << (10 * (u - units + 1)));
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	} else if (!strcmp(end, "B")) {
		end++;
	}
	if (*end || v > 9e18)
		return -1;
	return (long long)v;
}

/* Values are owned strings, kept in the u64map as pointers. */
static char *str_of(uint64_t v)
{
	return (char *)(uintptr_t)v;
}

/* Key 0 is never stored. */
void idmap_put(struct idmap *m, uint64_t key, const char *value)
{
	char *copy;
	uint64_t old;

	if (!key)
		return;
	copy = strdup(value ? value : "");
	if (!copy) {
		fprintf(stderr, "memreap: out of memory\n");
		exit(1);
	}
	if (u64map_put(&m->map, key, (uint64_t)(uintptr_t)copy, &old))
		free(str_of(old));
}

const char *idmap_get(const struct idmap *m, uint64_t key)
{
	uint64_t v;

	return u64map_get(&m->map, key, &v) ? str_of(v) : NULL;
}

void idmap_del(struct idmap *m, uint64_t key)
{
	uint64_t v;

	if (u64map_del(&m->map, key, &v))
		free(str_of(v));
}

void idmap_free(struct idmap *m)
{
	for (size_t i = 0; i < m->map.cap; i++)
		if (m->map.keys[i])
			free(str_of(m->map.vals[i]));
	u64map_free(&m->map);
}
