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

	take(s, l);
	if (l->end == MR_END_EXIT)
		follow_exit(&s->tree, l->pid);
}

static void on_fork(uint32_t parent, uint32_t child, uint64_t child_ledger, void *ctx)
{
	struct session *s = ctx;

	if (parent == s->spawner && child == s->cmd_pid)
		s->exclude_ledger = child_ledger;
	follow_fork(&s->tree, parent, child);
}

int session_open(struct session *s, const struct collector_opts *o, char *err, size_t errlen)
{
	struct collector_handlers h = { .ledger_end = on_ledger_end, .fork = on_fork, .ctx = s };

	s->spawner = (uint32_t)getpid();
	document_init_local(&s->doc);
	s->collector = collector_open(o, &h, err, errlen);
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
	flush(s);
}

static void take_live(const struct ledger *l, void *ctx)
{
	take(ctx, l);
}

void session_finish(struct session *s)
{
	collector_drain(s->collector);
	collector_for_each_live(s->collector, take_live, s, true);
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
