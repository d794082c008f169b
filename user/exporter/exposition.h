/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition format 0.0.4: a growing text buffer, HELP/TYPE lines, samples, and
 * the escaping rules (label values: backslash, double quote, newline; HELP: backslash, newline).
 * Label values must be UTF-8: names from the kernel (comms, cgroup paths) are any bytes, so they
 * are made valid first. Pure logic, unit-tested.
 */
#ifndef MR_EXPOSITION_H
#define MR_EXPOSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct expo_buf {
	char *data;
	size_t len, cap;
	bool failed; /* out of memory: the text is incomplete and must not be served */
};

void expo_printf(struct expo_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# HELP name help" and "# TYPE name type", the help text escaped. */
void expo_family(struct expo_buf *b, const char *name, const char *type, const char *help);
/* name{labels} value; labels already escaped ("a=\"x\",b=\"y\"", or "" for none). */
void expo_sample(struct expo_buf *b, const char *name, const char *labels, uint64_t value);
void expo_sample_double(struct expo_buf *b, const char *name, const char *labels, double value);
/* Append key="escaped value" (with a leading comma unless the labels are empty) to labels. */
void expo_label(struct expo_buf *labels, const char *key, const char *value);
/* A newly allocated copy of s that is valid UTF-8: each invalid byte becomes U+FFFD. */
char *expo_utf8(const char *s);

#endif
