// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exposition.h"

static bool reserve(struct expo_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *grown;

	if (b->failed)
		return false;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (cap == b->cap)
		return true;
	grown = realloc(b->data, cap);
	if (!grown) {
		b->failed = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void expo_printf(struct expo_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void put(struct expo_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Escape backslash and newline, and the double quote when in a label value. */
static void put_escaped(struct expo_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(b, "\\\\", 2);
		else if (*s == '\n')
			put(b, "\\n", 2);
		else if (*s == '"' && quote)
			put(b, "\\\"", 2);
		else
			put(b, s, 1);
	}
}

void expo_family(struct expo_buf *b, const char *name, const char *type, const char *help)
{
	expo_printf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	expo_printf(b, "\n# TYPE %s %s\n", name, type);
}

void expo_sample(struct expo_buf *b, const char *name, const char *labels, uint64_t value)
{
	if (*labels)
		expo_printf(b, "%s{%s} %llu\n", name, labels, (unsigned long long)value);
	else
		expo_printf(b, "%s %llu\n", name, (unsigned long long)value);
}

void expo_sample_double(struct expo_buf *b, const char *name, const char *labels, double value)
{
	if (*labels)
		expo_printf(b, "%s{%s} %.9g\n", name, labels, value);
	else
		expo_printf(b, "%s %.9g\n", name, value);
}

void expo_label(struct expo_buf *labels, const char *key, const char *value)
{
	expo_printf(labels, "%s%s=\"", labels->len ? "," : "", key);
	put_escaped(labels, value, true);
	put(labels, "\"", 1);
}

/* Length of the valid UTF-8 sequence at s, or 0 (RFC 3629: no overlongs, surrogates, > U+10FFFF).
 */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

char *expo_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct expo_buf b = {0};

	put(&b, "", 0);
	while (*p) {
		size_t n = utf8_len(p);

		if (n) {
			put(&b, (const char *)p, n);
			p += n;
		} else {
			put(&b, "\xef\xbf\xbd", 3); /* U+FFFD */
			p++;
		}
	}
	if (b.failed) {
		free(b.data);
		return NULL;
	}
	return b.data;
}
