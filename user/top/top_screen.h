/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MR_TOP_SCREEN_H
#define MR_TOP_SCREEN_H

#include "top_model.h"
#include "top_view.h"

/* Run the full-screen monitor until the user quits. */
int top_screen_run(struct top_model *m, struct top_options *o);

#endif
