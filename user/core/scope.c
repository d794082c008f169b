// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "scope.h"

void scope_add_pid(struct scope *s, uint32_t pid)
{
	follow_add(&s->tree, pid);
	s->chosen = true;
}

int scope_add_comm(struct scope *s, const char *comm)
{
	const char **grown = realloc(s->comms, (s->ncomms + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	s->comms = grown;
	s->comms[s->ncomms++] = comm;
	s->chosen = true;
	return 0;
}

bool scope_accepts(const struct scope *s, uint32_t pid, const char *comm)
{
	if (!s->chosen || follow_has(&s->tree, pid))
		return true;
	for (size_t i = 0; i < s->ncomms; i++)
		if (!strcmp(s->comms[i], comm))
			return true;
	return false;
}

void scope_fork(struct scope *s, uint32_t parent, uint32_t child, uint64_t child_ledger)
{
	follow_fork(&s->tree, parent, child, child_ledger);
}

void scope_exit(struct scope *s, uint32_t pid, uint64_t ledger)
{
	follow_exit(&s->tree, pid, ledger);
}

void scope_free(struct scope *s)
{
	follow_free(&s->tree);
	free(s->comms);
	memset(s, 0, sizeof(*s));
}
