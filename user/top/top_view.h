/* SPDX-License-Identifier: GPL-2.0 */
/* The monitor's lines of text, shared by the ncurses screen and --batch. Call with the lock held. */
#ifndef MR_TOP_VIEW_H
#define MR_TOP_VIEW_H

#include <stdio.h>
#include "top_model.h"

#define TOP_LINE 512

void top_title(const struct top_model *m, char *buf, size_t len);
void top_rates(const struct top_model *m, char *buf, size_t len);
/* "self share [####----] 80%": the bar takes what width leaves. */
void top_freed(const struct top_model *m, char *buf, size_t len);
void top_share(const struct top_model *m, int width, char *buf, size_t len);
/* Returns true when health is not clean (shown in red). */
bool top_health(const struct top_model *m, char *buf, size_t len);
void top_table_header(char *buf, size_t len);
void top_row_line(const struct top_row *r, uint64_t now_ns, char *buf, size_t len);
void top_recent_header(char *buf, size_t len);
void top_recent_line(const struct top_ended *e, int bar_width, char *buf, size_t len);
/* One plain-text frame, like top -b. */
void top_print_batch(FILE *f, struct top_model *m, enum top_sort by, bool ascending,
		     const char *filter);

#endif
