// SPDX-License-Identifier: GPL-2.0
/* memreap top: a live monitor of the whole machine, full-screen or --batch like top -b. */
#include <getopt.h>
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

static const char usage[] =
	"usage: memreap top [-d SECONDS] [--pid PID]... [--comm NAME]... [--sort pid|comm|rss|peak|released|kernel|age] [--batch [-n ITERATIONS]] [--no-color] [--map-entries N] [--ringbuf-size BYTES]";

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
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },  { "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },   { "sort", required_argument, NULL, 's' },
		{ "batch", no_argument, NULL, 'b' },	    { "iterations", required_argument, NULL, 'n' },
		{ "no-color", no_argument, NULL, 'C' },	    { "map-entries", required_argument, NULL, 'M' },
		{ "ringbuf-size", required_argument, NULL, 'R' }, { "help", no_argument, NULL, 'h' },
		{},
	};
	double delay;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "d:p:c:s:bn:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if ((delay = parse_seconds(optarg)) < 0.1 || delay > 3600)
				return usage_error(usage, "-d needs seconds from 0.1 to 3600, not '%s'", optarg);
			m->refresh_ns = (uint64_t)(delay * 1e9);
			break;
		case 'p':
		case 'c':
			if ((rc = scope_option(&m->scope, opt, optarg, usage)))
				return rc;
			break;
		case 's':
			if ((rc = sort_by_name(optarg)) < 0)
				return usage_error(usage, "unknown --sort field '%s'", optarg);
			a->o.sort = rc;
			break;
		case 'b':
			a->batch = true;
			break;
		case 'n':
			if ((a->iterations = parse_count(optarg)) <= 0)
				return usage_error(usage, "-n needs a positive count, not '%s'", optarg);
			break;
		case 'C':
			a->o.color = false;
			break;
		default:
			if ((rc = common_option(opt, usage, &a->copts, argv)) >= 0)
				return rc;
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (a->iterations && !a->batch)
		return usage_error(usage, "-n goes with --batch");
	if (!a->batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		return usage_error(usage, "top needs a terminal; use --batch for a pipe or a log");
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
