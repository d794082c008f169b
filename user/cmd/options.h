/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One table per command holds its options: getopt_long's arrays are made from it, and so are
 * its --help, `memreap help COMMAND`, the man page and the shell completion.
 */
#ifndef MR_OPTIONS_H
#define MR_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

struct cmd_option {
	const char *name;	/* --name */
	int key;		/* what cmd_getopt returns: a letter, or a code above 255 */
	bool letter;		/* -key is accepted too */
	const char *value;	/* NULL for a flag, else the value's name: "FILE", "N" */
	const char *choices;	/* the values, space-separated, if they are a fixed set */
	const char *help;	/* what it does, its default */
};

struct cmd_help {
	const char *name;
	const char *args;	/* what follows the options: "-- CMD [ARG...]" */
	bool stop_at_args;	/* the first operand ends the options (CMD's own follow) */
	const char *summary;	/* one line, for `memreap help` */
	const char *text;	/* what it does, in a paragraph */
	const struct cmd_option *options; /* ends with { NULL } */
	const char *example;
	const char *more_title;	/* a further section: top's keys */
	const char *more;	/* its lines, each indented */
};

/* Options every command that loads BPF takes, and --help. */
#define OPT_MAP_ENTRIES { "map-entries", 'M', false, "N", NULL, \
	"ledger slots in the BPF map (default 32768)" }
#define OPT_RINGBUF_SIZE { "ringbuf-size", 'R', false, "BYTES", NULL, \
	"the ring buffer's size, a power of two (default 4194304)" }
#define OPT_HELP { "help", 'h', true, NULL, NULL, "print this help and exit" }

/* getopt_long over h's options; the same return values. */
int cmd_getopt(int argc, char **argv, const struct cmd_help *h);
/* "usage: memreap run [OPTIONS] -- CMD [ARG...]" */
void cmd_print_usage(FILE *f, const struct cmd_help *h);
/* The usage, the paragraph, every option with its values and default, the example. */
void cmd_print_help(FILE *f, const struct cmd_help *h);

#endif
