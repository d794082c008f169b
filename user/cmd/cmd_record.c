// SPDX-License-Identifier: GPL-2.0
/* memreap record: write ledgers to a file as they end, system-wide or filtered. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "caps.h"
#include "collector.h"
#include "commands.h"
#include "out.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

enum { OPT_NO_ARGV = 256, OPT_INTERVAL, OPT_EVENT_MIN, OPT_NO_TIMELINE, OPT_NO_COMPRESS };

static const struct cmd_option record_options[] = {
	{ "output", 'o', true, "FILE", NULL, "the recording to write (required)" },
	{ "duration", 'd', true, "SECONDS", NULL, "stop after SECONDS (default: at ^C or CMD's end)" },
	{ "pid", 'p', true, "PID", NULL,
	  "keep the tree of PID: it and what it forks from now on (repeatable)" },
	{ "comm", 'c', true, "NAME", NULL, "keep processes named NAME (repeatable)" },
	{ "no-argv", OPT_NO_ARGV, false, NULL, NULL, "do not record command lines" },
	{ "interval", OPT_INTERVAL, false, "SECONDS", NULL,
	  "sample live ledgers that changed every SECONDS, 0.01 to 3600 (default 0.1 with --pid, "
	  "--comm or CMD, 1 system-wide)" },
	{ "event-min", OPT_EVENT_MIN, false, "SIZE", NULL,
	  "a release of at least SIZE by a process itself is a timeline event (default 1M)" },
	{ "no-timeline", OPT_NO_TIMELINE, false, NULL, NULL,
	  "no samples and no release events: ledgers and health only" },
	{ "no-compress", OPT_NO_COMPRESS, false, NULL, NULL,
	  "write format version 2, uncompressed, which memreap before version 3 reads" },
	OPT_MAP_ENTRIES,
	OPT_RINGBUF_SIZE,
	OPT_HELP,
	{ NULL },
};

const struct cmd_help record_help = {
	.name = "record",
	.args = "[-- CMD [ARG...]]",
	.stop_at_args = true,
	.summary = "record ledgers to a file, system-wide or filtered",
	.text = "Writes every ledger that ends to FILE as it ends, and at the end the ledgers still\n"
		"alive; a health record every second, so that a cut file still says what was lost.\n"
		"System-wide unless --pid or --comm choose processes (either matches). With CMD,\n"
		"records until CMD ends and exits with its status. `memreap report FILE` reads it.\n"
		"Needs root, or CAP_BPF and CAP_PERFMON.",
	.options = record_options,
	.example = "memreap record -o py.rec --comm python3 --duration 60",
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = sig;
}

static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

struct record_args {
	const char *output;
	double duration, interval;
	bool no_timeline, no_compress, timeline_option;
	struct collector_opts copts;
	struct scope scope;
	char **cmd;
};

/* A --pid that names no process would record nothing: an error before anything loads. */
static int check_pid(const char *value)
{
	long long pid = parse_count(value);
	char path[32];

	if (pid <= 0 || pid > 0x7fffffff)
		return 0; /* scope_option names the bad value */
	snprintf(path, sizeof(path), "/proc/%lld", pid);
	if (!access(path, F_OK))
		return 0;
	fprintf(stderr, "memreap: --pid %lld: no such process\n", pid);
	return EXIT_FAILURE_MEMREAP;
}

static int parse_option(struct record_args *a, int opt, char **argv)
{
	int rc;

	switch (opt) {
	case 'o':
		a->output = optarg;
		return -1;
	case 'd':
		a->duration = parse_seconds(optarg);
		if (a->duration < 0)
			return usage_error(&record_help, "--duration needs a positive number of seconds, not '%s'", optarg);
		return -1;
	case 'p':
	case 'c':
		if ((rc = scope_option(&a->scope, opt, optarg, &record_help)))
			return rc;
		return opt == 'p' && (rc = check_pid(optarg)) ? rc : -1;
	case OPT_NO_ARGV:
		a->copts.no_argv = true;
		return -1;
	case OPT_EVENT_MIN: /* 0 from here would read as --help */
		a->timeline_option = true;
		rc = event_min_option(&a->copts, optarg, &record_help);
		return rc ? rc : -1;
	case OPT_INTERVAL:
		a->timeline_option = true;
		rc = interval_option(&a->interval, optarg, &record_help);
		return rc ? rc : -1;
	case OPT_NO_TIMELINE:
		a->no_timeline = true;
		return -1;
	case OPT_NO_COMPRESS:
		a->no_compress = true;
		return -1;
	}
	return common_option(opt, &record_help, &a->copts, argv);
}

static int parse(int argc, char **argv, struct record_args *a)
{
	int opt, rc;

	while ((opt = cmd_getopt(argc, argv, &record_help)) != -1) {
		if ((rc = parse_option(a, opt, argv)) == 0)
			exit(0); /* --help */
		if (rc > 0)
			return rc;
	}
	if (!a->output)
		return usage_error(&record_help, "record needs -o FILE");
	if (a->no_timeline && a->timeline_option)
		return usage_error(&record_help,
				   "--no-timeline leaves no room for --interval or --event-min");
	if (a->no_timeline)
		a->copts.release_event_min = 0;
	a->cmd = optind < argc ? argv + optind : NULL;
	return 0;
}

/* A health record every second, so that a cut recording still says what was lost. */
static void record_health(struct session *s, uint64_t *last)
{
	struct health h;

	if (clock_ns(CLOCK_MONOTONIC) - *last <= 1000000000ull)
		return;
	*last = clock_ns(CLOCK_MONOTONIC);
	collector_health(s->collector, &h);
	if (!s->write_error)
		rec_add_health(s->rec, &h);
}

/* Record until a signal, --duration or CMD's end; returns true when CMD was reaped. */
static bool record_loop(struct session *s, const struct record_args *a, struct spawn *child,
			int *status)
{
	uint64_t deadline = 0, last_health = 0;
	bool cmd_done = false;

	if (a->duration > 0)
		deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(a->duration * 1e9);
	while (!stop && !(deadline && clock_ns(CLOCK_MONOTONIC) >= deadline)) {
		if (a->cmd && (cmd_done = spawn_wait(child, status, 1)))
			break;
		session_poll(s, 100);
		if (s->write_error && !a->cmd)
			break;
		record_health(s, &last_health);
	}
	/* Stopped by a signal: CMD gets it too. Stopped by --duration: CMD runs on. */
	if (a->cmd && !cmd_done && stop) {
		kill(child->pid, stop);
		cmd_done = spawn_wait(child, status, 0);
	}
	return cmd_done;
}

int cmd_record(int argc, char **argv)
{
	struct record_args a = { .copts.release_event_min = EVENT_MIN_DEFAULT };
	struct session s = { 0 };
	struct rec_writer rec;
	struct spawn child = { .pid = -1 };
	int rc, status = 0;
	bool cmd_done;
	char err[512];

	rc = parse(argc, argv, &a);
	if (rc)
		goto out_args;
	s.scope = a.scope; /* the session owns it from here */
	a.scope = (struct scope){ 0 };
	if (session_open(&s, &a.copts, err, sizeof(err))) {
		fprintf(stderr, "memreap: %s\n", err);
		rc = EXIT_FAILURE_MEMREAP;
		goto out;
	}
	if (rec_open(&rec, a.output, &s.doc.meta, !a.no_compress)) {
		fprintf(stderr, "memreap: cannot write recording %s: %s\n", a.output, strerror(errno));
		rc = EXIT_FAILURE_MEMREAP;
		goto out;
	}
	s.rec = &rec;
	if (!a.interval) /* a chosen few finely, the whole machine at a cost it does not notice */
		a.interval = a.cmd || s.scope.chosen ? 0.1 : 1.0;
	s.sample_every_ns = a.no_timeline ? 0 : (uint64_t)(a.interval * 1e9);
	catch_stop_signals();
	if (a.cmd && (rc = session_start_cmd(&s, &child, a.cmd, false)))
		goto out_rec;
	/* The file is open and CMD forked with every capability: drop what is not needed now. */
	if (caps_drop(a.cmd ? CAPS_KEEP_COMMAND : CAPS_KEEP_OBSERVE, err, sizeof(err)))
		fprintf(stderr, "memreap: warning: %s\n", err);
	cmd_done = record_loop(&s, &a, &child, &status);
	session_finish(&s);
	rc = cmd_done ? spawn_exit_code(status) : 0;
	if (s.write_error && !a.cmd)
		rc = EXIT_FAILURE_MEMREAP;
	fprintf(stderr, "memreap: recorded %llu %s to %s\n", (unsigned long long)s.accepted,
		s.accepted == 1 ? "ledger" : "ledgers", a.output);
	out_text_health(stderr, &s.doc.health);
out_rec:
	if (rec_close(&rec) && !s.write_error) {
		fprintf(stderr, "memreap: writing %s: %s\n", a.output, strerror(rec.error));
		rc = EXIT_FAILURE_MEMREAP;
	}
out:
	session_close(&s);
out_args:
	scope_free(&a.scope);
	return rc;
}
