/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process's command line (argv) as of its exec, bounded: at most CMDLINE_MAX_ARGS arguments
 * in at most CMDLINE_MAX_BYTES bytes, each argument counted with its terminating NUL. What does
 * not fit is cut there and the command line is marked truncated; an argument cut by the byte
 * limit keeps its first bytes. Bytes that are not valid UTF-8 become '?', so that every JSON
 * reader takes it. The layout is /proc/PID/cmdline's: the arguments back to back, each
 * NUL-terminated.
 */
#ifndef MR_CMDLINE_H
#define MR_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "memreap.h"
#include "u64map.h"

#define CMDLINE_MAX_ARGS  16
#define CMDLINE_MAX_BYTES MR_ARGV_LEN

struct cmdline {
	char *args;	/* owned: NUL-terminated arguments back to back; NULL = unknown */
	uint32_t len;	/* bytes of args, every NUL included */
	bool truncated; /* the process had more arguments or bytes than the bounds: cut */
};

/*
 * Set c to a copy of the len bytes at args, bounded and made valid as above; truncated says the
 * bytes are already a cut of a longer command line. args NULL: unknown. -1 when out of memory
 * (c is then unknown).
 */
int cmdline_set(struct cmdline *c, const char *args, size_t len, bool truncated);
void cmdline_copy(struct cmdline *dst, const struct cmdline *src);
void cmdline_free(struct cmdline *c);
size_t cmdline_argc(const struct cmdline *c);

/* Each argument of c in turn (none when unknown). */
#define cmdline_for_each(arg, c)                                                                  \
	for (const char *arg = (c)->args; arg && arg < (c)->args + (c)->len; arg += strlen(arg) + 1)

/*
 * The arguments joined by spaces for a terminal, control characters as '?', " ..." after a
 * truncated one; "" when unknown. Returns buf.
 */
char *cmdline_text(const struct cmdline *c, char *buf, size_t len);

/* Command lines by a non-zero 64-bit key (a ledger id), each owned by the map. */
struct cmdline_map {
	struct u64map map;
};
/* Stores a copy of c under key (replacing any); key 0 is never stored. */
void cmdline_map_put(struct cmdline_map *m, uint64_t key, const struct cmdline *c);
const struct cmdline *cmdline_map_get(const struct cmdline_map *m, uint64_t key);
void cmdline_map_del(struct cmdline_map *m, uint64_t key);
void cmdline_map_free(struct cmdline_map *m);

#endif
