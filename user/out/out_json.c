// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "ledger_json.h"
#include "out.h"

int out_json(FILE *f, const struct document *d)
{
	json_object *o = document_to_json(d);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	int ok = fputs(s, f) >= 0 && fputc('\n', f) != EOF;

	json_object_put(o);
	return ok ? 0 : -1;
}
