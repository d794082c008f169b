/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands, one file each. Exit codes: see README ("Exit status"). */
#ifndef MR_COMMANDS_H
#define MR_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#define EXIT_USAGE 2
#define EXIT_FAILURE_MEMREAP 1
#define EXIT_CANNOT_RUN 127

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_exporter(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#include "options.h"

extern const struct cmd_help run_help, record_help, report_help, top_help, exporter_help,
	doctor_help, help_help;

/* The table of commands (main.c): `memreap NAME` runs run(). */
struct command {
	int (*run)(int argc, char **argv);
	const struct cmd_help *help;
};
extern const struct command commands[];
extern const size_t ncommands;

/* cmd_help.c: memreap help [COMMAND | --man | --bash-completion]. */
int cmd_help(int argc, char **argv);
void help_list(FILE *f);
/* A command's --help; false if there is no such command. */
bool help_command(FILE *f, const char *name);

/* "memreap: <message>" on stderr, then the usage line of the command; returns EXIT_USAGE. */
int usage_error(const struct cmd_help *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Parse --map-entries (opt M) or --ringbuf-size (opt R); 0, or -1 after printing why. */
struct collector_opts;
int parse_collector_opt(struct collector_opts *o, int opt, const char *value);
/* --pid (opt 'p') or --comm ('c') into a scope; 0, or EXIT_USAGE after the one-line error. */
struct scope;
int scope_option(struct scope *s, int opt, const char *value, const struct cmd_help *h);
/* --event-min SIZE into copts; 0, or EXIT_USAGE after the one-line error. */
#define EVENT_MIN_DEFAULT (1ull << 20)
int event_min_option(struct collector_opts *copts, const char *value, const struct cmd_help *h);
/* --interval SECONDS (0.01 to 3600); 0, or EXIT_USAGE after the one-line error. */
int interval_option(double *interval, const char *value, const struct cmd_help *h);
/*
 * The end of every command's option switch: --help, --map-entries and --ringbuf-size (when copts
 * is given), and the one-line error for anything else (naming an option that lacks its value). Returns -1 when parsing goes on, else the
 * exit status to return (0 after --help).
 */
int common_option(int opt, const struct cmd_help *h, struct collector_opts *copts, char **argv);

#endif
