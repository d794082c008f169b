// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "session.h"
#include "util.h"

static bool accepts(const struct session *s, const struct ledger *l)
{
	return l->id != s->exclude_ledger && scope_accepts(&s->scope, l->pid, l->comm);
}

static void take(struct session *s, const struct ledger *l)
{
	if (!accepts(s, l))
		return;
	s->accepted++;
	if (s->keep)
		document_add(&s->doc, l);
	if (s->rec && !s->write_error)
		rec_add_ledger(s->rec, l);
}

static void on_ledger_end(const struct ledger *l, void *ctx)
{
	struct session *s = ctx;

	if (s->finishing)
		u64map_put(&s->ended_late, l->id, 1, NULL);
	take(s, l);
	u64map_del(&s->sampled, l->id, NULL);
	if (l->end == MR_END_EXIT)
		scope_exit(&s->scope, l->pid, l->id);
}

static void on_fork(uint32_t parent, uint32_t child, uint64_t child_ledger, void *ctx)
{
	struct session *s = ctx;

	if (parent == s->spawner && child == s->cmd_pid)
		s->exclude_ledger = child_ledger;
	scope_fork(&s->scope, parent, child, child_ledger);
}

static void on_release(const struct timeline_event *e, void *ctx)
{
	struct session *s = ctx;

	if (e->ledger_id == s->exclude_ledger || !scope_accepts(&s->scope, e->pid, e->comm))
		return;
	if (s->rec && !s->write_error)
		rec_add_event(s->rec, e);
}

/* Nothing silent: an interpreter that cannot be probed has unknown shutdown fields. */
static void warn_unwatched(struct session *s)
{
	const char *e = collector_watch_error(s->collector);

	if (e && !s->warned_unwatched) {
		fprintf(stderr, "memreap: warning: %s\n", e);
		s->warned_unwatched = true;
	}
}

int session_open(struct session *s, const struct collector_opts *o, char *err, size_t errlen)
{
	struct collector_handlers h = {
		.ledger_end = on_ledger_end, .fork = on_fork, .release = on_release, .ctx = s,
	};

	s->spawner = (uint32_t)getpid();
	document_init_local(&s->doc);
	s->collector = collector_open(o, &h, err, errlen);
	if (s->collector)
		warn_unwatched(s);
	return s->collector ? 0 : -1;
}

static void flush(struct session *s)
{
	if (!s->rec || s->write_error)
		return;
	if (rec_flush(s->rec)) {
		s->write_error = s->rec->error;
		fprintf(stderr, "memreap: writing %s: %s; recording stopped (the file is readable up to its last whole record)\n",
			s->rec->path, strerror(s->write_error));
	}
}

static uint64_t sample_hash(const struct sample *x)
{
	const unsigned char *p = (const unsigned char *)&x->rss;
	uint64_t h = 1469598103934665603ull; /* FNV-1a over the figures, not the time */

	for (size_t i = 0; i < sizeof(*x) - offsetof(struct sample, rss); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h | 1;
}

static void sample_one(const struct ledger *l, void *ctx)
{
	struct session *s = ctx;
	struct sample x, *grown;
	uint64_t h, last;

	if (!accepts(s, l) || l->building)
		return;
	sample_of(&x, l, clock_ns(CLOCK_REALTIME));
	h = sample_hash(&x);
	if (u64map_get(&s->sampled, l->id, &last) && last == h)
		return; /* unchanged since its last sample: an idle machine costs nothing */
	if (s->nbatch == s->batch_cap) {
		size_t cap = s->batch_cap ? 2 * s->batch_cap : 64;

		if (!(grown = realloc(s->batch, cap * sizeof(*grown))))
			return;
		s->batch = grown;
		s->batch_cap = cap;
	}
	s->batch[s->nbatch++] = x;
	u64map_put(&s->sampled, l->id, h, NULL);
}

/* Every live ledger that changed since its last sample, as one batch in the recording. */
static void sample_live(struct session *s)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (!s->sample_every_ns || !s->rec || s->write_error || now < s->next_sample_ns)
		return;
	s->next_sample_ns = now + s->sample_every_ns;
	s->nbatch = 0;
	collector_for_each_live_figures(s->collector, sample_one, s); /* no /proc reads */
	if (!s->nbatch)
		return;
	rec_add_samples(s->rec, s->batch, s->nbatch, s->batch[0].ts_ns);
	s->samples += s->nbatch;
}

void session_poll(struct session *s, int timeout_ms)
{
	collector_poll(s->collector, timeout_ms);
	warn_unwatched(s);
	sample_live(s);
	flush(s);
}

static void hold_live(const struct ledger *l, void *ctx)
{
	struct session *s = ctx;

	if (accepts(s, l))
		document_add(&s->alive, l);
}

void session_finish(struct session *s)
{
	/*
	 * A ledger can end while the map is listed: its entry is gone from the listing and its end
	 * is still in the ring buffer. List, drain once more, and keep only what did not end.
	 */
	collector_settle(s->collector, 500);
	s->finishing = true;
	s->alive.meta = s->doc.meta;
	collector_for_each_live(s->collector, hold_live, s, true);
	collector_drain(s->collector);
	for (size_t i = 0; i < s->alive.n; i++)
		if (!u64map_get(&s->ended_late, s->alive.ledgers[i].id, NULL))
			take(s, &s->alive.ledgers[i]);
	document_free(&s->alive);
	u64map_free(&s->ended_late);
	collector_health(s->collector, &s->doc.health);
	s->doc.meta.ended_ns = clock_ns(CLOCK_REALTIME);
	if (s->rec && !s->write_error)
		rec_add_end(s->rec, s->doc.meta.ended_ns, &s->doc.health);
	flush(s);
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
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", d, cmd);
		if (!access(path, X_OK)) {
			collector_watch(s->collector, path);
			break;
		}
	}
	free(dirs);
}

int session_start_cmd(struct session *s, struct spawn *child, char **cmd, bool follow)
{
	int e, status;

	if (spawn_paused(child, cmd)) {
		fprintf(stderr, "memreap: cannot fork: %s\n", strerror(errno));
		return EXIT_FAILURE_MEMREAP;
	}
	s->cmd_pid = (uint32_t)child->pid;
	watch_cmd(s, cmd[0]);
	if (follow)
		scope_add_pid(&s->scope, s->cmd_pid);
	e = spawn_release(child);
	if (!e)
		return 0;
	fprintf(stderr, "memreap: cannot run %s: %s\n", cmd[0], strerror(e));
	spawn_wait(child, &status, 0);
	return EXIT_CANNOT_RUN;
}

void session_close(struct session *s)
{
	collector_close(s->collector);
	s->collector = NULL;
	scope_free(&s->scope);
	document_free(&s->doc);
	u64map_free(&s->sampled);
	free(s->batch);
}
