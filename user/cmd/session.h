/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One observation: a collector, the filter that decides which ledgers belong to it (a process
 * tree, comms, or everything), and where accepted ledgers go (memory and/or a recording).
 */
#ifndef MR_SESSION_H
#define MR_SESSION_H

#include "collector.h"
#include "follow.h"
#include "recording.h"

struct session {
	struct collector *collector;
	bool filtered;		/* false: every ledger on the machine */
	struct follow tree;	/* followed thread groups */
	char **comms;		/* accepted comms (NULL-terminated), or NULL */
	uint32_t spawner;	/* memreap itself: its pre-exec copy of CMD is not CMD */
	uint32_t cmd_pid;
	uint64_t exclude_ledger;
	bool keep;		/* keep accepted ledgers in doc */
	struct document doc;
	struct rec_writer *rec;
	uint64_t accepted;
	struct document alive;	/* at the end: listed alive, kept unless they end meanwhile */
	struct idmap ended_late;	/* ledgers that ended after the live listing began */
	bool finishing;
	int write_error;	/* errno of the first failed recording write */
	bool warned_unwatched;	/* an interpreter could not be probed: said once */
};

int session_open(struct session *s, const struct collector_opts *o, char *err, size_t errlen);
/* Poll once; flushes the recording. */
void session_poll(struct session *s, int timeout_ms);
/* Drain, add the ledgers still alive, close the recording with an end record. */
void session_finish(struct session *s);
void session_close(struct session *s);

#endif
