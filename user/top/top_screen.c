// SPDX-License-Identifier: GPL-2.0
/* The full-screen monitor: ncurses in the main thread, drawing the model's latest snapshot. */
#include <ncurses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "top_screen.h"
#include "util.h"

enum { PAIR_ALERT = 1, PAIR_SELF, PAIR_KERNEL };

struct screen {
	struct top_model *m;
	struct top_options *o;
	char filter[64];
	bool paused, help, color;
	size_t scroll;
	/* while paused, what is shown stays as it was */
	struct top_row *frozen;
	size_t nfrozen;
};

static void put(int y, const char *text, int attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, text, COLS);
	attroff(attr);
	clrtoeol();
}

static int color(const struct screen *s, int pair)
{
	return s->color ? COLOR_PAIR(pair) : A_BOLD;
}

static void draw_bar_line(const struct screen *s, int y, const char *line)
{
	/* split bars: S cells in the self colour, K cells in the kernel colour */
	const char *bar = strstr(line, "  ") ? strrchr(line, ' ') : NULL;
	int x = bar ? (int)(bar - line) + 1 : -1;

	put(y, line, 0);
	for (int i = 0; x >= 0 && line[x + i] && x + i < COLS; i++) {
		char ch = line[x + i];

		if (ch == 'S' || ch == 'K')
			mvaddch(y, x + i, (chtype)ch | A_REVERSE | color(s, ch == 'S' ? PAIR_SELF : PAIR_KERNEL));
	}
}

static const char *const help_notes[] = {
	"",
	"RELEASED: bytes the process gave back itself; KERNEL: taken by the kernel",
	"while it runs (reclaim); FREED: of both, what went back to the page allocator",
	"(the rest stays in the page cache, shmem, or shared with another process).",
	"Recently ended: one row per process, its images from first to last when it",
	"exec'd (sh -> sort); S = released by the process, K = unmapped by the kernel",
	"(at exit, exec or while it ran).",
	"",
	"press any key",
};

static void draw_help(void)
{
	const char *line = top_keys_help;
	int y = 0;

	erase();
	put(y++, "memreap top - keys", A_BOLD);
	put(y++, "", 0);
	for (const char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		char text[TOP_LINE];

		snprintf(text, sizeof(text), "%.*s", (int)(nl - line), line);
		put(y++, text, 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(help_notes); i++)
		put(y++, help_notes[i], 0);
}

/* Returns the lines it took: the table gets what the header, the pane and the status leave. */
static int draw_header(struct screen *s, struct top_header *h)
{
	int alert = h->alert ? (int)(color(s, PAIR_ALERT) | A_BOLD) : 0;

	put(0, h->lines[0], A_BOLD);
	for (int i = 1; i < h->n; i++)
		put(i, h->lines[i], i >= h->health_from ? alert : 0);
	return h->n;
}

static void draw_table(struct screen *s, int y, int table_h)
{
	struct top_model *m = s->m;
	struct top_row *rows = s->paused ? s->frozen : m->rows;
	size_t nrows = s->paused ? s->nfrozen : m->nrows;
	char line[TOP_LINE];

	top_sort_rows(rows, nrows, s->o->sort, s->o->ascending);
	top_table_header(line, sizeof(line));
	put(y++, line, A_REVERSE);
	if (s->scroll >= nrows)
		s->scroll = nrows ? nrows - 1 : 0;
	for (size_t i = 0, skipped = 0, shown = 0; i < nrows && (int)shown < table_h; i++) {
		if (!top_row_matches(&rows[i], s->filter))
			continue;
		if (skipped++ < s->scroll)
			continue;
		top_row_line(&rows[i], m->snapshot_ns, line, sizeof(line));
		put(y++, line, 0);
		shown++;
	}
}

static void draw_recent(struct screen *s, int recent_h)
{
	struct top_model *m = s->m;
	char line[TOP_LINE];
	int y = LINES - recent_h - 2;

	put(y++, "Recently ended", A_BOLD);
	top_recent_header(COLS, line, sizeof(line));
	put(y++, line, A_REVERSE);
	for (size_t i = 0, n = 0; i < m->nrecent && (int)n < recent_h - 1; i++) {
		if (!top_ended_matches(&m->recent[i], s->filter))
			continue;
		top_recent_line(&m->recent[i], COLS, line, sizeof(line));
		draw_bar_line(s, y++, line);
		n++;
	}
}

static void draw(struct screen *s)
{
	struct top_model *m = s->m;
	struct top_header h;
	char line[TOP_LINE];
	int y, recent_h;

	if (s->help) {
		draw_help();
		refresh();
		return;
	}
	erase();
	pthread_mutex_lock(&m->lock);
	top_header(m, COLS, &h);
	y = draw_header(s, &h);
	recent_h = LINES >= 24 ? (LINES - 7) / 3 : 3;
	draw_table(s, y, LINES - y - 2 - recent_h - 1);
	draw_recent(s, recent_h);
	pthread_mutex_unlock(&m->lock);
	snprintf(line, sizeof(line), "sort: %s %s%s%s%s  ? help  q quit", top_sort_names[s->o->sort],
		 s->o->ascending ? "asc" : "desc", *s->filter ? "  filter: " : "", s->filter,
		 s->paused ? "  PAUSED" : "");
	put(LINES - 1, line, A_REVERSE);
	refresh();
}

static void freeze(struct screen *s, bool on)
{
	struct top_model *m = s->m;

	for (size_t i = 0; i < s->nfrozen; i++) {
		free(s->frozen[i].exe);
		free(s->frozen[i].cgroup);
	}
	free(s->frozen);
	s->frozen = NULL;
	s->nfrozen = 0;
	if (!on)
		return;
	pthread_mutex_lock(&m->lock);
	s->frozen = calloc(m->nrows + 1, sizeof(*s->frozen));
	for (size_t i = 0; s->frozen && i < m->nrows; i++) {
		s->frozen[i] = m->rows[i];
		s->frozen[i].exe = strdup(m->rows[i].exe ? m->rows[i].exe : "");
		s->frozen[i].cgroup = strdup(m->rows[i].cgroup ? m->rows[i].cgroup : "");
	}
	s->nfrozen = s->frozen ? m->nrows : 0;
	pthread_mutex_unlock(&m->lock);
}

static void prompt_filter(struct screen *s)
{
	char buf[sizeof(s->filter)] = "";

	put(LINES - 1, "filter (comm, exe, interpreter, cgroup): ", A_REVERSE);
	echo();
	curs_set(1);
	timeout(-1);
	getnstr(buf, sizeof(buf) - 1);
	noecho();
	curs_set(0);
	snprintf(s->filter, sizeof(s->filter), "%s", buf);
	s->scroll = 0;
}

/* Returns false to quit. */
static bool key(struct screen *s, int ch)
{
	int page = LINES > 12 ? LINES / 2 : 1;

	if (s->help) {
		s->help = false;
		return true;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case 's':
	case '>':
		s->o->sort = (s->o->sort + 1) % TOP_NSORTS;
		break;
	case '<':
		s->o->sort = (s->o->sort + TOP_NSORTS - 1) % TOP_NSORTS;
		break;
	case 'r':
		s->o->ascending = !s->o->ascending;
		break;
	case '/':
		prompt_filter(s);
		break;
	case 'p':
		s->paused = !s->paused;
		freeze(s, s->paused);
		break;
	case '?':
	case 'h':
		s->help = true;
		break;
	case KEY_DOWN:
		s->scroll++;
		break;
	case KEY_UP:
		s->scroll = s->scroll ? s->scroll - 1 : 0;
		break;
	case KEY_NPAGE:
		s->scroll += (size_t)page;
		break;
	case KEY_PPAGE:
		s->scroll = s->scroll > (size_t)page ? s->scroll - (size_t)page : 0;
		break;
	case KEY_HOME:
		s->scroll = 0;
		break;
	}
	return true;
}

int top_screen_run(struct top_model *m, struct top_options *o)
{
	struct screen s = { .m = m, .o = o };
	uint64_t drawn = UINT64_MAX;
	int ch = KEY_RESIZE;

	snprintf(s.filter, sizeof(s.filter), "%s", o->filter ? o->filter : "");
	if (!initscr())
		return -1;
	cbreak();
	noecho();
	curs_set(0);
	keypad(stdscr, TRUE);
	s.color = o->color && has_colors();
	if (s.color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_ALERT, COLOR_RED, -1);
		init_pair(PAIR_SELF, COLOR_GREEN, -1);
		init_pair(PAIR_KERNEL, COLOR_RED, -1);
	}
	timeout(100); /* wake often: a new snapshot is drawn within 0.1 s */
	for (;;) {
		pthread_mutex_lock(&m->lock);
		uint64_t generation = m->generation;
		pthread_mutex_unlock(&m->lock);
		/* redraw on a key, a resize or a new snapshot; an idle screen costs nothing */
		if (ch != ERR || generation != drawn) {
			draw(&s);
			drawn = generation;
		}
		ch = getch();
		if (ch != ERR && ch != KEY_RESIZE && !key(&s, ch))
			break;
		timeout(100);
	}
	freeze(&s, false);
	endwin();
	return 0;
}
