// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "session.h"

static bool accepts(const struct session *s, const struct ledger *l)
{
	if (l->id == s->exclude_ledger)
		return false;
	if (!s->filtered || follow_has(&s->tree, l->pid))
		return true;
	for (char **c = s->comms; c && *c; c++)
		if (!strcmp(*c, l->comm))
			return true;
	return false;
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
		idmap_put(&s->ended_late, l->id, "");
	take(s, l);
	if (l->end == MR_END_EXIT)
		follow_exit(&s->tree, l->pid, l->id);
}

static void on_fork(uint32_t parent, uint32_t child, uint64_t child_ledger, void *ctx)
{
	struct session *s = ctx;

	if (parent == s->spawner && child == s->cmd_pid)
		s->exclude_ledger = child_ledger;
	follow_fork(&s->tree, parent, child, child_ledger);
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
	struct collector_handlers h = { .ledger_end = on_ledger_end, .fork = on_fork, .ctx = s };

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

void session_poll(struct session *s, int timeout_ms)
{
	collector_poll(s->collector, timeout_ms);
	warn_unwatched(s);
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
		if (!idmap_get(&s->ended_late, s->alive.ledgers[i].id))
			take(s, &s->alive.ledgers[i]);
	document_free(&s->alive);
	idmap_free(&s->ended_late);
	collector_health(s->collector, &s->doc.health);
	s->doc.meta.ended_ns = clock_ns(CLOCK_REALTIME);
	if (s->rec && !s->write_error)
		rec_add_end(s->rec, s->doc.meta.ended_ns, &s->doc.health);
	flush(s);
}

void session_close(struct session *s)
{
	collector_close(s->collector);
	s->collector = NULL;
	follow_free(&s->tree);
	document_free(&s->doc);
}
