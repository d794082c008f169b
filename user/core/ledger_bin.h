/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ledger in binary, for recordings (format version 2, record type 5): the numbers of the
 * memreap/v1 ledger in a fixed little-endian layout, then its names as length-prefixed strings.
 * A tenth of the JSON's cost to write. Fields are only ever added at the end: a reader takes the
 * fields it knows and ignores what follows them. The layout is in the README ("Recording format").
 */
#ifndef MR_LEDGER_BIN_H
#define MR_LEDGER_BIN_H

#include <stddef.h>
#include "ledger.h"

/*
 * The largest encoding: the fixed part, five strings of at most LEDGER_BIN_MAX_STR bytes, and
 * the command line (its state byte, u16 length, bytes), then the OOM byte.
 */
#define LEDGER_BIN_MAX_STR 4096
#define LEDGER_BIN_MAX	   (512 + 5 * (2 + LEDGER_BIN_MAX_STR) + 3 + CMDLINE_MAX_BYTES + 1)

/* Encode l into buf (at least LEDGER_BIN_MAX bytes); returns the length. */
size_t ledger_to_bin(const struct ledger *l, unsigned char *buf);
/* Decode; -1 and a reason naming the field when the payload is not a valid ledger. */
int ledger_from_bin(const unsigned char *p, size_t len, struct ledger *l, char *err,
		    size_t errlen);

#endif
