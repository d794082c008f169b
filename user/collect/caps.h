/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities: what memreap needs to start observing, and dropping what it no longer needs
 * once its BPF programs are loaded and attached (see README, "Privileges").
 */
#ifndef MR_CAPS_H
#define MR_CAPS_H

#include <stddef.h>

enum caps_keep {
	CAPS_KEEP_NONE,	   /* report: reads a file, needs nothing */
	CAPS_KEEP_OBSERVE, /* record, top: new interpreters' probes, other users' process names */
	CAPS_KEEP_COMMAND, /* run, record -- CMD: the same, and signals for CMD */
};

/* 0 if this process may load and attach memreap's programs, else -1 and a one-line reason. */
int caps_check_observe(char *err, size_t errlen);
/* Keep only the capabilities the mode still needs (those held); -1 and a reason on failure. */
int caps_drop(enum caps_keep keep, char *err, size_t errlen);

#endif
