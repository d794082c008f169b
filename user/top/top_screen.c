// SPDX-License-Identifier: GPL-2.0
/* The full-screen monitor: ncurses in the main thread, drawing the model's latest snapshot. */
#include <langinfo.h>
#include <ncurses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
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

/* Is the terminal's locale UTF-8? If not, the sparklines' blocks are drawn as ASCII levels. */
static bool utf8_terminal;

/* The bytes that follow a UTF-8 lead byte; -1 for a byte that leads none. */
static int continuation_bytes(unsigned char lead)
{
	if (lead < 0x80)
		return 0;
	if (lead < 0xc0 || lead >= 0xf8)
		return -1;
	return lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : 1;
}

/* One character of UTF-8 text, *s past it; a byte that starts none is '?'. */
static wchar_t next_char(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	int extra = continuation_bytes(p[0]);
	wchar_t ch = p[0] & (0x7f >> (extra > 0 ? extra + 1 : 0));

	(*s)++;
	for (int i = 1; i <= extra; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return L'?'; /* the next byte starts over */
		ch = ch << 6 | (p[i] & 0x3f);
		(*s)++;
	}
	return extra < 0 ? L'?' : ch;
}

static wchar_t shown_char(wchar_t ch)
{
	static const char levels[] = "_.:-=+*#"; /* ▁ to █ */

	if (ch < 0x80)
		return ch;
	if (!utf8_terminal && ch >= 0x2581 && ch <= 0x2588)
		return levels[ch - 0x2581];
	return utf8_terminal && ch >= 0xa0 ? ch : L'?';
}

/* text is UTF-8, one cell a character: at most COLS of them are drawn. */
static void put(int y, const char *text, int attr)
{
	wchar_t line[TOP_LINE];
	size_t n = 0;

	if (y >= LINES)
		return;
	while (*text && n < ARRAY_SIZE(line) - 1)
		line[n++] = shown_char(next_char(&text));
	line[n] = L'\0';
	attron(attr);
	mvaddnwstr(y, 0, line, COLS);
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
	const char *bar = strstr(line, "  ") ? strrchr(line, ' ') + 1 : NULL;
	char label[TOP_LINE];
	int x;

	put(y, line, 0);
	if (!bar)
		return;
	/* the cell the bar starts in: a comm may hold characters of several bytes */
	snprintf(label, sizeof(label), "%.*s", (int)(bar - line), line);
	x = text_cells(label);
	for (int i = 0; bar[i] && x + i < COLS; i++) {
		char ch = bar[i];

		if (ch == 'S' || ch == 'K')
			mvaddch(y, x + i, (chtype)ch | A_REVERSE | color(s, ch == 'S' ? PAIR_SELF : PAIR_KERNEL));
	}
}

static const char *const help_notes[] = {
	"",
	"RELEASED: bytes the process gave back itself; KERNEL: taken by the kernel",
	"while it runs (reclaim); FREED: of both, what went back to the page allocator",
	"(the rest stays in the page cache, shmem, or shared with another process).",
	"RSS-HISTORY: its RSS at each of the last refreshes, to the row's own peak (█).",
	"self/s, kernel freed/s: released by processes, freed by the kernel; one scale.",
	"Recently ended: one row per process, its images from first to last when it",
	"exec'd (sh -> sort); S = released by the process, K = unmapped by the kernel",
	"(at exit, exec or while it ran). " TOP_OOM_LEGEND ".",
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
	uint32_t *order = top_row_order(rows, nrows, s->o->sort, s->o->ascending);

	top_table_header(COLS, line, sizeof(line));
	put(y++, line, A_REVERSE);
	if (s->scroll >= nrows)
		s->scroll = nrows ? nrows - 1 : 0;
	for (size_t i = 0, skipped = 0, shown = 0; i < nrows && (int)shown < table_h; i++) {
		const struct top_row *r = top_row_at(rows, order, i);

		if (!top_row_matches(r, s->filter))
			continue;
		if (skipped++ < s->scroll)
			continue;
		top_row_line(r, m->snapshot_ns, COLS, line, sizeof(line));
		put(y++, line, 0);
		shown++;
	}
	free(order);
}

static void draw_recent(struct screen *s, int recent_h)
{
	struct top_model *m = s->m;
	char line[TOP_LINE];
	int title = LINES - recent_h - 2, y = title + 1;
	bool oom = false;

	top_recent_header(COLS, line, sizeof(line));
	put(y++, line, A_REVERSE);
	for (size_t i = 0, n = 0; i < m->nrecent && (int)n < recent_h - 1; i++) {
		if (!top_ended_matches(&m->recent[i], s->filter))
			continue;
		top_recent_line(&m->recent[i], COLS, line, sizeof(line));
		draw_bar_line(s, y++, line);
		oom |= m->recent[i].oom_killed;
		n++;
	}
	put(title, oom ? "Recently ended (" TOP_OOM_LEGEND ")" : "Recently ended", A_BOLD);
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
	utf8_terminal = !strcmp(nl_langinfo(CODESET), "UTF-8");
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
