// SPDX-License-Identifier: GPL-2.0
/* memreap run: observe CMD and its descendants from CMD's exec on; summarize at the end. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
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

/* CMD's interpreter must be watched before CMD starts, or its shutdown could be missed. */
static void watch_cmd(struct session *s, const char *cmd)
{
	char path[PATH_MAX], *dirs, *save = NULL;

	if (strchr(cmd, '/')) {
		collector_watch(s->collector, cmd);
		return;
	}
	dirs = strdup(getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", d, cmd);
		if (!access(path, X_OK)) {
			collector_watch(s->collector, path);
			break;
		}
	}
	free(dirs);
}

int cmd_run(int argc, char **argv)
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
	struct collector_opts copts = { 0 };
	struct session s = { .filtered = true, .keep = true };
	struct rec_writer rec;
	const char *json = NULL, *recording = NULL;
	FILE *json_file = NULL;
	bool quiet = false;
	char err[512];
	struct spawn child;
	int opt, status = 0, e, rc;

	while ((opt = getopt_long(argc, argv, "+qj:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			quiet = true;
			break;
		case 'j':
			json = optarg;
			break;
		case 'o':
			recording = optarg;
			break;
		default:
			if ((rc = common_option(opt, usage, &copts, argv)) >= 0)
				return rc;
		}
	}
	if (optind >= argc)
		return usage_error(usage, "run needs a command");
	if (session_open(&s, &copts, err, sizeof(err))) {
		fprintf(stderr, "memreap: %s\n", err);
		return EXIT_FAILURE_MEMREAP;
	}
	if (recording) {
		if (rec_open(&rec, recording, &s.doc.meta)) {
			fprintf(stderr, "memreap: cannot write recording %s: %s\n", recording,
				strerror(errno));
			session_close(&s);
			return EXIT_FAILURE_MEMREAP;
		}
		s.rec = &rec;
	}
	if (json && !(json_file = open_json(json))) {
		if (s.rec)
			rec_close(s.rec);
		session_close(&s);
		return EXIT_FAILURE_MEMREAP;
	}
	relay_signals();
	if (spawn_paused(&child, argv + optind)) {
		fprintf(stderr, "memreap: cannot fork: %s\n", strerror(errno));
		session_close(&s);
		return EXIT_FAILURE_MEMREAP;
	}
	s.cmd_pid = (uint32_t)child.pid;
	if (caps_drop(CAPS_KEEP_COMMAND, err, sizeof(err))) /* CMD was forked with them all */
		fprintf(stderr, "memreap: warning: %s\n", err);
	watch_cmd(&s, argv[optind]);
	follow_add(&s.tree, s.cmd_pid);
	e = spawn_release(&child);
	if (e) {
		fprintf(stderr, "memreap: cannot run %s: %s\n", argv[optind], strerror(e));
		spawn_wait(&child, &status, 0);
		session_close(&s);
		return EXIT_CANNOT_RUN;
	}
	while (!spawn_wait(&child, &status, 1)) {
		if (forward_signal) {
			kill(child.pid, forward_signal);
			forward_signal = 0;
		}
		session_poll(&s, 100);
	}
	session_finish(&s);
	rc = spawn_exit_code(status);
	if (!quiet)
		out_text_run_summary(stderr, &s.doc, s.cmd_pid);
	if (json_file && write_json(json_file, json, &s.doc))
		rc = EXIT_FAILURE_MEMREAP;
	if (s.rec && rec_close(s.rec) && !s.write_error) {
		fprintf(stderr, "memreap: writing %s: %s\n", recording, strerror(rec.error));
		rc = EXIT_FAILURE_MEMREAP;
	}
	session_close(&s);
	return rc;
}
