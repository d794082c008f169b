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
	char **comms;
	size_t ncomms;
	uint32_t *pids;
	size_t npids;
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
	long long pid;
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
			pid = parse_count(optarg);
			if (pid <= 0 || pid > 0x7fffffff)
				return usage_error(usage, "--pid needs a process id, not '%s'", optarg);
			a->pids = realloc(a->pids, (a->npids + 1) * sizeof(*a->pids));
			a->pids[a->npids++] = (uint32_t)pid;
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= MR_COMM_LEN)
				return usage_error(usage, "--comm needs a name of 1 to %d characters", MR_COMM_LEN - 1);
			a->comms = realloc(a->comms, (a->ncomms + 2) * sizeof(*a->comms));
			a->comms[a->ncomms++] = optarg;
			a->comms[a->ncomms] = NULL;
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

static int start_cmd(struct session *s, struct spawn *child, char **cmd)
{
	int e;

	if (spawn_paused(child, cmd)) {
		fprintf(stderr, "memreap: cannot fork: %s\n", strerror(errno));
		return EXIT_FAILURE_MEMREAP;
	}
	s->cmd_pid = (uint32_t)child->pid;
	e = spawn_release(child);
	if (e) {
		int status;

		fprintf(stderr, "memreap: cannot run %s: %s\n", cmd[0], strerror(e));
		spawn_wait(child, &status, 0);
		return EXIT_CANNOT_RUN;
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_args a = { 0 };
	struct session s = { 0 };
	struct rec_writer rec;
	struct spawn child = { .pid = -1 };
	uint64_t deadline = 0, last_health = 0;
	int rc, status = 0;
	bool cmd_done = false;
	char err[512];

	rc = parse(argc, argv, &a);
	if (rc)
		goto out_args;
	s.filtered = a.npids || a.ncomms;
	s.comms = a.comms;
	for (size_t i = 0; i < a.npids; i++)
		follow_add(&s.tree, a.pids[i]);
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
	if (a.cmd && (rc = start_cmd(&s, &child, a.cmd)))
		goto out_rec;
	/* The file is open and CMD forked with every capability: drop what is not needed now. */
	if (caps_drop(a.cmd ? CAPS_KEEP_COMMAND : CAPS_KEEP_OBSERVE, err, sizeof(err)))
		fprintf(stderr, "memreap: warning: %s\n", err);
	if (a.duration > 0)
		deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(a.duration * 1e9);
	while (!stop && !(deadline && clock_ns(CLOCK_MONOTONIC) >= deadline)) {
		if (a.cmd && (cmd_done = spawn_wait(&child, &status, 1)))
			break;
		session_poll(&s, 100);
		if (s.write_error && !a.cmd)
			break;
		if (clock_ns(CLOCK_MONOTONIC) - last_health > 1000000000ull) {
			struct health h;

			last_health = clock_ns(CLOCK_MONOTONIC);
			collector_health(s.collector, &h);
			if (!s.write_error)
				rec_add_health(s.rec, &h);
		}
	}
	/* Stopped by a signal: CMD gets it too. Stopped by --duration: CMD runs on. */
	if (a.cmd && !cmd_done && stop) {
		kill(child.pid, stop);
		cmd_done = spawn_wait(&child, &status, 0);
	}
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
	free(a.pids);
	free(a.comms);
	return rc;
}
