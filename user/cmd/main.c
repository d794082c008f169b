// SPDX-License-Identifier: GPL-2.0
/* memreap: who gives memory back, the process or the kernel? One binary, a table of commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <getopt.h>
#include <unistd.h>
#include "collector.h"
#include "commands.h"
#include "scope.h"
#include "document.h"
#include "metrics.h"
#include "recording.h"
#include "util.h"

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return help_command(stdout, "version"), 0;
	printf("memreap %s (JSON schema %s, recording format %d, metrics %s)\n", MEMREAP_VERSION,
	       MR_SCHEMA, REC_VERSION, METRICS_CONTRACT);
	return 0;
}

static const struct cmd_option no_options[] = { OPT_HELP, { NULL } };

static const struct cmd_help version_help = {
	.name = "version",
	.summary = "print the version and the contract versions",
	.text = "Prints memreap's version, and those of its public contracts: the JSON schema, the\n"
		"recording format and the metrics.",
	.options = no_options,
	.example = "memreap version",
};

const struct command commands[] = {
	{ cmd_run, &run_help },
	{ cmd_record, &record_help },
	{ cmd_report, &report_help },
	{ cmd_top, &top_help },
	{ cmd_exporter, &exporter_help },
	{ cmd_doctor, &doctor_help },
	{ cmd_version, &version_help },
	{ cmd_help, &help_help },
};
const size_t ncommands = ARRAY_SIZE(commands);

int usage_error(const struct cmd_help *h, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "memreap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_print_usage(stderr, h);
	fprintf(stderr, "('memreap %s --help' lists every option)\n", h->name);
	return EXIT_USAGE;
}

int parse_collector_opt(struct collector_opts *o, int opt, const char *value)
{
	long long v = parse_count(value);

	if (opt == 'M') {
		if (v < 16 || v > (1 << 22)) {
			fprintf(stderr, "memreap: --map-entries needs a count from 16 to 4194304, not '%s'\n", value);
			return -1;
		}
		o->ledger_entries = (uint32_t)v;
		return 0;
	}
	if (v < 4096 || v > (1ll << 30) || (v & (v - 1))) {
		fprintf(stderr, "memreap: --ringbuf-size needs a power of two from 4096 to 1073741824, not '%s'\n", value);
		return -1;
	}
	o->ringbuf_bytes = (uint32_t)v;
	return 0;
}

int scope_option(struct scope *s, int opt, const char *value, const struct cmd_help *usage)
{
	long long pid;

	if (opt == 'p') {
		pid = parse_count(value);
		if (pid <= 0 || pid > 0x7fffffff)
			return usage_error(usage, "--pid needs a process id, not '%s'", value);
		scope_add_pid(s, (uint32_t)pid);
		return 0;
	}
	if (!*value || strlen(value) >= MR_COMM_LEN)
		return usage_error(usage, "--comm needs a name of 1 to %d characters", MR_COMM_LEN - 1);
	if (scope_add_comm(s, value))
		return usage_error(usage, "out of memory");
	return 0;
}

int event_min_option(struct collector_opts *copts, const char *value, const struct cmd_help *h)
{
	long long v = parse_size(value);

	if (v < 4096)
		return usage_error(h, "--event-min needs a size of at least 4K, not '%s'", value);
	copts->release_event_min = (uint64_t)v;
	return 0;
}

int interval_option(double *interval, const char *value, const struct cmd_help *h)
{
	*interval = parse_seconds(value);
	if (*interval < 0.01 || *interval > 3600)
		return usage_error(h, "--interval needs seconds from 0.01 to 3600, not '%s'", value);
	return 0;
}

int common_option(int opt, const struct cmd_help *h, struct collector_opts *copts, char **argv)
{
	const char *arg = argv[optind - 1];

	switch (opt) {
	case 'M':
	case 'R':
		if (!copts)
			break;
		return parse_collector_opt(copts, opt, optarg) ? EXIT_USAGE : -1;
	case 'h':
		cmd_print_help(stdout, h);
		return 0;
	case ':':
		return usage_error(h, "%s needs a value", arg);
	}
	if (optopt && optopt < 256 && arg[0] == '-' && arg[1] != '-')
		return usage_error(h, "unknown option -%c", optopt);
	return usage_error(h, "unknown option %s", arg);
}

int main(int argc, char **argv)
{
	opterr = 0; /* commands report bad options themselves, in one line */
	if (argc < 2)
		return help_list(stderr), EXIT_USAGE;
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(0, NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help_list(stdout), 0;
	for (size_t i = 0; i < ncommands; i++)
		if (!strcmp(argv[1], commands[i].help->name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "memreap: unknown command '%s' (try 'memreap help')\n", argv[1]);
	return EXIT_USAGE;
}
