// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <string.h>
#include "options.h"

#define MAX_OPTIONS 32

int cmd_getopt(int argc, char **argv, const struct cmd_help *h)
{
	static struct option longs[MAX_OPTIONS + 1];
	static char shorts[2 * MAX_OPTIONS + 3];
	size_t n = 0, s = 0;

	if (h->stop_at_args)
		shorts[s++] = '+';
	shorts[s++] = ':'; /* a missing value returns ':', not '?' */
	for (const struct cmd_option *o = h->options; o->name && n < MAX_OPTIONS; o++, n++) {
		longs[n] = (struct option){ o->name, o->value ? required_argument : no_argument,
					    NULL, o->key };
		if (!o->letter)
			continue;
		shorts[s++] = (char)o->key;
		if (o->value)
			shorts[s++] = ':';
	}
	longs[n] = (struct option){ 0 };
	shorts[s] = '\0';
	return getopt_long(argc, argv, shorts, longs, NULL);
}

void cmd_print_usage(FILE *f, const struct cmd_help *h)
{
	fprintf(f, "usage: memreap %s [OPTIONS]%s%s\n", h->name, h->args ? " " : "",
		h->args ? h->args : "");
}

#define HELP_COLUMN 31
#define HELP_WIDTH 100

/* Words from s, wrapped at HELP_WIDTH, continuation lines under HELP_COLUMN. */
static void print_wrapped(FILE *f, const char *s, int start)
{
	int column = start;

	while (*s) {
		size_t word = strcspn(s, " ");

		if (column > start && column + 1 + (int)word > HELP_WIDTH) {
			fprintf(f, "\n%*s", start, "");
			column = start;
		} else if (column > start) {
			fputc(' ', f);
			column++;
		}
		fprintf(f, "%.*s", (int)word, s);
		column += (int)word;
		s += word;
		s += strspn(s, " ");
	}
	fputc('\n', f);
}

static void print_option(FILE *f, const struct cmd_option *o)
{
	char left[64], help[512];
	int n;

	if (o->letter)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->value && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->value);
	snprintf(help, sizeof(help), o->choices ? "%s; one of: %s" : "%s", o->help, o->choices);
	fprintf(f, "  %-*s", HELP_COLUMN - 3, left);
	print_wrapped(f, help, HELP_COLUMN - 1);
}

void cmd_print_help(FILE *f, const struct cmd_help *h)
{
	cmd_print_usage(f, h);
	fprintf(f, "\n%s\n", h->text);
	if (h->options && h->options->name) {
		fprintf(f, "\noptions:\n");
		for (const struct cmd_option *o = h->options; o->name; o++)
			print_option(f, o);
	}
	if (h->more)
		fprintf(f, "\n%s:\n%s", h->more_title, h->more);
	if (h->example)
		fprintf(f, "\nexample:\n  %s\n", h->example);
}
