// SPDX-License-Identifier: GPL-2.0
/* memreap run: observe CMD and its descendants from CMD's exec on; summarize at the end. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "caps.h"
#include "collector.h"
#include "commands.h"
#include "out.h"
#include "session.h"
#include "spawn.h"

static const char usage[] =
	"usage: memreap run [-q] [--json FILE] [-o RECORDING] [--map-entries N] [--ringbuf-size BYTES] -- CMD [ARG...]";

static volatile sig_atomic_t forward_signal;

static void on_signal(int sig)
{
	forward_signal = sig;
}

static void relay_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* Like time(1): the terminal's ^C and ^\ go to CMD; memreap outlives it to report. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Opened before capabilities are dropped: a root user may write where only CAP_DAC_OVERRIDE can. */
static FILE *open_json(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		fprintf(stderr, "memreap: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static int write_json(FILE *f, const char *path, const struct document *d)
{
	int rc = out_json(f, d);

	if (f != stdout)
		rc |= fclose(f);
	else
		rc |= fflush(f);
	if (rc)
		fprintf(stderr, "memreap: writing %s failed\n", path);
	return rc ? -1 : 0;
}

struct run_args {
	struct collector_opts copts;
	const char *json, *recording;
	bool quiet;
	char **cmd;
};

static int parse(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "map-entries", required_argument, NULL, 'M' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+qj:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			a->quiet = true;
			break;
		case 'j':
			a->json = optarg;
			break;
		case 'o':
			a->recording = optarg;
			break;
		default:
			if ((rc = common_option(opt, usage, &a->copts, argv)) >= 0)
				return rc ? rc : -1; /* -1: --help, done */
		}
	}
	if (optind >= argc)
		return usage_error(usage, "run needs a command");
	a->cmd = argv + optind;
	return 0;
}

/* Until CMD ends, passing it SIGTERM and SIGHUP; its wait status. */
static int follow_cmd(struct session *s, struct spawn *child)
{
	int status = 0;

	while (!spawn_wait(child, &status, 1)) {
		if (forward_signal) {
			kill(child->pid, forward_signal);
			forward_signal = 0;
		}
		session_poll(s, 100);
	}
	return status;
}

/* The summary, the JSON document and the recording's end: CMD's status, or 1 if one failed. */
static int report(struct session *s, const struct run_args *a, FILE *json, int status)
{
	int rc = spawn_exit_code(status);

	session_finish(s);
	if (!a->quiet)
		out_text_run_summary(stderr, &s->doc, s->cmd_pid);
	if (json && write_json(json, a->json, &s->doc))
		rc = EXIT_FAILURE_MEMREAP;
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct session s = { .keep = true };
	struct rec_writer rec;
	struct spawn child;
	FILE *json = NULL;
	char err[512];
	int rc;

	rc = parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = EXIT_FAILURE_MEMREAP;
	if (session_open(&s, &a.copts, err, sizeof(err))) {
		fprintf(stderr, "memreap: %s\n", err);
		goto out;
	}
	if (a.recording && rec_open(&rec, a.recording, &s.doc.meta)) {
		fprintf(stderr, "memreap: cannot write recording %s: %s\n", a.recording,
			strerror(errno));
		goto out;
	}
	s.rec = a.recording ? &rec : NULL;
	if (a.json && !(json = open_json(a.json)))
		goto out_rec;
	relay_signals();
	/* CMD is forked with every capability; memreap keeps what observing and signals need. */
	rc = session_start_cmd(&s, &child, a.cmd, true);
	if (caps_drop(CAPS_KEEP_COMMAND, err, sizeof(err)))
		fprintf(stderr, "memreap: warning: %s\n", err);
	if (!rc)
		rc = report(&s, &a, json, follow_cmd(&s, &child));
	else if (json && json != stdout)
		fclose(json);
out_rec:
	if (s.rec && rec_close(s.rec) && !s.write_error) {
		fprintf(stderr, "memreap: writing %s: %s\n", a.recording, strerror(rec.error));
		rc = EXIT_FAILURE_MEMREAP;
	}
out:
	session_close(&s);
	return rc;
}
