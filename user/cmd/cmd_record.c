// SPDX-License-Identifier: GPL-2.0
/* memreap record: write ledgers to a file as they end, system-wide or filtered. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include "caps.h"
#include "collector.h"
#include "commands.h"
#include "out.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

static const char usage[] =
	"usage: memreap record -o FILE [--duration SEC] [--pid PID]... [--comm NAME]... [--map-entries N] [--ringbuf-size BYTES] [-- CMD [ARG...]]";

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
	double duration;
	struct collector_opts copts;
	struct scope scope;
	char **cmd;
};

static int parse(int argc, char **argv, struct record_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "map-entries", required_argument, NULL, 'M' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+o:d:p:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			a->output = optarg;
			break;
		case 'd':
			a->duration = parse_seconds(optarg);
			if (a->duration < 0)
				return usage_error(usage, "--duration needs a positive number of seconds, not '%s'", optarg);
			break;
		case 'p':
		case 'c':
			if ((rc = scope_option(&a->scope, opt, optarg, usage)))
				return rc;
			break;
		default:
			if ((rc = common_option(opt, usage, &a->copts, argv)) == 0)
				exit(0); /* --help */
			if (rc > 0)
				return rc;
		}
	}
	if (!a->output)
		return usage_error(usage, "record needs -o FILE");
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
	struct record_args a = { 0 };
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
	if (rec_open(&rec, a.output, &s.doc.meta)) {
		fprintf(stderr, "memreap: cannot write recording %s: %s\n", a.output, strerror(errno));
		rc = EXIT_FAILURE_MEMREAP;
		goto out;
	}
	s.rec = &rec;
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
	fprintf(stderr, "memreap: recorded %llu ledgers to %s\n", (unsigned long long)s.accepted,
		a.output);
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
