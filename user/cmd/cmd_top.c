// SPDX-License-Identifier: GPL-2.0
/* memreap top: a live monitor of the whole machine, full-screen or --batch like top -b. */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector.h"
#include "commands.h"
#include "top_screen.h"
#include "top_view.h"
#include "util.h"

static const struct cmd_option top_options[] = {
	{ "delay", 'd', true, "SECONDS", NULL, "time between frames, 0.1 to 3600 (default 1)" },
	{ "pid", 'p', true, "PID", NULL, "show the tree of PID: it and what it forks (repeatable)" },
	{ "comm", 'c', true, "NAME", NULL, "show processes named NAME (repeatable)" },
	{ "sort", 's', true, "FIELD", "pid comm rss peak released kernel age",
	  "the rows' order (default rss)" },
	{ "batch", 'b', true, NULL, NULL, "print frames as text, like top -b, for a pipe or a log" },
	{ "iterations", 'n', true, "N", NULL, "with --batch: stop after N frames (default: never)" },
	{ "no-color", 'C', false, NULL, NULL, "no colours" },
	OPT_MAP_ENTRIES,
	OPT_RINGBUF_SIZE,
	OPT_HELP,
	{ NULL },
};

const struct cmd_help top_help = {
	.name = "top",
	.summary = "live monitor of the whole machine (full-screen, or --batch)",
	.text = "Shows every process's resident memory live: its peak, what it released itself and\n"
		"what the kernel took, and what was freed; a pane lists the processes that ended\n"
		"recently and who gave their memory back. Needs root, or CAP_BPF and CAP_PERFMON.",
	.options = top_options,
	.more_title = "keys (full screen)",
	.more = top_keys_help,
	.example = "memreap top --batch -n 3 --sort peak",
};

static int sort_by_name(const char *name)
{
	for (int i = 0; i < TOP_NSORTS; i++)
		if (!strcmp(name, top_sort_names[i]))
			return i;
	return -1;
}

struct top_args {
	struct top_options o;
	struct collector_opts copts;
	long long iterations;
	bool batch;
};

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_top_args(int argc, char **argv, struct top_args *a, struct top_model *m)
{
	double delay;
	int opt, rc;

	while ((opt = cmd_getopt(argc, argv, &top_help)) != -1) {
		switch (opt) {
		case 'd':
			if ((delay = parse_seconds(optarg)) < 0.1 || delay > 3600)
				return usage_error(&top_help, "-d needs seconds from 0.1 to 3600, not '%s'", optarg);
			m->refresh_ns = (uint64_t)(delay * 1e9);
			break;
		case 'p':
		case 'c':
			if ((rc = scope_option(&m->scope, opt, optarg, &top_help)))
				return rc;
			break;
		case 's':
			if ((rc = sort_by_name(optarg)) < 0)
				return usage_error(&top_help, "unknown --sort field '%s'", optarg);
			a->o.sort = rc;
			break;
		case 'b':
			a->batch = true;
			break;
		case 'n':
			if ((a->iterations = parse_count(optarg)) <= 0)
				return usage_error(&top_help, "-n needs a positive count, not '%s'", optarg);
			break;
		case 'C':
			a->o.color = false;
			break;
		default:
			if ((rc = common_option(opt, &top_help, &a->copts, argv)) >= 0)
				return rc;
		}
	}
	if (optind < argc)
		return usage_error(&top_help, "unexpected argument '%s'", argv[optind]);
	if (a->iterations && !a->batch)
		return usage_error(&top_help, "-n goes with --batch");
	if (!a->batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		return usage_error(&top_help, "top needs a terminal; use --batch for a pipe or a log");
	a->o.ascending = a->o.sort == TOP_SORT_PID || a->o.sort == TOP_SORT_COMM;
	return -1;
}

int cmd_top(int argc, char **argv)
{
	struct top_args a = { .o = { .sort = TOP_SORT_RSS, .color = true } };
	struct top_model m = { .refresh_ns = 1000000000ull };
	char err[512];
	int rc;

	if ((rc = parse_top_args(argc, argv, &a, &m)) >= 0) {
		scope_free(&m.scope);
		return rc;
	}
	/*
	 * ncursesw writes the terminal's encoding: take it from the environment, only LC_CTYPE (a
	 * decimal comma would change the numbers), before the collector thread starts.
	 */
	if (!a.batch)
		setlocale(LC_CTYPE, "");
	if (top_model_start(&m, &a.copts, err, sizeof(err))) {
		fprintf(stderr, "memreap: %s\n", err);
		scope_free(&m.scope);
		return EXIT_FAILURE_MEMREAP;
	}
	rc = a.batch ? top_batch_run(&m, &a.o, a.iterations) : top_screen_run(&m, &a.o);
	if (rc < 0) {
		fprintf(stderr, "memreap: cannot initialise the terminal\n");
		rc = EXIT_FAILURE_MEMREAP;
	}
	top_model_stop(&m);
	return rc;
}
