// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "interp.h"

const struct runtime runtimes[] = {
	{ "python", "Py_FinalizeEx", "libpython", NULL, true },
	{ "perl", "perl_destruct", "libperl", "\0v5.", true },
	{ "node", "_ZN4node15FreeEnvironment", "libnode", "node-v", true },
	{ "ruby", "ruby_sig_finalize", "libruby", NULL, true }, /* after its at_exit blocks */
	{ "php", "php_module_shutdown", "libphp", "PHP/", true },
	{ "lua", "lua_close", "liblua", "Lua ", true },
	{ "jvm", "JNI_CreateJavaVM", "libjvm", NULL, false }, /* a start, not a shutdown */
};
const size_t nruntimes = sizeof(runtimes) / sizeof(runtimes[0]);

const struct runtime *runtime_by_name(const char *name)
{
	for (size_t i = 0; i < nruntimes; i++)
		if (!strcmp(name, runtimes[i].name))
			return &runtimes[i];
	return NULL;
}

const char *interp_text(const struct interp *i, char *buf, size_t len)
{
	if (!i->name[0])
		buf[0] = '\0';
	else
		snprintf(buf, len, "%s %s", i->name, i->version);
	return buf;
}

void interp_parse(const char *text, struct interp *out)
{
	const char *space = strchr(text, ' ');

	memset(out, 0, sizeof(*out));
	if (!space)
		return;
	snprintf(out->name, sizeof(out->name), "%.*s", (int)(space - text), text);
	snprintf(out->version, sizeof(out->version), "%s", space + 1);
}
