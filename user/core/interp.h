/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Language runtimes memreap knows: the one table of their names, the entry points and libraries
 * they show themselves by, and the "name version" text of a detected interpreter. Detection
 * itself (reading executables) is collect/interp_detect.c.
 */
#ifndef MR_INTERP_H
#define MR_INTERP_H

#include <stdbool.h>
#include <stddef.h>

struct interp {
	char name[16];	  /* python, perl, node, ruby, php, lua, jvm; "" if none */
	char version[32]; /* "3.11.2", or as much as the files tell ("3.11"); may be "" */
};

/* How each runtime shows itself. */
struct runtime {
	const char *name;
	const char *symbol;	  /* an exported entry point (prefix) */
	const char *library;	  /* a library file name prefix */
	const char *version_mark; /* bytes that precede the version string in the files */
	bool symbol_is_shutdown;  /* the symbol is where the runtime's own shutdown begins */
};

extern const struct runtime runtimes[];
extern const size_t nruntimes;

/* The runtime called name, or NULL. */
const struct runtime *runtime_by_name(const char *name);

/* "python 3.11.2" into buf, or "" for none. */
const char *interp_text(const struct interp *i, char *buf, size_t len);
/* Parse interp_text's form back. */
void interp_parse(const char *text, struct interp *out);

#endif
