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
#include "util.h"

enum { OPT_TOP = 256, OPT_MIN_PEAK, OPT_NO_ARGV, OPT_INTERVAL, OPT_EVENT_MIN, OPT_NO_COMPRESS };

static const struct cmd_option run_options[] = {
	{ "quiet", 'q', true, NULL, NULL, "no summary on stderr (the exit status stays CMD's)" },
	{ "json", 'j', true, "FILE", NULL,
	  "write the memreap/v1 document to FILE; '-' is stdout, and CMD's stdout then goes to "
	  "stderr" },
	{ "output", 'o', true, "FILE", NULL, "also write a recording (memreap report FILE reads it)" },
	{ "top", OPT_TOP, false, "N", NULL,
	  "show the N processes with the largest peaks (and their ancestors); sums cover all" },
	{ "min-peak", OPT_MIN_PEAK, false, "SIZE", NULL,
	  "show processes whose peak is at least SIZE (512K, 100M, 1.5G)" },
	{ "no-argv", OPT_NO_ARGV, false, NULL, NULL, "do not record command lines (JSON argv null)" },
	{ "interval", OPT_INTERVAL, false, "SECONDS", NULL,
	  "with -o: sample the live ledgers that changed every SECONDS, 0.01 to 3600 (default 0.1)" },
	{ "event-min", OPT_EVENT_MIN, false, "SIZE", NULL,
	  "with -o: a release of at least SIZE by a process itself is a timeline event (default 1M)" },
	{ "no-compress", OPT_NO_COMPRESS, false, NULL, NULL,
	  "with -o: write format version 2, uncompressed, which memreap before version 3 reads" },
	OPT_MAP_ENTRIES,
	OPT_RINGBUF_SIZE,
	OPT_HELP,
	{ NULL },
};

const struct cmd_help run_help = {
	.name = "run",
	.args = "-- CMD [ARG...]",
	.stop_at_args = true,
	.summary = "run CMD and report who released its memory: itself or the kernel",
	.text = "Runs CMD and follows it and every process it starts, from CMD's exec to the end of\n"
		"the last one. On stderr: the process tree (an exec chain is one row, `sh -> sort`)\n"
		"with what each process faulted in, released itself, left to the kernel, and of\n"
		"that what was freed; then the verdict on the tree. memreap exits with CMD's status\n"
		"(128 + N if a signal N killed it). Needs root, or CAP_BPF and CAP_PERFMON.",
	.options = run_options,
	.example = "memreap run --top 5 --json out.json -- make -j2",
};

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
	struct report_opts view;
	const char *json, *recording;
	double interval;
	bool quiet, no_compress;
	char **cmd;
};

static int parse_view_option(struct report_opts *v, int opt, const char *value)
{
	long long n;

	if (opt == OPT_TOP) {
		if ((n = parse_count(value)) <= 0 || n > 1000000000)
			return usage_error(&run_help, "--top needs a positive count, not '%s'", value);
		v->top = (long)n;
		return 0;
	}
	if ((n = parse_size(value)) < 0)
		return usage_error(&run_help, "--min-peak needs a size (4096, 512K, 100M, 1.5G), not '%s'",
				   value);
	v->min_peak = (uint64_t)n;
	return 0;
}

static int parse(int argc, char **argv, struct run_args *a)
{
	int opt, rc;

	while ((opt = cmd_getopt(argc, argv, &run_help)) != -1) {
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
		case OPT_TOP:
		case OPT_MIN_PEAK:
			if ((rc = parse_view_option(&a->view, opt, optarg)))
				return rc;
			break;
		case OPT_NO_ARGV:
			a->copts.no_argv = true;
			break;
		case OPT_EVENT_MIN:
			if ((rc = event_min_option(&a->copts, optarg, &run_help)))
				return rc;
			break;
		case OPT_INTERVAL:
			if ((rc = interval_option(&a->interval, optarg, &run_help)))
				return rc;
			break;
		case OPT_NO_COMPRESS:
			a->no_compress = true;
			break;
		default:
			if ((rc = common_option(opt, &run_help, &a->copts, argv)) >= 0)
				return rc ? rc : -1; /* -1: --help, done */
		}
	}
	if (optind >= argc)
		return usage_error(&run_help, "run needs a command");
	if (!a->recording) /* events go to the recording only */
		a->copts.release_event_min = 0;
	a->cmd = argv + optind;
	a->view.by = BY_TREE;
	a->view.sort = SORT_START;
	a->view.ascending = true;
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
		out_text_run_summary(stderr, &s->doc, s->cmd_pid, &a->view);
	if (json && write_json(json, a->json, &s->doc))
		rc = EXIT_FAILURE_MEMREAP;
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { .copts.release_event_min = EVENT_MIN_DEFAULT };
	struct session s = { .keep = true };
	struct rec_writer rec;
	struct spawn child = { 0 };
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
	if (a.recording && rec_open(&rec, a.recording, &s.doc.meta, !a.no_compress)) {
		fprintf(stderr, "memreap: cannot write recording %s: %s\n", a.recording,
			strerror(errno));
		goto out;
	}
	s.rec = a.recording ? &rec : NULL;
	s.sample_every_ns = (uint64_t)((a.interval ? a.interval : 0.1) * 1e9);
	if (a.json && !(json = open_json(a.json)))
		goto out_rec;
	relay_signals();
	child.stdout_to_stderr = json == stdout; /* the document alone on stdout */
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
