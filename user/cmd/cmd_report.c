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
#include "util.h"

static const char usage[] =
	"usage: memreap report FILE [--format text|json|csv] [--by ledger|comm|exe|cgroup|interpreter|tree] [--sort FIELD] [--asc] [--top N]";

enum format { FMT_TEXT, FMT_JSON, FMT_CSV };

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

struct report_args {
	enum format fmt;
	struct report_opts o;
	bool sorted; /* --sort given: JSON keeps the recording's order otherwise */
	const char *file;
};

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_report_args(int argc, char **argv, struct report_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "by", required_argument, NULL, 'b' },
		{ "sort", required_argument, NULL, 's' },   { "top", required_argument, NULL, 't' },
		{ "asc", no_argument, NULL, 'a' },	    { "help", no_argument, NULL, 'h' },
		{},
	};
	static const char *const formats[] = { "text", "json", "csv" };
	static const char *const bys[] = { "ledger", "comm", "exe", "cgroup", "interpreter", "tree" };
	bool flip = false;
	long long top;
	int opt, v, rc;

	while ((opt = getopt_long(argc, argv, "f:b:s:t:ah", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if ((v = lookup(optarg, formats, ARRAY_SIZE(formats))) < 0)
				return usage_error(usage, "unknown --format '%s'", optarg);
			a->fmt = v;
			break;
		case 'b':
			if ((v = lookup(optarg, bys, ARRAY_SIZE(bys))) < 0)
				return usage_error(usage, "unknown --by '%s'", optarg);
			a->o.by = v;
			break;
		case 's':
			if ((v = sort_field_index(optarg)) < 0)
				return usage_error(usage, "unknown --sort field '%s' (peak, self, kernel, kernel_exit, kernel_live, kernel_exec, faulted, ledgers, pid, start, name)", optarg);
			a->o.sort = v;
			a->sorted = true;
			break;
		case 't':
			if ((top = parse_count(optarg)) <= 0 || top > 1000000000)
				return usage_error(usage, "--top needs a positive count, not '%s'", optarg);
			a->o.top = (long)top;
			break;
		case 'a':
			flip = true;
			break;
		default:
			if ((rc = common_option(opt, usage, NULL, argv)) >= 0)
				return rc;
		}
	}
	if (optind != argc - 1)
		return usage_error(usage, "report needs exactly one recording FILE");
	a->file = argv[optind];
	if (!a->sorted && a->o.by != BY_LEDGER && a->o.by != BY_TREE)
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
	if (a->fmt == FMT_JSON) {
		if (a->sorted)
			sort_ledgers(d->ledgers, d->n, a->o.sort, a->o.ascending);
		return out_json(stdout, d) ? EXIT_FAILURE_MEMREAP : 0;
	}
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
	rc = print_report(&a, &d);
	document_free(&d);
	if (fflush(stdout)) {
		fprintf(stderr, "memreap: writing the report: %s\n", strerror(errno));
		return EXIT_FAILURE_MEMREAP;
	}
	return rc;
}
