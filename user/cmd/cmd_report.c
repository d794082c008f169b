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

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "by", required_argument, NULL, 'b' },
		{ "sort", required_argument, NULL, 's' },   { "top", required_argument, NULL, 't' },
		{ "asc", no_argument, NULL, 'a' },	    { "help", no_argument, NULL, 'h' },
		{},
	};
	static const char *const formats[] = { "text", "json", "csv" };
	static const char *const bys[] = { "ledger", "comm", "exe", "cgroup", "interpreter", "tree" };
	struct report_opts o = { .by = BY_LEDGER, .sort = sort_field_index("start") };
	bool sorted = false, flip = false;
	enum format fmt = FMT_TEXT;
	char note[256], err[256];
	struct document d;
	long long top;
	int opt, v, rc;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "f:b:s:t:ah", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if ((v = lookup(optarg, formats, ARRAY_SIZE(formats))) < 0)
				return usage_error(usage, "unknown --format '%s'", optarg);
			fmt = v;
			break;
		case 'b':
			if ((v = lookup(optarg, bys, ARRAY_SIZE(bys))) < 0)
				return usage_error(usage, "unknown --by '%s'", optarg);
			o.by = v;
			break;
		case 's':
			if ((v = sort_field_index(optarg)) < 0)
				return usage_error(usage, "unknown --sort field '%s' (peak, self, kernel, kernel_exit, kernel_live, kernel_exec, faulted, ledgers, pid, start, name)", optarg);
			o.sort = v;
			sorted = true;
			break;
		case 't':
			if ((top = parse_count(optarg)) <= 0 || top > 1000000000)
				return usage_error(usage, "--top needs a positive count, not '%s'", optarg);
			o.top = (long)top;
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
	if (caps_drop(CAPS_KEEP_NONE, err, sizeof(err))) { /* a recording may be hostile */
		fprintf(stderr, "memreap: %s\n", err);
		return EXIT_FAILURE_MEMREAP;
	}
	if (!sorted && o.by != BY_LEDGER && o.by != BY_TREE)
		o.sort = sort_field_index("kernel");
	o.ascending = natural_ascending(o.sort) != flip;
	f = fopen(argv[optind], "rb");
	if (!f) {
		fprintf(stderr, "memreap: cannot read %s: %s\n", argv[optind], strerror(errno));
		return EXIT_FAILURE_MEMREAP;
	}
	rc = rec_read(f, &d, note, sizeof(note), err, sizeof(err));
	fclose(f);
	if (rc < 0) {
		fprintf(stderr, "memreap: %s: %s\n", argv[optind], err);
		return EXIT_FAILURE_MEMREAP;
	}
	if (rc > 0)
		fprintf(stderr, "memreap: warning: %s: %s\n", argv[optind], note);
	if (fmt == FMT_JSON) {
		if (sorted)
			sort_ledgers(d.ledgers, d.n, o.sort, o.ascending);
		rc = out_json(stdout, &d) ? EXIT_FAILURE_MEMREAP : 0;
	} else if (fmt == FMT_CSV) {
		out_csv(stdout, &d, &o);
		rc = 0;
		if (!health_is_clean(&d.health)) { /* CSV has no room for it: nothing silent */
			fprintf(stderr, "memreap: warning: ");
			out_text_health(stderr, &d.health);
		}
	} else {
		out_text_report(stdout, &d, &o);
		rc = 0;
	}
	document_free(&d);
	if (fflush(stdout)) {
		fprintf(stderr, "memreap: writing the report: %s\n", strerror(errno));
		return EXIT_FAILURE_MEMREAP;
	}
	return rc;
}
