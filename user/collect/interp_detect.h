/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which language runtime an executable is, found without running it: the runtime entry points it
 * exports, the runtime libraries it needs (DT_NEEDED, through its RUNPATH) or a running process
 * maps, and version strings in those files or their names (the runtimes: core/interp.h).
 */
#ifndef MR_INTERP_DETECT_H
#define MR_INTERP_DETECT_H

#include <stddef.h>
#include <stdint.h>
#include "interp.h"

/* Detect from an executable file. Results are cached by file identity (device, inode, mtime). */
void interp_of_exe(const char *exe, struct interp *out);
/* Detect from what a running process maps (catches runtimes loaded with dlopen). */
void interp_of_pid(uint32_t pid, const char *exe, struct interp *out);
/*
 * Where the runtime's shutdown entry point lives: the file (the executable, or the runtime library
 * it needs) and the symbol's exact name. Returns -1 when the file is no interpreter or its runtime
 * has no such entry point.
 */
int interp_shutdown_probe(const char *exe, char *path, size_t len, char *symbol, size_t symlen);

#endif
