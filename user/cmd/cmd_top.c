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
	for (int i = 0; i < NTOP_SORTS; i++)
		if (!strcmp(name, top_sort_names[i]))
			return i;
	return -1;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts))
		;
}

static int batch(struct top_model *m, struct top_options *o, long long iterations)
{
	top_model_wait(m, 0, 5000);
	for (long long i = 0; !iterations || i < iterations; i++) {
		if (i)
			sleep_ns(m->refresh_ns);
		top_print_batch(stdout, m, o->sort, o->ascending, o->filter);
		if (ferror(stdout))
			return EXIT_FAILURE_MEMREAP;
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },  { "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },   { "sort", required_argument, NULL, 's' },
		{ "batch", no_argument, NULL, 'b' },	    { "iterations", required_argument, NULL, 'n' },
		{ "no-color", no_argument, NULL, 'C' },	    { "map-entries", required_argument, NULL, 'M' },
		{ "ringbuf-size", required_argument, NULL, 'R' }, { "help", no_argument, NULL, 'h' },
		{},
	};
	struct top_options o = { .sort = SORT_RSS, .color = true };
	struct top_model m = { .refresh_ns = 1000000000ull };
	struct collector_opts copts = { 0 };
	long long iterations = 0, pid;
	bool is_batch = false;
	size_t ncomms = 0;
	char err[512];
	double delay;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "d:p:c:s:bn:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if ((delay = parse_seconds(optarg)) < 0.1 || delay > 3600)
				return usage_error(usage, "-d needs seconds from 0.1 to 3600, not '%s'", optarg);
			m.refresh_ns = (uint64_t)(delay * 1e9);
			break;
		case 'p':
			if ((pid = parse_count(optarg)) <= 0 || pid > 0x7fffffff)
				return usage_error(usage, "--pid needs a process id, not '%s'", optarg);
			m.pids = realloc(m.pids, (m.npids + 1) * sizeof(*m.pids));
			m.pids[m.npids++] = (uint32_t)pid;
			break;
		case 'c':
			m.comms = realloc(m.comms, (ncomms + 2) * sizeof(*m.comms));
			m.comms[ncomms++] = optarg;
			m.comms[ncomms] = NULL;
			break;
		case 's':
			if ((rc = sort_by_name(optarg)) < 0)
				return usage_error(usage, "unknown --sort field '%s'", optarg);
			o.sort = rc;
			break;
		case 'b':
			is_batch = true;
			break;
		case 'n':
			if ((iterations = parse_count(optarg)) <= 0)
				return usage_error(usage, "-n needs a positive count, not '%s'", optarg);
			break;
		case 'C':
			o.color = false;
			break;
		default:
			if ((rc = common_option(opt, usage, &copts, argv)) >= 0)
				return rc;
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (iterations && !is_batch)
		return usage_error(usage, "-n goes with --batch");
	if (!is_batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		return usage_error(usage, "top needs a terminal; use --batch for a pipe or a log");
	o.ascending = o.sort == SORT_PID || o.sort == SORT_COMM;
	if (top_model_start(&m, &copts, err, sizeof(err))) {
		fprintf(stderr, "memreap: %s\n", err);
		rc = EXIT_FAILURE_MEMREAP;
		goto out;
	}
	rc = is_batch ? batch(&m, &o, iterations) : top_screen_run(&m, &o);
	if (rc < 0) {
		fprintf(stderr, "memreap: cannot initialise the terminal\n");
		rc = EXIT_FAILURE_MEMREAP;
	}
	top_model_stop(&m);
out:
	free(m.pids);
	free(m.comms);
	return rc;
}
