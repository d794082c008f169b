// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include "cmdline.h"
#include "util.h"

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 if there is none. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (need > n)
		return 0;
	cp = s[0] & (0x7f >> need);
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

static void repair_utf8(char *s, size_t len)
{
	unsigned char *p = (unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(p + i, len - i);

		if (!n)
			p[i] = '?';
		i += n ? n : 1;
	}
}

/*
 * How many bytes of args to keep: whole arguments up to the bounds, then *tail bytes of a last
 * argument without its NUL (cut by the byte limit). Sets *truncated when something is left out.
 */
static size_t bounded_length(const char *args, size_t len, size_t *tail, bool *truncated)
{
	size_t keep = 0, argc = 0;

	if (len > CMDLINE_MAX_BYTES) {
		len = CMDLINE_MAX_BYTES;
		*truncated = true;
	}
	while (keep < len && argc < CMDLINE_MAX_ARGS) {
		const char *nul = memchr(args + keep, '\0', len - keep);

		if (!nul)
			break;
		keep = (size_t)(nul - args) + 1;
		argc++;
	}
	*tail = 0;
	if (keep < len && argc == CMDLINE_MAX_ARGS)
		*truncated = true;
	else if (keep < len)
		*tail = len - keep;
	/* The NUL the tail gets must fit too; a tail with no byte left is left out. */
	if (*tail && keep + *tail + 1 > CMDLINE_MAX_BYTES) {
		*tail = CMDLINE_MAX_BYTES - 1 - keep;
		*truncated = true;
	}
	return keep;
}

int cmdline_set(struct cmdline *c, const char *args, size_t len, bool truncated)
{
	size_t tail, keep, size;

	cmdline_free(c);
	if (!args)
		return 0;
	keep = bounded_length(args, len, &tail, &truncated);
	size = keep + (tail ? tail + 1 : 0);
	c->args = malloc(size ? size : 1);
	if (!c->args)
		return -1;
	memcpy(c->args, args, keep + tail);
	if (tail)
		c->args[size - 1] = '\0';
	repair_utf8(c->args, size);
	c->len = (uint32_t)size;
	c->truncated = truncated;
	return 0;
}

void cmdline_copy(struct cmdline *dst, const struct cmdline *src)
{
	*dst = (struct cmdline){ 0 };
	if (src && src->args)
		cmdline_set(dst, src->args, src->len, src->truncated);
}

void cmdline_free(struct cmdline *c)
{
	free(c->args);
	*c = (struct cmdline){ 0 };
}

size_t cmdline_argc(const struct cmdline *c)
{
	size_t n = 0;

	cmdline_for_each(arg, c)
		n++;
	return n;
}

char *cmdline_text(const struct cmdline *c, char *buf, size_t len)
{
	size_t at = 0;
	bool first = true;

	if (!len)
		return buf;
	buf[0] = '\0';
	cmdline_for_each(arg, c) {
		int n = snprintf(buf + at, len - at, "%s%s", first ? "" : " ", arg);

		first = false;
		if (n < 0 || (size_t)n >= len - at) {
			at = len - 1;
			break;
		}
		at += (size_t)n;
	}
	if (c->truncated)
		snprintf(buf + at, len - at, " ...");
	return printable(buf);
}

static struct cmdline *entry_of(uint64_t v)
{
	return (struct cmdline *)(uintptr_t)v;
}

void cmdline_map_put(struct cmdline_map *m, uint64_t key, const struct cmdline *c)
{
	struct cmdline *copy;
	uint64_t old;

	if (!key)
		return;
	copy = malloc(sizeof(*copy));
	if (!copy) {
		fprintf(stderr, "memreap: out of memory\n");
		exit(1);
	}
	cmdline_copy(copy, c);
	if (u64map_put(&m->map, key, (uint64_t)(uintptr_t)copy, &old)) {
		cmdline_free(entry_of(old));
		free(entry_of(old));
	}
}

const struct cmdline *cmdline_map_get(const struct cmdline_map *m, uint64_t key)
{
	uint64_t v;

	return u64map_get(&m->map, key, &v) ? entry_of(v) : NULL;
}

void cmdline_map_del(struct cmdline_map *m, uint64_t key)
{
	uint64_t v;

	if (!u64map_del(&m->map, key, &v))
		return;
	cmdline_free(entry_of(v));
	free(entry_of(v));
}

void cmdline_map_free(struct cmdline_map *m)
{
	for (size_t i = 0; i < m->map.cap; i++) {
		if (!m->map.keys[i])
			continue;
		cmdline_free(entry_of(m->map.vals[i]));
		free(entry_of(m->map.vals[i]));
	}
	u64map_free(&m->map);
}
