// SPDX-License-Identifier: GPL-2.0
/* memreap report: read a recording and print it as text, JSON or CSV. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "caps.h"
#include "commands.h"
#include "out.h"
#include "recording.h"
#include "tree.h"
#include "util.h"

enum { OPT_MIN_PEAK = 256, OPT_PID, OPT_COMM };

#define SORT_FIELDS "peak self kernel kernel_exit kernel_live kernel_exec faulted freed ledgers pid start name"

static const struct cmd_option report_options[] = {
	{ "format", 'f', true, "FORMAT", "text json csv trace html",
	  "the output (default text); trace: Chrome Trace Event JSON for ui.perfetto.dev; html: "
	  "one self-contained page, a chart over time and the tree" },
	{ "by", 'b', true, "ROWS", "ledger comm exe cgroup interpreter tree",
	  "one row per ledger (default), per group of ledgers, or the process tree" },
	{ "sort", 's', true, "FIELD", SORT_FIELDS,
	  "the rows' order: numbers largest first, pid, start and name ascending (default start; "
	  "kernel for groups; the tree orders siblings)" },
	{ "asc", 'a', true, NULL, NULL, "reverse the sort's natural order" },
	{ "top", 't', true, "N",  NULL,
	  "keep the N largest rows by the sort field (by peak when sorting by pid, start, name)" },
	{ "min-peak", OPT_MIN_PEAK, false, "SIZE", NULL,
	  "keep rows whose peak is at least SIZE (512K, 100M, 1.5G)" },
	{ "pid", OPT_PID, false, "PID", NULL,
	  "report only the tree of PID: it and what it forked (repeatable; totals cover these)" },
	{ "comm", OPT_COMM, false, "NAME", NULL, "report only processes named NAME (repeatable)" },
	OPT_HELP,
	{ NULL },
};

const struct cmd_help report_help = {
	.name = "report",
	.args = "FILE",
	.summary = "print a recording as text, JSON or CSV",
	.text = "Reads a recording made by `memreap record` or `memreap run -o` and prints its\n"
		"ledgers. Every option works in every format: the JSON document and the CSV hold the\n"
		"same rows as the text table (a grouped JSON document has \"groups\" for \"ledgers\";\n"
		"a limited one says what it left out in \"selection\"). Totals cover every ledger.\n"
		"A cut recording is read up to its last whole record, with a warning.",
	.options = report_options,
	.example = "memreap report make.rec --by tree --top 10",
};

enum format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_TRACE, FMT_HTML };

static int lookup(const char *value, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(value, names[i]))
			return (int)i;
	return -1;
}

/* Numbers sort largest first; pid, start and name in their natural order. */
static bool natural_ascending(int field)
{
	return !strcmp(sort_fields[field], "pid") || !strcmp(sort_fields[field], "start") ||
	       !strcmp(sort_fields[field], "name");
}

#define MAX_CHOSEN 64

struct report_args {
	enum format fmt;
	struct report_opts o;
	uint32_t pids[MAX_CHOSEN];
	const char *comms[MAX_CHOSEN];
	struct keep keep;
	const char *file;
};

static int parse_choice(const char *value, int *out, const char *const *names, size_t n,
			const char *option)
{
	int v = lookup(value, names, n);

	if (v < 0)
		return usage_error(&report_help, "unknown %s '%s'", option, value);
	*out = v;
	return -1;
}

static int parse_number(const char *value, struct report_opts *o, int opt)
{
	long long v = opt == 't' ? parse_count(value) : parse_size(value);

	if (opt == 't' && (v <= 0 || v > 1000000000))
		return usage_error(&report_help, "--top needs a positive count, not '%s'", value);
	if (v < 0)
		return usage_error(&report_help,
				   "--min-peak needs a size (4096, 512K, 100M, 1.5G), not '%s'", value);
	if (opt == 't')
		o->top = (long)v;
	else
		o->min_peak = (uint64_t)v;
	return -1;
}

static int parse_chosen(int opt, const char *value, struct report_args *a)
{
	long long pid = parse_count(value);

	if (a->keep.npids + a->keep.ncomms >= MAX_CHOSEN)
		return usage_error(&report_help, "at most %d --pid and --comm", MAX_CHOSEN);
	if (opt == OPT_COMM) {
		a->comms[a->keep.ncomms++] = value;
		return -1;
	}
	if (pid <= 0 || pid > 0x7fffffff)
		return usage_error(&report_help, "--pid needs a process id, not '%s'", value);
	a->pids[a->keep.npids++] = (uint32_t)pid;
	return -1;
}

/* One option; -1 when parsing goes on, else the exit code. */
static int parse_report_option(int opt, struct report_args *a, bool *flip, char **argv)
{
	static const char *const formats[] = { "text", "json", "csv", "trace", "html" };
	static const char *const bys[] = { "ledger", "comm", "exe", "cgroup", "interpreter", "tree" };
	int v = 0, rc;

	switch (opt) {
	case 'f':
		rc = parse_choice(optarg, &v, formats, ARRAY_SIZE(formats), "--format");
		a->fmt = v;
		return rc;
	case 'b':
		rc = parse_choice(optarg, &v, bys, ARRAY_SIZE(bys), "--by");
		a->o.by = v;
		return rc;
	case 's':
		if ((v = sort_field_index(optarg)) < 0)
			return usage_error(&report_help, "unknown --sort field '%s' (%s)", optarg,
					   SORT_FIELDS);
		a->o.sort = v;
		a->o.sorted = true;
		return -1;
	case 't':
	case OPT_MIN_PEAK:
		return parse_number(optarg, &a->o, opt);
	case 'a':
		*flip = true;
		return -1;
	case OPT_PID:
	case OPT_COMM:
		return parse_chosen(opt, optarg, a);
	}
	return common_option(opt, &report_help, NULL, argv);
}

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_report_args(int argc, char **argv, struct report_args *a)
{
	bool flip = false;
	int opt, rc;

	while ((opt = cmd_getopt(argc, argv, &report_help)) != -1)
		if ((rc = parse_report_option(opt, a, &flip, argv)) >= 0)
			return rc;
	if (optind != argc - 1)
		return usage_error(&report_help, "report needs exactly one recording FILE");
	a->file = argv[optind];
	if (!a->o.sorted && a->o.by != BY_LEDGER && a->o.by != BY_TREE)
		a->o.sort = sort_field_index("kernel");
	a->o.ascending = natural_ascending(a->o.sort) != flip;
	return -1;
}

static int read_recording(const char *path, struct document *d)
{
	char note[256], err[256];
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		fprintf(stderr, "memreap: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = rec_read(f, d, note, sizeof(note), err, sizeof(err));
	fclose(f);
	if (rc < 0) {
		fprintf(stderr, "memreap: %s: %s\n", path, err);
		return -1;
	}
	if (rc > 0)
		fprintf(stderr, "memreap: warning: %s: %s\n", path, note);
	return 0;
}

static int print_report(const struct report_args *a, struct document *d)
{
	if (a->fmt == FMT_JSON)
		return out_json_report(stdout, d, &a->o) ? EXIT_FAILURE_MEMREAP : 0;
	if (a->fmt == FMT_TRACE) {
		if (a->o.by != BY_LEDGER)
			return usage_error(&report_help, "--format trace has one track per ledger: "
					   "--by goes with text, json and csv");
		return out_trace(stdout, d, &a->o) ? EXIT_FAILURE_MEMREAP : 0;
	}
	if (a->fmt == FMT_HTML)
		return out_html(stdout, d, &a->o) ? EXIT_FAILURE_MEMREAP : 0;
	if (a->fmt == FMT_CSV) {
		out_csv(stdout, d, &a->o);
		if (!health_is_clean(&d->health)) { /* CSV has no room for it: nothing silent */
			fprintf(stderr, "memreap: warning: ");
			out_text_health(stderr, &d->health);
		}
		return 0;
	}
	out_text_report(stdout, d, &a->o);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = { .fmt = FMT_TEXT,
				 .o = { .by = BY_LEDGER, .sort = sort_field_index("start") } };
	struct document d;
	char err[256];
	int rc;

	if ((rc = parse_report_args(argc, argv, &a)) >= 0)
		return rc;
	if (caps_drop(CAPS_KEEP_NONE, err, sizeof(err))) { /* a recording may be hostile */
		fprintf(stderr, "memreap: %s\n", err);
		return EXIT_FAILURE_MEMREAP;
	}
	if (read_recording(a.file, &d))
		return EXIT_FAILURE_MEMREAP;
	a.keep.pids = a.pids;
	a.keep.comms = a.comms;
	if (document_keep(&d, &a.keep)) {
		fprintf(stderr, "memreap: out of memory\n");
		document_free(&d);
		return EXIT_FAILURE_MEMREAP;
	}
	rc = print_report(&a, &d);
	document_free(&d);
	if (fflush(stdout)) {
		fprintf(stderr, "memreap: writing the report: %s\n", strerror(errno));
		return EXIT_FAILURE_MEMREAP;
	}
	return rc;
}
