/* SPDX-License-Identifier: GPL-2.0 */
/* Pure text helpers of the live monitor: bars, fitting text into columns, ages. Unit-tested. */
#ifndef MR_TOP_FORMAT_H
#define MR_TOP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "[#####-----]": width cells in all, brackets included; part of whole filled. */
const char *share_bar(uint64_t part, uint64_t whole, int width, char *buf, size_t len);
/* "SSSSSKKK..": self cells 'S', kernel cells 'K', '.' for what is still resident; width cells. */
const char *split_bar(uint64_t self, uint64_t kernel, uint64_t resident, int width, char *buf,
		      size_t len);
/* s cut to width display cells; a cut shows '~' as its last cell. */
const char *fit(const char *s, int width, char *buf, size_t len);
/* "0", "512K", "64.0M", "1.20G": no space, at most 5 characters below a petabyte. */
const char *compact_bytes(uint64_t bytes, char *buf, size_t len);
/* "45s", "12m03s", "3h07m", "2d04h". */
const char *age(uint64_t ns, char *buf, size_t len);

#endif
