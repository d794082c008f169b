/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One observation: a collector, the filter that decides which ledgers belong to it (a process
 * tree, comms, or everything), and where accepted ledgers go (memory and/or a recording).
 */
#ifndef MR_SESSION_H
#define MR_SESSION_H

#include "collector.h"
#include "recording.h"
#include "sample.h"
#include "scope.h"
#include "spawn.h"

struct session {
	struct collector *collector;
	struct scope scope;	/* which processes it keeps */
	uint32_t spawner;	/* memreap itself: its pre-exec copy of CMD is not CMD */
	uint32_t cmd_pid;
	uint64_t exclude_ledger;
	bool keep;		/* keep accepted ledgers in doc */
	struct document doc;
	struct rec_writer *rec;
	uint64_t accepted;
	struct document alive;	/* at the end: listed alive, kept unless they end meanwhile */
	struct u64map ended_late;	/* ledgers that ended after the live listing began */
	bool finishing;
	int write_error;	/* errno of the first failed recording write */
	bool warned_unwatched;	/* an interpreter could not be probed: said once */
	uint64_t sample_every_ns;	/* 0: no samples; else live ledgers into the recording */
	uint64_t next_sample_ns;	/* CLOCK_MONOTONIC */
	struct u64map sampled;	/* ledger id -> a hash of its last sample: unchanged, not again */
	struct sample *batch;
	size_t nbatch, batch_cap;
	uint64_t samples;	/* written so far */
};

int session_open(struct session *s, const struct collector_opts *o, char *err, size_t errlen);
/* Poll once; samples the live ledgers when due; flushes the recording. */
void session_poll(struct session *s, int timeout_ms);
/* Drain, add the ledgers still alive, close the recording with an end record. */
void session_finish(struct session *s);
/*
 * Start CMD paused, watch its interpreter for shutdown, follow its tree if follow, let it exec.
 * 0, or the exit status to return (after a one-line error).
 */
int session_start_cmd(struct session *s, struct spawn *child, char **cmd, bool follow);
void session_close(struct session *s);

#endif
