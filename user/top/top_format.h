/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure text of the live monitor: bars, fitting text into columns, ages, the header lines and the
 * "Recently ended" rows, the keys help. No collector, no terminal: unit-tested.
 */
#ifndef MR_TOP_FORMAT_H
#define MR_TOP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "document.h"

#define TOP_LINE 512

/* Bytes since the observer started: ended ledgers plus what live ones did so far. */
struct top_totals {
	uint64_t self, kernel_exit, kernel_exec, kernel_live, freed, exits;
	uint64_t kernel_freed; /* of freed: what the kernel took (exit, exec, pressure) */
};

/* A figure's last values, one per refresh, oldest first; older ones are dropped. */
#define TOP_HISTORY 16

struct top_history {
	uint64_t values[TOP_HISTORY];
	unsigned n;
};

void top_history_push(struct top_history *h, uint64_t value);
/* The largest of the last width values: those a sparkline of width cells shows. */
uint64_t top_history_max(const struct top_history *h, int width);

/*
 * A process's RSS at the last refreshes, as top_history but a quarter of its size: one is kept per
 * live process (10,000 of them cost 1.3 MB as top_history). RSS is whole pages, 4 KiB or larger
 * on every architecture, so 4 KiB units are exact; they saturate at 16 TiB.
 */
#define TOP_RSS_UNIT 4096

struct top_rss_history {
	uint32_t units[TOP_HISTORY];
	uint32_t n;
};

void top_rss_history_push(struct top_rss_history *h, uint64_t bytes);
/* The same values in bytes, for top_history_max and sparkline. */
void top_rss_history_bytes(const struct top_rss_history *h, struct top_history *bytes);
/*
 * The last width values as block cells, oldest first, padded on the left with spaces when there
 * are fewer values than cells. Value v of max is block round(7 v / max) of "▁▂▃▄▅▆▇█" (from 0;
 * halves round up): 0 is ▁, max (or more) is █, and every value is ▁ when max is 0. UTF-8, three
 * bytes a block; "" when the cells do not fit len.
 */
const char *sparkline(const struct top_history *h, int width, uint64_t max, char *buf,
		      size_t len);
/* Display cells of UTF-8 text: its characters (every one this monitor prints takes one cell). */
int text_cells(const char *s);

/*
 * One row of "Recently ended": an exec chain, the ledgers one process had from its first image
 * seen to its last (one ledger when it never exec'd). Sums over the chain; the end is the last
 * image's; the peak is the largest single peak.
 */
#define TOP_CHAIN_SHOWN 3 /* comms kept: the first, the second and the last image */

struct top_ended {
	uint32_t pid;
	uint64_t process_start_ns; /* with pid, names the process across its execs */
	uint64_t first_start_ns;   /* the first image's ledger start: orders a late arrival */
	char comms[TOP_CHAIN_SHOWN][MR_COMM_LEN];
	unsigned images;
	bool accepted; /* an image was in the scope (--pid, --comm) */
	enum mr_end end;
	int exit_code, signal;
	bool oom_killed; /* its last image's end was the OOM killer's */
	uint64_t peak, self, kernel, freed, end_ns;
};

/* Under (batch) or beside (screen) the pane's title when a row of it says OOM_END. */
#define TOP_OOM_LEGEND OOM_END ": " OOM_WORDS

/* Start a chain with its first ledger's figures (the comm and sums are the ledger's). */
void top_chain_init(struct top_ended *e, const struct top_ended *first);
/* Add the next image (it ends the chain if it did not end by exec), or an earlier one. */
void top_chain_append(struct top_ended *e, const struct top_ended *next);
void top_chain_prepend(struct top_ended *e, const struct top_ended *earlier);
/* "sh -> sort", "sh -> env -> ... -> python3": the most detailed form that fits width cells. */
const char *top_chain_label(const struct top_ended *e, int width, char *buf, size_t len);

/* What the header shows, all from one snapshot. */
struct top_figures {
	struct top_totals totals, rate; /* rate: per second over the last refresh */
	/* rate.self and rate.kernel_freed of the last refreshes, for the header's graph */
	struct top_history self_rates, kernel_freed_rates;
	struct health health;
	uint64_t uptime_ns, refresh_ns;
	size_t spaces;
};

#define TOP_HEADER_LINES 16

struct top_header {
	char lines[TOP_HEADER_LINES][TOP_LINE];
	int n;
	int health_from; /* lines from here on are health; alert: show them in red */
	bool alert;
};

/* The header, every line at most width cells; a line too long breaks between its items. */
void top_header_lines(const struct top_figures *f, int width, struct top_header *h);

/* "Recently ended": the column of labels and the bar take what width leaves. */
void top_recent_header(int width, char *buf, size_t len);
void top_recent_line(const struct top_ended *e, int width, char *buf, size_t len);
/* Does the row match a substring filter on one of its comms? */
bool top_ended_matches(const struct top_ended *e, const char *filter);

/*
 * Join items with sep into lines of at most width cells (text_cells), breaking only between items
 * (a line that goes on starts with two spaces), so that no number is cut; an item wider than width
 * gets a line of its own. Returns the lines written, at most max.
 */
int wrap_items(const char *const *items, int n, const char *sep, int width,
	       char (*lines)[TOP_LINE], int max);

/* "[#####-----]": width cells in all, brackets included; part of whole filled. */
const char *share_bar(uint64_t part, uint64_t whole, int width, char *buf, size_t len);
/* "SSSSSKKK..": self cells 'S', kernel cells 'K', '.' for what is still resident; width cells. */
const char *split_bar(uint64_t self, uint64_t kernel, uint64_t resident, int width, char *buf,
		      size_t len);
/* s cut to width display cells; a cut shows '~' as its last cell. */
const char *fit(const char *s, int width, char *buf, size_t len);
/* "0", "512K", "64.0M", "1.20G": no space, at most 5 characters below a petabyte. */
const char *compact_bytes(uint64_t bytes, char *buf, size_t len);
/* "45s", "12m03s", "3h07m", "2d04h". */
const char *age(uint64_t ns, char *buf, size_t len);

/*
 * The keys of the full-screen monitor, one "  KEYS   what they do" line each (every line ends in
 * a newline and fits 80 columns), no heading: the screen's help and `top --help` print it.
 */
extern const char top_keys_help[];

#endif
