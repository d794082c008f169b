/* SPDX-License-Identifier: GPL-2.0 */
/* Start CMD paused before its exec, so observation covers it from its first page. */
#ifndef MR_SPAWN_H
#define MR_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

struct spawn {
	pid_t pid;
	int go_fd;  /* write end: one byte lets the child exec */
	int err_fd; /* read end: the child's errno if exec failed, EOF if it succeeded */
	bool stdout_to_stderr; /* set before spawn_paused: memreap's stdout carries a document */
};

int spawn_paused(struct spawn *s, char **argv); /* -1 if fork failed */
/* Let the child exec; returns 0, or the errno of a failed exec. */
int spawn_release(struct spawn *s);
/* Wait for the child (non-blocking when nohang); 1 when it ended, status in *status. */
int spawn_wait(struct spawn *s, int *status, int nohang);
/* The exit status memreap returns for a child's wait status: its code, or 128 + signal. */
int spawn_exit_code(int status);

#endif
