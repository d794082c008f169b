// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "top_format.h"

static int cells(uint64_t part, uint64_t whole, int width)
{
	if (!whole || width <= 0)
		return 0;
	if (part >= whole)
		return width;
	return (int)((double)part * width / (double)whole + 0.5);
}

const char *share_bar(uint64_t part, uint64_t whole, int width, char *buf, size_t len)
{
	int inner = width - 2, filled = cells(part, whole, inner);

	if (inner < 1 || (size_t)width >= len) {
		buf[0] = '\0';
		return buf;
	}
	buf[0] = '[';
	for (int i = 0; i < inner; i++)
		buf[1 + i] = i < filled ? '#' : '-';
	buf[width - 1] = ']';
	buf[width] = '\0';
	return buf;
}

const char *split_bar(uint64_t self, uint64_t kernel, uint64_t resident, int width, char *buf,
		      size_t len)
{
	uint64_t whole = self + kernel + resident;
	int s = cells(self, whole, width), k = cells(self + kernel, whole, width) - s;

	if (width < 1 || (size_t)width >= len) {
		buf[0] = '\0';
		return buf;
	}
	for (int i = 0; i < width; i++)
		buf[i] = i < s ? 'S' : i < s + k ? 'K' : '.';
	buf[width] = '\0';
	return buf;
}

const char *fit(const char *s, int width, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (width < 0)
		width = 0;
	if ((size_t)width >= len)
		width = (int)len - 1;
	if (n <= (size_t)width) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	memcpy(buf, s, (size_t)width);
	if (width > 0)
		buf[width - 1] = '~';
	buf[width] = '\0';
	return buf;
}

const char *compact_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1000 && u < 6) { /* 1000, not 1024: keeps "1023K" from needing 5 digits */
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else if (v < 10)
		snprintf(buf, len, "%.2f%c", v, units[u]);
	else if (v < 100)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
	return buf;
}

const char *age(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	return buf;
}
