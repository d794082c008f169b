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
	printf("memreap %s (JSON schema %s, recording format %d, metrics %s)\n", MEMREAP_VERSION,
	       MR_SCHEMA, REC_VERSION, METRICS_CONTRACT);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run CMD and report who released its memory: itself or the kernel" },
	{ "record", cmd_record, "record ledgers to a file, system-wide or filtered" },
	{ "report", cmd_report, "print a recording as text, JSON or CSV" },
	{ "top", cmd_top, "live monitor of the whole machine (full-screen, or --batch)" },
	{ "exporter", cmd_exporter, "serve Prometheus metrics over HTTP (loopback by default)" },
	{ "doctor", cmd_doctor, "what this kernel offers, which path memreap takes on it, a self-test" },
	{ "version", cmd_version, "print the version and the contract versions" },
	{ "help", cmd_help, "this list" },
};

static int cmd_help(int argc, char **argv)
{
	printf("usage: memreap COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\n'memreap COMMAND --help' shows a command's options.\n");
	return 0;
}

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "memreap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\n", usage);
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

int scope_option(struct scope *s, int opt, const char *value, const char *usage)
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

int common_option(int opt, const char *usage, struct collector_opts *copts, char **argv)
{
	switch (opt) {
	case 'M':
	case 'R':
		if (!copts)
			break;
		return parse_collector_opt(copts, opt, optarg) ? EXIT_USAGE : -1;
	case 'h':
		puts(usage);
		return 0;
	}
	return usage_error(usage, "unknown option or missing value: %s", argv[optind - 1]);
}

int main(int argc, char **argv)
{
	opterr = 0; /* commands report bad options themselves, in one line */
	if (argc < 2)
		return cmd_help(0, NULL), EXIT_USAGE;
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(0, NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(0, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "memreap: unknown command '%s' (try 'memreap help')\n", argv[1]);
	return EXIT_USAGE;
}
