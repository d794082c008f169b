// SPDX-License-Identifier: GPL-2.0
/* The live monitor's text: bars, truncation, ages, the header, exec chains, the keys help. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "top_format.h"

#define MiB (1ull << 20)
#define SEC 1000000000ull

static void bars(void **state)
{
	char b[64];

	assert_string_equal(share_bar(1, 4, 10, b, sizeof(b)), "[##------]");
	assert_string_equal(share_bar(0, 0, 6, b, sizeof(b)), "[----]");
	assert_string_equal(share_bar(9, 3, 6, b, sizeof(b)), "[####]");
	assert_string_equal(share_bar(1, 2, 2, b, sizeof(b)), "");
	assert_string_equal(share_bar(1, 2, 64, b, sizeof(b)), ""); /* does not fit the buffer */
	assert_string_equal(split_bar(50, 25, 25, 8, b, sizeof(b)), "SSSSKK..");
	assert_string_equal(split_bar(0, 10, 0, 4, b, sizeof(b)), "KKKK");
	assert_string_equal(split_bar(0, 0, 0, 4, b, sizeof(b)), "....");
}

static struct top_history history_of(const uint64_t *values, unsigned n)
{
	struct top_history h = { .n = 0 };

	for (unsigned i = 0; i < n; i++)
		top_history_push(&h, values[i]);
	return h;
}

/*
 * The scaling rule: value v of max is block round(7 v / max) of ▁▂▃▄▅▆▇█, counted from 0, halves
 * rounding up (7 v / max = 3.5 is block 4, ▅); the peak is always █, 0 always ▁.
 */
static void sparklines(void **state)
{
	static const uint64_t thirds[] = { 0, 50, 100 }, ramp[] = { 0, 1, 2,  3,  4,  5,  6, 7,
								   8, 9, 10, 11, 12, 13, 14 };
	struct top_history h = history_of(thirds, 3);
	char b[3 * TOP_HISTORY + 1];

	assert_string_equal(sparkline(&h, 3, 100, b, sizeof(b)), "▁▅█");
	assert_string_equal(sparkline(&h, 5, 100, b, sizeof(b)), "  ▁▅█"); /* younger: padded */
	assert_string_equal(sparkline(&h, 2, 100, b, sizeof(b)), "▅█");    /* the last two */
	assert_string_equal(sparkline(&h, 3, 200, b, sizeof(b)), "▁▃▅"); /* 1.75 is 2, 3.5 is 4 */
	assert_string_equal(sparkline(&h, 3, 50, b, sizeof(b)), "▁██");  /* above max: █ */
	assert_string_equal(sparkline(&h, 3, 0, b, sizeof(b)), "▁▁▁");
	assert_string_equal(sparkline(&h, 3, 100, b, 9), ""); /* 3 blocks and a NUL need 10 */
	h = history_of(ramp, 15); /* 7 v / 14 = v / 2: each half step rounds up */
	assert_string_equal(sparkline(&h, 15, 14, b, sizeof(b)), "▁▂▂▃▃▄▄▅▅▆▆▇▇██");
	h = history_of(NULL, 0);
	assert_string_equal(sparkline(&h, 4, 0, b, sizeof(b)), "    ");
	assert_int_equal(text_cells("▁▅█ = 1M"), 8);
}

static void histories(void **state)
{
	static const uint64_t falling[] = { 100, 50, 0 };
	struct top_history h = history_of(falling, 3);

	assert_int_equal(top_history_max(&h, TOP_HISTORY), 100);
	assert_int_equal(top_history_max(&h, 2), 50); /* only what a 2-cell sparkline shows */
	assert_int_equal(top_history_max(&h, 0), 0);
	for (uint64_t v = 1; v <= 20; v++)
		top_history_push(&h, v);
	/* bounded: the last TOP_HISTORY values, oldest first */
	assert_int_equal(h.n, TOP_HISTORY);
	assert_int_equal(h.values[0], 20 - TOP_HISTORY + 1);
	assert_int_equal(h.values[TOP_HISTORY - 1], 20);
	assert_int_equal(top_history_max(&h, TOP_HISTORY), 20);
}

/* A row's RSS history in 4 KiB units: the same values in bytes, so the same sparkline. */
static void rss_histories(void **state)
{
	static const uint64_t rss[] = { 4096, 64 * MiB, 0, 16ull << 40, 17ull << 40 };
	struct top_rss_history r = { .n = 0 };
	struct top_history h, expected = history_of(rss, 4);
	char b[64], want[64];

	for (unsigned i = 0; i < 4; i++)
		top_rss_history_push(&r, rss[i]);
	assert_int_equal(sizeof(r), TOP_HISTORY * 4 + 4);
	top_rss_history_bytes(&r, &h);
	assert_int_equal(h.n, 4);
	/* 16 TiB is one unit more than a uint32_t holds: it saturates 4 KiB short */
	assert_int_equal(h.values[3], (16ull << 40) - 4096);
	expected.values[3] = h.values[3];
	assert_memory_equal(h.values, expected.values, sizeof(h.values[0]) * 4);
	top_rss_history_push(&r, rss[4]); /* more saturates too */
	top_rss_history_bytes(&r, &h);
	assert_int_equal(h.values[4], (16ull << 40) - 4096);
	h.n = 3;
	expected.n = 3;
	sparkline(&expected, 4, top_history_max(&expected, 4), want, sizeof(want));
	assert_string_equal(sparkline(&h, 4, top_history_max(&h, 4), b, sizeof(b)), want);
	assert_string_equal(want, " ▁█▁");
	for (uint64_t v = 1; v <= 20; v++)
		top_rss_history_push(&r, v * 8192);
	top_rss_history_bytes(&r, &h);
	assert_int_equal(h.n, TOP_HISTORY);
	assert_int_equal(h.values[0], (20 - TOP_HISTORY + 1) * 8192);
	assert_int_equal(h.values[TOP_HISTORY - 1], 20 * 8192);
}

static void truncation(void **state)
{
	char b[16];

	assert_string_equal(fit("python3.11", 12, b, sizeof(b)), "python3.11");
	assert_string_equal(fit("python3.11", 6, b, sizeof(b)), "pytho~");
	assert_string_equal(fit("abc", 0, b, sizeof(b)), "");
	assert_string_equal(fit("a-very-long-command-name", 40, b, sizeof(b)), "a-very-long-co~");
}

static void compact_sizes(void **state)
{
	char b[16];

	assert_string_equal(compact_bytes(0, b, sizeof(b)), "0");
	assert_string_equal(compact_bytes(999, b, sizeof(b)), "999");
	assert_string_equal(compact_bytes(1000, b, sizeof(b)), "0.98K");
	assert_string_equal(compact_bytes(64ull << 20, b, sizeof(b)), "64.0M");
	assert_string_equal(compact_bytes(1023ull << 20, b, sizeof(b)), "1.00G");
	assert_string_equal(compact_bytes(UINT64_MAX, b, sizeof(b)), "16.0E");
}

static void ages(void **state)
{
	char b[16];

	assert_string_equal(age(45ull * 1000000000, b, sizeof(b)), "45s");
	assert_string_equal(age(723ull * 1000000000, b, sizeof(b)), "12m03s");
	assert_string_equal(age(11220ull * 1000000000, b, sizeof(b)), "3h07m");
	assert_string_equal(age(187200ull * 1000000000, b, sizeof(b)), "2d04h");
}

static void assert_header(const struct top_header *h, const char *const *want, int n, int width)
{
	assert_int_equal(h->n, n);
	for (int i = 0; i < n; i++) {
		assert_string_equal(h->lines[i], want[i]);
		assert_true(text_cells(h->lines[i]) <= width);
	}
}

/* The figures of the README's capture: five lines, each within 80 columns. */
static void header_at_80_columns(void **state)
{
	struct top_figures f = {
		.totals = { .self = 532 * MiB, .kernel_exit = 359 * MiB, .kernel_exec = 9637000,
			    .freed = 544 * MiB, .exits = 40 },
		.rate = { .self = 1258291, .exits = 12 },
		.self_rates = { { 0, 1 * MiB, 2 * MiB, 4 * MiB }, 4 },
		.kernel_freed_rates = { { 0, 0, 8 * MiB, 2 * MiB }, 4 },
		.uptime_ns = 3 * SEC,
		.refresh_ns = SEC / 2,
		.spaces = 11,
	};
	static const char *const want[] = {
		"memreap top - up 3s - 11 address spaces - refresh 0.5s",
		"self 532M (1.20M/s) | exits 12/s | self share [##############---------] 59%",
		"kernel: exit 359M (0/s) exec 9.19M (0/s) pressure 0 (0/s)",
		"freed 544M (0/s) of 900M that left: 60% | still held elsewhere 356M",
		/* four refreshes so far, on the larger of the two peaks: 8 MiB/s is █ */
		"self/s             ▁▂▃▅ | kernel freed/s             ▁▁█▃ | █ = 8.00M/s",
		"health: ok",
	};
	struct top_header h;

	top_header_lines(&f, 80, &h);
	assert_header(&h, want, 6, 80);
	assert_int_equal(h.health_from, 5);
	assert_false(h.alert);
}

/* Every figure at its widest: still 80 columns; only long health counts take a further line. */
static void header_at_its_widest(void **state)
{
	uint64_t x = 99 * MiB;
	struct top_figures f = {
		.totals = { x, x, x, x, x, 0 },
		.rate = { x, x, x, x, x, 99999 },
		.health = { .ringbuf_drops = 123456789, .map_full = 12345, .unattributed_bytes = x,
			    .lost_ledgers = 1234567, .unfollowed_releases = 7654321 },
		.uptime_ns = (12 * 86400 + 4 * 3600) * SEC,
		.refresh_ns = 3600 * SEC,
		.spaces = 123456,
	};
	const uint64_t self_rates[] = { 0, x / 2, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x };

	f.self_rates = history_of(self_rates, 18);
	f.kernel_freed_rates = history_of(self_rates, 16);
	static const char *const want[] = {
		"memreap top - up 12d04h - 123456 address spaces - refresh 3600.0s",
		"self 99.0M (99.0M/s) | exits 99999/s | self share [######-----------------] 25%",
		"kernel: exit 99.0M (99.0M/s) exec 99.0M (99.0M/s) pressure 99.0M (99.0M/s)",
		"freed 99.0M (99.0M/s) of 396M that left: 25% | still held elsewhere 297M",
		"self/s ████████████████ | kernel freed/s ▁▅██████████████ | █ = 99.0M/s",
		"health: ringbuf drops 123456789, map full 12345, unattributed 99.0M",
		"  lost 1234567, unfollowed 7654321",
	};
	static const char *const narrow[] = {
		"memreap top - up 12d04h - 123456 address spaces",
		"  refresh 3600.0s",
		"self 99.0M (99.0M/s) | exits 99999/s",
		"  self share [##------] 25%",
		"kernel: exit 99.0M (99.0M/s) exec 99.0M (99.0M/s)",
		"  pressure 99.0M (99.0M/s)",
		"freed 99.0M (99.0M/s) of 396M that left: 25%",
		"  still held elsewhere 297M",
		"self/s ████████████████ | kernel freed/s ▁▅██████████████",
		"  █ = 99.0M/s",
		"health: ringbuf drops 123456789, map full 12345",
		"  unattributed 99.0M, lost 1234567, unfollowed 7654321",
	};
	struct top_header h;

	top_header_lines(&f, 80, &h);
	assert_header(&h, want, 7, 80);
	assert_int_equal(h.health_from, 5);
	assert_true(h.alert);
	top_header_lines(&f, 60, &h);
	assert_header(&h, narrow, 12, 60);
	assert_int_equal(h.health_from, 10);
}

static void wrapping(void **state)
{
	const char *items[] = { "aaaa", "bbbb", "a-very-long-item" };
	char lines[4][TOP_LINE];

	assert_int_equal(wrap_items(items, 3, ", ", 40, lines, 4), 1);
	assert_string_equal(lines[0], "aaaa, bbbb, a-very-long-item");
	assert_int_equal(wrap_items(items, 3, ", ", 10, lines, 4), 2);
	assert_string_equal(lines[0], "aaaa, bbbb");
	assert_string_equal(lines[1], "  a-very-long-item"); /* wider than 10: never cut */
	assert_int_equal(wrap_items(items, 3, ", ", 4, lines, 2), 2);
	/* out of lines: kept, not lost */
	assert_string_equal(lines[1], "  bbbb, a-very-long-item");
	/* widths in cells, not bytes: four blocks are 12 bytes and 4 cells */
	items[0] = "▁▂▃▄";
	assert_int_equal(wrap_items(items, 2, ", ", 10, lines, 4), 1);
	assert_string_equal(lines[0], "▁▂▃▄, bbbb");
	assert_int_equal(wrap_items(items, 2, ", ", 9, lines, 4), 2);
}

static struct top_ended image(const char *comm, enum mr_end end, int code, uint64_t start,
			      uint64_t peak, uint64_t self, uint64_t kernel, uint64_t freed)
{
	struct top_ended e = { .pid = 4242, .process_start_ns = 7, .first_start_ns = start,
			       .images = 1, .end = end, .exit_code = code, .signal = -1,
			       .peak = peak, .self = self, .kernel = kernel, .freed = freed,
			       .end_ns = start + 1 };

	strncpy(e.comms[0], comm, sizeof(e.comms[0]) - 1);
	return e;
}

static void exec_chains(void **state)
{
	struct top_ended sh = image("sh", MR_END_EXEC, -1, 10, 1761280, 90112, 1769472, 57344);
	struct top_ended env = image("env", MR_END_EXEC, -1, 20, 1000000, 0, 1000000, 4096);
	struct top_ended sort = image("sort", MR_END_EXIT, 3, 30, 1777664, 86016, 1777664, 77824);
	struct top_ended py = image("python3", MR_END_EXIT, -1, 40, 0, 0, 0, 0);
	struct top_ended chain;
	char b[TOP_LINE];

	py.signal = 9;
	top_chain_init(&chain, &sh);
	assert_string_equal(top_chain_label(&chain, 32, b, sizeof(b)), "sh");
	top_chain_append(&chain, &sort);
	assert_string_equal(top_chain_label(&chain, 32, b, sizeof(b)), "sh -> sort");
	top_recent_line(&chain, 80, b, sizeof(b));
	assert_string_equal(b, "   4242 sh -> sort             exit 3    1.70M   172K  3.38M   "
			       "132K  SKKKKKKKKKK");
	assert_true(strlen(b) == 80);
	/* an image that arrives late goes where it started: the end stays the last image's */
	top_chain_prepend(&chain, &env);
	assert_string_equal(top_chain_label(&chain, 32, b, sizeof(b)), "env -> sh -> sort");
	top_chain_init(&chain, &sh);
	top_chain_append(&chain, &env);
	top_chain_append(&chain, &env);
	top_chain_append(&chain, &py);
	assert_int_equal(chain.images, 4);
	assert_string_equal(top_chain_label(&chain, 32, b, sizeof(b)),
			    "sh -> env -> ... -> python3");
	assert_string_equal(top_chain_label(&chain, 22, b, sizeof(b)), "sh -> ... -> python3");
	assert_string_equal(top_chain_label(&chain, 16, b, sizeof(b)), "... -> python3");
	assert_string_equal(top_chain_label(&chain, 5, b, sizeof(b)), "pyth~");
	top_recent_line(&chain, 100, b, sizeof(b));
	assert_string_equal(b, "   4242 sh -> env -> ... -> python3      sig 9     1.68M  88.0K  "
			       "3.59M  64.0K  KKKKKKKKKKKKKKKKKKKKK");
	assert_true(top_ended_matches(&chain, "env") && top_ended_matches(&chain, "pyth"));
	assert_false(top_ended_matches(&chain, "sort"));
	top_recent_header(80, b, sizeof(b));
	assert_string_equal(b, "    PID COMM                   END        PEAK   SELF KERNEL  "
			       "FREED  SELF|KERNEL");
}

/* One string for the screen's help and top --help: every key the screen takes, within 80. */
static void keys_help(void **state)
{
	static const char *const keys[] = {
		"  q ", "  s or > ", "  < ", "  r ", "  / ", "  p ", "  up, down ", "  PgUp, PgDn ",
		"  Home ", "  ? or h ",
	};
	const char *line = top_keys_help;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(strstr(top_keys_help, keys[i]));
	for (const char *nl; (nl = strchr(line, '\n')); line = nl + 1)
		assert_true(nl - line <= 80);
	assert_string_equal(line, ""); /* ends with a newline */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bars),
		cmocka_unit_test(sparklines),
		cmocka_unit_test(rss_histories),
		cmocka_unit_test(histories),
		cmocka_unit_test(truncation),
		cmocka_unit_test(compact_sizes),
		cmocka_unit_test(ages),
		cmocka_unit_test(header_at_80_columns),
		cmocka_unit_test(header_at_its_widest),
		cmocka_unit_test(wrapping),
		cmocka_unit_test(exec_chains),
		cmocka_unit_test(keys_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
