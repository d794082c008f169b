// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "top_format.h"
#include "util.h"

#define SZ 16

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

void top_history_push(struct top_history *h, uint64_t value)
{
	if (h->n == TOP_HISTORY) {
		memmove(&h->values[0], &h->values[1], (TOP_HISTORY - 1) * sizeof(h->values[0]));
		h->n--;
	}
	h->values[h->n++] = value;
}

void top_rss_history_push(struct top_rss_history *h, uint64_t bytes)
{
	uint64_t units = bytes / TOP_RSS_UNIT;

	if (h->n == TOP_HISTORY) {
		memmove(&h->units[0], &h->units[1], (TOP_HISTORY - 1) * sizeof(h->units[0]));
		h->n--;
	}
	h->units[h->n++] = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
}

void top_rss_history_bytes(const struct top_rss_history *h, struct top_history *bytes)
{
	bytes->n = h->n;
	for (unsigned i = 0; i < h->n; i++)
		bytes->values[i] = (uint64_t)h->units[i] * TOP_RSS_UNIT;
}

/* Where the last width values begin. */
static unsigned history_from(const struct top_history *h, int width)
{
	return width <= 0 ? h->n : (unsigned)width >= h->n ? 0 : h->n - (unsigned)width;
}

uint64_t top_history_max(const struct top_history *h, int width)
{
	uint64_t max = 0;

	for (unsigned i = history_from(h, width); i < h->n; i++)
		if (h->values[i] > max)
			max = h->values[i];
	return max;
}

#define BLOCK_BYTES 3 /* U+2581 to U+2588 in UTF-8 */

static const char blocks[8][BLOCK_BYTES + 1] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };

const char *sparkline(const struct top_history *h, int width, uint64_t max, char *buf,
		      size_t len)
{
	unsigned from = history_from(h, width);
	int pad = width - (int)(h->n - from);
	char *p = buf;

	if (width < 0 || (size_t)width * BLOCK_BYTES >= len) {
		buf[0] = '\0';
		return buf;
	}
	for (int i = 0; i < pad; i++)
		*p++ = ' ';
	for (unsigned i = from; i < h->n; i++) {
		/* cells() rounds half up: 7 v / max of 3.5 is block 4 */
		memcpy(p, blocks[cells(h->values[i], max, 7)], BLOCK_BYTES);
		p += BLOCK_BYTES;
	}
	*p = '\0';
	return buf;
}

int text_cells(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80; /* a continuation byte starts none */
	return n;
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

/* Appends s to line at *used, never past TOP_LINE. */
static void append(char *line, size_t *used, const char *s)
{
	int n;

	if (*used >= TOP_LINE - 1)
		return;
	n = snprintf(line + *used, TOP_LINE - *used, "%s", s);
	*used += (size_t)n < TOP_LINE - *used ? (size_t)n : TOP_LINE - 1 - *used;
}

int wrap_items(const char *const *items, int n, const char *sep, int width,
	       char (*lines)[TOP_LINE], int max)
{
	int seplen = text_cells(sep), line_cells = 0, nl = 1;
	size_t used = 0; /* bytes of the line; line_cells its width */

	if (max < 1)
		return 0;
	lines[0][0] = '\0';
	for (int i = 0; i < n; i++) {
		int len = text_cells(items[i]);

		if (i && line_cells + seplen + len > width && nl < max) {
			/* a break drops the separator; out of lines, the last takes the rest */
			used = 0;
			lines[nl][0] = '\0';
			append(lines[nl++], &used, "  ");
			line_cells = 2;
		} else if (i) {
			append(lines[nl - 1], &used, sep);
			line_cells += seplen;
		}
		append(lines[nl - 1], &used, items[i]);
		line_cells += len;
	}
	return nl;
}

static void add_lines(struct top_header *h, const char *const *items, int n, const char *sep,
		      int width)
{
	h->n += wrap_items(items, n, sep, width, &h->lines[h->n], TOP_HEADER_LINES - h->n);
}

static void title_line(const struct top_figures *f, int width, struct top_header *h)
{
	char up[SZ + 4], spaces[40], refresh[40], t[SZ];
	const char *items[] = { "memreap top", up, spaces, refresh };

	snprintf(up, sizeof(up), "up %s", age(f->uptime_ns, t, SZ));
	snprintf(spaces, sizeof(spaces), "%zu address spaces", f->spaces);
	snprintf(refresh, sizeof(refresh), "refresh %.1fs", (double)f->refresh_ns / 1e9);
	add_lines(h, items, ARRAY_SIZE(items), " - ", width);
}

/* "exit 64.0M (1.20M/s)": a total and its rate. */
static void with_rate(char *buf, size_t len, const char *what, uint64_t total, uint64_t rate)
{
	char a[SZ], b[SZ];

	snprintf(buf, len, "%s %s (%s/s)", what, compact_bytes(total, a, SZ),
		 compact_bytes(rate, b, SZ));
}

/*
 * The share bar's width depends on the width only, never on the figures, so that it does not
 * move from one refresh to the next: 55 cells are the rest of the line at its widest.
 */
#define SELF_LINE_REST 55

static void self_line(const struct top_figures *f, int width, struct top_header *h)
{
	const struct top_totals *t = &f->totals;
	uint64_t kernel = t->kernel_exit + t->kernel_exec + t->kernel_live;
	char self[48], exits[40], share[TOP_LINE], bar[TOP_LINE], pct[8];
	const char *items[] = { self, exits, share };
	int bar_width = width - SELF_LINE_REST;

	bar_width = bar_width < 10 ? 10 : bar_width > 60 ? 60 : bar_width;
	with_rate(self, sizeof(self), "self", t->self, f->rate.self);
	snprintf(exits, sizeof(exits), "exits %llu/s", (unsigned long long)f->rate.exits);
	snprintf(share, sizeof(share), "self share %s %s",
		 share_bar(t->self, t->self + kernel, bar_width, bar, sizeof(bar)),
		 percent(t->self, t->self + kernel, pct, sizeof(pct)));
	add_lines(h, items, ARRAY_SIZE(items), " | ", width);
}

static void kernel_line(const struct top_figures *f, int width, struct top_header *h)
{
	const struct top_totals *t = &f->totals, *r = &f->rate;
	char exit_[48], exec[48], pressure[48];
	const char *items[] = { exit_, exec, pressure };

	with_rate(exit_, sizeof(exit_), "kernel: exit", t->kernel_exit, r->kernel_exit);
	with_rate(exec, sizeof(exec), "exec", t->kernel_exec, r->kernel_exec);
	with_rate(pressure, sizeof(pressure), "pressure", t->kernel_live, r->kernel_live);
	add_lines(h, items, ARRAY_SIZE(items), " ", width);
}

/* Freed, not just unmapped: what went back to the page allocator of all that left. */
static void freed_line(const struct top_figures *f, int width, struct top_header *h)
{
	const struct top_totals *t = &f->totals;
	uint64_t left = t->self + t->kernel_exit + t->kernel_exec + t->kernel_live;
	uint64_t held = left > t->freed ? left - t->freed : 0;
	char freed[48], of[80], still[48], a[SZ], pct[8];
	const char *items[] = { of, still };

	with_rate(freed, sizeof(freed), "freed", t->freed, f->rate.freed);
	snprintf(of, sizeof(of), "%s of %s that left: %s", freed, compact_bytes(left, a, SZ),
		 percent(t->freed, left, pct, sizeof(pct)));
	snprintf(still, sizeof(still), "still held elsewhere %s", compact_bytes(held, a, SZ));
	add_lines(h, items, ARRAY_SIZE(items), " | ", width);
}

/*
 * What processes released themselves per second against what the kernel freed, over the last
 * refreshes: one scale for both, so that their heights compare, and the line says what █ is.
 */
static void rates_line(const struct top_figures *f, int width, struct top_header *h)
{
	uint64_t max = top_history_max(&f->self_rates, TOP_HISTORY);
	uint64_t kernel_max = top_history_max(&f->kernel_freed_rates, TOP_HISTORY);
	char self[TOP_LINE], kernel[TOP_LINE], scale[48], graph[TOP_LINE], a[SZ];
	const char *items[] = { self, kernel, scale };

	if (kernel_max > max)
		max = kernel_max;
	snprintf(self, sizeof(self), "self/s %s",
		 sparkline(&f->self_rates, TOP_HISTORY, max, graph, sizeof(graph)));
	snprintf(kernel, sizeof(kernel), "kernel freed/s %s",
		 sparkline(&f->kernel_freed_rates, TOP_HISTORY, max, graph, sizeof(graph)));
	snprintf(scale, sizeof(scale), "%s = %s/s", blocks[7], compact_bytes(max, a, SZ));
	add_lines(h, items, ARRAY_SIZE(items), " | ", width);
}

static void health_lines(const struct top_figures *f, int width, struct top_header *h)
{
	const struct health *k = &f->health;
	char drops[48], full[40], un[40], lost[40], unfollowed[48], b[SZ];
	const char *items[] = { drops, full, un, lost, unfollowed };

	h->health_from = h->n;
	h->alert = !health_is_clean(k);
	if (!h->alert) {
		const char *ok[] = { "health: ok" };

		add_lines(h, ok, 1, "", width);
		return;
	}
	snprintf(drops, sizeof(drops), "health: ringbuf drops %llu",
		 (unsigned long long)k->ringbuf_drops);
	snprintf(full, sizeof(full), "map full %llu", (unsigned long long)k->map_full);
	snprintf(un, sizeof(un), "unattributed %s", compact_bytes(k->unattributed_bytes, b, SZ));
	snprintf(lost, sizeof(lost), "lost %llu", (unsigned long long)k->lost_ledgers);
	snprintf(unfollowed, sizeof(unfollowed), "unfollowed %llu",
		 (unsigned long long)k->unfollowed_releases);
	add_lines(h, items, ARRAY_SIZE(items), ", ", width);
}

void top_header_lines(const struct top_figures *f, int width, struct top_header *h)
{
	h->n = 0;
	title_line(f, width, h);
	self_line(f, width, h);
	kernel_line(f, width, h);
	freed_line(f, width, h);
	rates_line(f, width, h);
	health_lines(f, width, h);
}

void top_chain_init(struct top_ended *e, const struct top_ended *first)
{
	*e = *first;
	e->images = 1;
}

static void chain_add_sums(struct top_ended *e, const struct top_ended *l)
{
	e->self += l->self;
	e->kernel += l->kernel;
	e->freed += l->freed;
	if (l->peak > e->peak)
		e->peak = l->peak;
	e->accepted |= l->accepted;
}

void top_chain_append(struct top_ended *e, const struct top_ended *next)
{
	unsigned slot = e->images < TOP_CHAIN_SHOWN ? e->images : TOP_CHAIN_SHOWN - 1;

	memcpy(e->comms[slot], next->comms[0], MR_COMM_LEN);
	e->images++;
	chain_add_sums(e, next);
	e->end = next->end;
	e->exit_code = next->exit_code;
	e->signal = next->signal;
	e->oom_killed = next->oom_killed;
	e->end_ns = next->end_ns;
}

void top_chain_prepend(struct top_ended *e, const struct top_ended *earlier)
{
	if (e->images < TOP_CHAIN_SHOWN)
		memmove(e->comms[1], e->comms[0], e->images * MR_COMM_LEN);
	else
		memcpy(e->comms[1], e->comms[0], MR_COMM_LEN); /* the last image stays last */
	memcpy(e->comms[0], earlier->comms[0], MR_COMM_LEN);
	e->images++;
	e->first_start_ns = earlier->first_start_ns;
	chain_add_sums(e, earlier);
}

/* Copies the label into buf if it fits width cells. */
static bool label_fits(char *buf, size_t len, int width, const char *label)
{
	if (strlen(label) > (size_t)width || strlen(label) >= len)
		return false;
	memcpy(buf, label, strlen(label) + 1);
	return true;
}

const char *top_chain_label(const struct top_ended *e, int width, char *buf, size_t len)
{
	unsigned shown = e->images < TOP_CHAIN_SHOWN ? e->images : TOP_CHAIN_SHOWN;
	const char *first = e->comms[0], *second = e->comms[1], *last = e->comms[shown - 1];
	char label[4 * MR_COMM_LEN + 16];

	if (e->images <= 1)
		return fit(first, width, buf, len);
	if (e->images == 2)
		snprintf(label, sizeof(label), "%s -> %s", first, last);
	else if (e->images == 3)
		snprintf(label, sizeof(label), "%s -> %s -> %s", first, second, last);
	else
		snprintf(label, sizeof(label), "%s -> %s -> ... -> %s", first, second, last);
	if (label_fits(buf, len, width, label))
		return buf;
	snprintf(label, sizeof(label), "%s -> ... -> %s", first, last);
	if (e->images > 2 && label_fits(buf, len, width, label))
		return buf;
	snprintf(label, sizeof(label), "... -> %s", last);
	if (label_fits(buf, len, width, label))
		return buf;
	return fit(last, width, buf, len);
}

/*
 * "Recently ended": PID, label, END, four sizes, then the bar. The label column grows with the
 * width up to 32 cells (a chain's label), then the bar does, up to 60 cells.
 */
#define RECENT_FIXED 47

static int recent_label_width(int width)
{
	int w = width - RECENT_FIXED - 11;

	return w < 15 ? 15 : w > 32 ? 32 : w;
}

static int recent_bar_width(int width)
{
	int w = width - RECENT_FIXED - recent_label_width(width);

	return w < 1 ? 1 : w > 60 ? 60 : w;
}

void top_recent_header(int width, char *buf, size_t len)
{
	char bar[SZ];

	snprintf(buf, len, "%7s %-*s %-8s %6s %6s %6s %6s  %s", "PID", recent_label_width(width),
		 "COMM", "END", "PEAK", "SELF", "KERNEL", "FREED",
		 fit("SELF|KERNEL", recent_bar_width(width), bar, sizeof(bar)));
}

void top_recent_line(const struct top_ended *e, int width, char *buf, size_t len)
{
	char label[TOP_LINE], end[SZ], peak[SZ], self[SZ], kern[SZ], freed[SZ], bar[TOP_LINE];
	int label_width = recent_label_width(width);

	if (e->end == MR_END_EXEC)
		snprintf(end, SZ, "exec");
	else if (e->oom_killed)
		snprintf(end, SZ, "%s", OOM_END);
	else if (e->signal >= 0)
		snprintf(end, SZ, "sig %d", e->signal);
	else
		snprintf(end, SZ, "exit %d", e->exit_code < 0 ? 0 : e->exit_code);
	snprintf(buf, len, "%7u %-*s %-8s %6s %6s %6s %6s  %s", e->pid, label_width,
		 top_chain_label(e, label_width, label, sizeof(label)), end,
		 compact_bytes(e->peak, peak, SZ), compact_bytes(e->self, self, SZ),
		 compact_bytes(e->kernel, kern, SZ), compact_bytes(e->freed, freed, SZ),
		 split_bar(e->self, e->kernel, 0, recent_bar_width(width), bar, sizeof(bar)));
	printable(buf);
}

bool top_ended_matches(const struct top_ended *e, const char *filter)
{
	unsigned shown = e->images < TOP_CHAIN_SHOWN ? e->images : TOP_CHAIN_SHOWN;

	if (!filter || !*filter)
		return true;
	for (unsigned i = 0; i < shown; i++)
		if (strstr(e->comms[i], filter))
			return true;
	return false;
}

const char top_keys_help[] =
	"  q                    quit\n"
	"  s or >               sort by the next column\n"
	"  <                    sort by the previous column\n"
	"  r                    reverse the sort order\n"
	"  /                    filter: a substring of comm, exe, interpreter or cgroup\n"
	"                       (empty: no filter)\n"
	"  p                    pause the display (collection goes on)\n"
	"  up, down             scroll the table by a line\n"
	"  PgUp, PgDn           scroll the table by half a screen\n"
	"  Home                 back to the top of the table\n"
	"  ? or h               this help (any key leaves it)\n";
