// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "ledger_json.h"
#include "util.h"

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *kinds_to_json(const uint64_t bytes[MR_NKINDS])
{
	json_object *o = json_object_new_object();

	for (int k = 0; k < MR_NKINDS; k++)
		json_object_object_add(o, kind_names[k], u64(bytes[k]));
	json_object_object_add(o, "total", u64(cat_total(bytes)));
	return o;
}

void json_add_time(json_object *o, const char *name, uint64_t ns, bool known)
{
	char key[64], text[UTC_TEXT_LEN];
	size_t stem = strlen(name) - strlen("_ns");

	snprintf(key, sizeof(key), "%.*s_utc", (int)stem, name);
	json_object_object_add(o, name, known ? u64(ns) : NULL);
	if (!known) {
		json_object_object_add(o, key, NULL);
		return;
	}
	json_object_object_add(o, key, json_object_new_string(utc_text(ns, text, sizeof(text))));
}

static json_object *argv_to_json(const struct cmdline *c)
{
	json_object *a;

	if (!c->args)
		return NULL;
	a = json_object_new_array_ext((int)cmdline_argc(c));
	cmdline_for_each(arg, c)
		json_object_array_add(a, json_object_new_string(arg));
	return a;
}

static json_object *int_or_null(int v)
{
	return v < 0 ? NULL : json_object_new_int(v);
}

static json_object *interp_to_json(const struct interp *i)
{
	json_object *o;

	if (!i->name[0])
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(i->name));
	json_object_object_add(o, "version", json_object_new_string(i->version));
	return o;
}

/*
 * "freed": bytes per release category, "freed_by_kind": the same per kind; both null for a
 * ledger read from a recording made before memreap measured freed bytes.
 */
static void freed_to_json(json_object *o, const uint64_t freed[NCATEGORIES][MR_NKINDS],
			  bool unknown)
{
	json_object *sums = NULL, *kinds = NULL;

	if (!unknown) {
		sums = json_object_new_object();
		kinds = json_object_new_object();
		for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++) {
			json_object_object_add(sums, category_names[c], u64(cat_total(freed[c])));
			json_object_object_add(kinds, category_names[c], kinds_to_json(freed[c]));
		}
	}
	json_object_object_add(o, "freed", sums);
	json_object_object_add(o, "freed_by_kind", kinds);
}

json_object *ledger_to_json(const struct ledger *l)
{
	json_object *o = json_object_new_object();
	json_object *calls = json_object_new_object();

	json_object_object_add(o, "id", u64(l->id));
	json_object_object_add(o, "parent_id", u64(l->parent_id));
	json_object_object_add(o, "pid", u64(l->pid));
	json_object_object_add(o, "ppid", u64(l->ppid));
	json_object_object_add(o, "comm", json_object_new_string(l->comm));
	json_object_object_add(o, "exe", json_object_new_string(l->exe ? l->exe : ""));
	json_object_object_add(o, "cgroup", json_object_new_string(l->cgroup ? l->cgroup : ""));
	json_object_object_add(o, "argv", argv_to_json(&l->argv));
	json_object_object_add(o, "argv_truncated", json_object_new_boolean(l->argv.truncated));
	json_object_object_add(o, "interpreter", interp_to_json(&l->interp));
	json_add_time(o, "start_ns", l->start_ns, true);
	json_add_time(o, "end_ns", l->end_ns, l->end != MR_END_ALIVE);
	json_object_object_add(o, "end", json_object_new_string(end_names[l->end]));
	json_object_object_add(o, "exit_code", int_or_null(l->exit_code));
	json_object_object_add(o, "signal", int_or_null(l->signal));
	json_object_object_add(o, "oom_killed",
			       l->oom_unknown ? NULL : json_object_new_boolean(l->oom_killed));
	json_object_object_add(o, "observed_from_start",
			       json_object_new_boolean(l->observed_from_start));
	json_object_object_add(o, "peak_rss_bytes", u64(l->peak_rss));
	json_object_object_add(o, "vm_peak_bytes", u64(l->vm_peak));
	json_object_object_add(o, "vm_at_end_bytes", u64(l->vm_at_end));
	json_object_object_add(o, "swap_at_end_bytes", u64(l->swap_at_end));
	for (int c = 0; c < NCATEGORIES; c++)
		json_object_object_add(o, category_names[c], kinds_to_json(l->bytes[c]));
	freed_to_json(o, l->freed, l->freed_unknown);
	for (int i = 0; i < MR_NCALLS; i++)
		json_object_object_add(calls, call_names[i], u64(l->by_call[i]));
	json_object_object_add(o, "self_released_by_call", calls);
	json_add_time(o, "shutdown_started_ns", l->shutdown_started_ns, l->shutdown_started_ns);
	json_object_object_add(o, "rss_at_shutdown_bytes", u64(l->rss_at_shutdown));
	json_object_object_add(o, "shutdown_released", kinds_to_json(l->shutdown_released));
	json_object_object_add(o, "shutdown_watched", json_object_new_boolean(!l->shutdown_unwatched));
	json_object_object_add(o, "end_inexact", json_object_new_boolean(l->end_inexact));
	return o;
}

/* Field readers that say which field is wrong. */
static int get_field(json_object *o, const char *name, json_type type, json_object **out,
		     char *err, size_t errlen)
{
	if (!json_object_object_get_ex(o, name, out)) {
		snprintf(err, errlen, "missing field \"%s\"", name);
		return -1;
	}
	if (type == json_type_null)
		return 0;
	if (!json_object_is_type(*out, type)) {
		snprintf(err, errlen, "field \"%s\" has the wrong type", name);
		return -1;
	}
	return 0;
}

static int get_u64(json_object *o, const char *name, uint64_t *v, char *err, size_t errlen)
{
	json_object *f;

	if (get_field(o, name, json_type_int, &f, err, errlen))
		return -1;
	if (json_object_get_int64(f) < 0) { /* values above INT64_MAX read back as INT64_MAX */
		snprintf(err, errlen, "field \"%s\" is negative", name);
		return -1;
	}
	*v = json_object_get_uint64(f);
	return 0;
}

static int get_small(json_object *o, const char *name, int *v, char *err, size_t errlen)
{
	json_object *f;

	if (get_field(o, name, json_type_null, &f, err, errlen))
		return -1;
	if (!f) {
		*v = -1;
		return 0;
	}
	if (!json_object_is_type(f, json_type_int) || json_object_get_int64(f) < 0 ||
	    json_object_get_int64(f) > 255) {
		snprintf(err, errlen, "field \"%s\" is not null or 0..255", name);
		return -1;
	}
	*v = (int)json_object_get_int64(f);
	return 0;
}

static int get_str(json_object *o, const char *name, char *buf, size_t len, char *err,
		   size_t errlen)
{
	json_object *f;

	if (get_field(o, name, json_type_string, &f, err, errlen))
		return -1;
	snprintf(buf, len, "%s", json_object_get_string(f));
	return 0;
}

static int get_kinds(json_object *o, const char *name, uint64_t bytes[MR_NKINDS], char *err,
		     size_t errlen)
{
	json_object *f;

	if (get_field(o, name, json_type_object, &f, err, errlen))
		return -1;
	for (int k = 0; k < MR_NKINDS; k++)
		if (get_u64(f, kind_names[k], &bytes[k], err, errlen))
			return -1;
	return 0;
}

/* Absent or null (recordings made before freed bytes were measured): unknown, not zero. */
static int freed_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	json_object *kinds;
	char name[64];

	if (!json_object_object_get_ex(o, "freed_by_kind", &kinds) || !kinds) {
		l->freed_unknown = true;
		return 0;
	}
	if (!json_object_is_type(kinds, json_type_object)) {
		snprintf(err, errlen, "field \"freed_by_kind\" is not null or an object");
		return -1;
	}
	for (int c = CAT_SELF_RELEASED; c <= CAT_KERNEL_EXEC; c++) {
		snprintf(name, sizeof(name), "freed_by_kind.%s", category_names[c]);
		if (get_kinds(kinds, category_names[c], l->freed[c], err, errlen))
			return -1;
		for (int k = 0; k < MR_NKINDS; k++) {
			if (l->freed[c][k] <= l->bytes[c][k])
				continue;
			snprintf(err, errlen, "field \"%s.%s\" is more than was released", name,
				 kind_names[k]);
			return -1;
		}
	}
	return 0;
}

static int end_from_name(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, end_names[i]))
			return i;
	return -1;
}

/* Added within v1: absent or null (recordings made before memreap saw OOM kills) is unknown. */
static int oom_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	json_object *f;

	if (!json_object_object_get_ex(o, "oom_killed", &f) || !f) {
		l->oom_unknown = true;
		return 0;
	}
	if (!json_object_is_type(f, json_type_boolean)) {
		snprintf(err, errlen, "field \"oom_killed\" is not null or a boolean");
		return -1;
	}
	l->oom_killed = json_object_get_boolean(f);
	return 0;
}

/* Who and when: ids, pids, name, start and end. */
static int identity_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	char end[16];
	json_object *f;
	uint64_t v;
	int e;

	if (get_u64(o, "id", &l->id, err, errlen) ||
	    get_u64(o, "parent_id", &l->parent_id, err, errlen) || get_u64(o, "pid", &v, err, errlen))
		return -1;
	l->pid = (uint32_t)v;
	if (get_u64(o, "ppid", &v, err, errlen))
		return -1;
	l->ppid = (uint32_t)v;
	if (get_str(o, "comm", l->comm, sizeof(l->comm), err, errlen) ||
	    get_u64(o, "start_ns", &l->start_ns, err, errlen) ||
	    get_str(o, "end", end, sizeof(end), err, errlen))
		return -1;
	e = end_from_name(end);
	if (e < 0) {
		snprintf(err, errlen, "field \"end\" is not alive, exit or exec");
		return -1;
	}
	l->end = e;
	if (get_field(o, "end_ns", json_type_null, &f, err, errlen))
		return -1;
	l->end_ns = f ? json_object_get_uint64(f) : 0;
	if (get_small(o, "exit_code", &l->exit_code, err, errlen) ||
	    get_small(o, "signal", &l->signal, err, errlen))
		return -1;
	if (get_field(o, "observed_from_start", json_type_boolean, &f, err, errlen))
		return -1;
	l->observed_from_start = json_object_get_boolean(f);
	/* Added within v1: absent (documents made before the legacy object) means exact. */
	if (json_object_object_get_ex(o, "end_inexact", &f)) {
		if (!json_object_is_type(f, json_type_boolean)) {
			snprintf(err, errlen, "field \"end_inexact\" is not a boolean");
			return -1;
		}
		l->end_inexact = json_object_get_boolean(f);
	}
	return oom_from_json(o, l, err, errlen);
}

/* The ledger proper: peaks, bytes per category and kind, freed, and calls. */
static int bytes_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	json_object *calls;

	if (get_u64(o, "peak_rss_bytes", &l->peak_rss, err, errlen) ||
	    get_u64(o, "vm_peak_bytes", &l->vm_peak, err, errlen) ||
	    get_u64(o, "vm_at_end_bytes", &l->vm_at_end, err, errlen) ||
	    get_u64(o, "swap_at_end_bytes", &l->swap_at_end, err, errlen))
		return -1;
	for (int c = 0; c < NCATEGORIES; c++)
		if (get_kinds(o, category_names[c], l->bytes[c], err, errlen))
			return -1;
	if (freed_from_json(o, l, err, errlen))
		return -1;
	if (get_field(o, "self_released_by_call", json_type_object, &calls, err, errlen))
		return -1;
	for (int i = 0; i < MR_NCALLS; i++)
		if (get_u64(calls, call_names[i], &l->by_call[i], err, errlen))
			return -1;
	return 0;
}

/* The interpreter fields came later: all optional when reading older recordings. */
static int interp_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	json_object *f;

	if (json_object_object_get_ex(o, "shutdown_started_ns", &f) && f &&
	    (get_u64(o, "shutdown_started_ns", &l->shutdown_started_ns, err, errlen) ||
	     get_u64(o, "rss_at_shutdown_bytes", &l->rss_at_shutdown, err, errlen) ||
	     get_kinds(o, "shutdown_released", l->shutdown_released, err, errlen)))
		return -1;
	if (json_object_object_get_ex(o, "shutdown_watched", &f)) { /* absent means watched */
		if (!json_object_is_type(f, json_type_boolean)) {
			snprintf(err, errlen, "field \"shutdown_watched\" is not a boolean");
			return -1;
		}
		l->shutdown_unwatched = !json_object_get_boolean(f);
	}
	if (!json_object_object_get_ex(o, "interpreter", &f) || !f)
		return 0;
	if (!json_object_is_type(f, json_type_object) ||
	    get_str(f, "name", l->interp.name, sizeof(l->interp.name), err, errlen) ||
	    get_str(f, "version", l->interp.version, sizeof(l->interp.version), err, errlen)) {
		snprintf(err, errlen, "field \"interpreter\" is not null or {name, version}");
		return -1;
	}
	return 0;
}

/* Added within v1: absent or null is unknown. Bounded like a captured command line. */
static int argv_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	char buf[CMDLINE_MAX_BYTES + 1];
	bool truncated = false;
	json_object *a, *f;
	size_t at = 0, n;

	if (json_object_object_get_ex(o, "argv_truncated", &f)) {
		if (!json_object_is_type(f, json_type_boolean)) {
			snprintf(err, errlen, "field \"argv_truncated\" is not a boolean");
			return -1;
		}
		truncated = json_object_get_boolean(f);
	}
	if (!json_object_object_get_ex(o, "argv", &a) || !a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		goto bad;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *arg = json_object_array_get_idx(a, i);

		if (!json_object_is_type(arg, json_type_string))
			goto bad;
		n = strlen(json_object_get_string(arg)) + 1;
		if (n > sizeof(buf) - at) { /* longer than a captured one: cut the same way */
			n = sizeof(buf) - at;
			truncated = true;
		}
		memcpy(buf + at, json_object_get_string(arg), n);
		at += n;
	}
	if (cmdline_set(&l->argv, buf, at, truncated) == 0)
		return 0;
	snprintf(err, errlen, "out of memory reading field \"argv\"");
	return -1;
bad:
	snprintf(err, errlen, "field \"argv\" is not null or an array of strings");
	return -1;
}

static int dup_str(json_object *o, const char *name, char **out, char *err, size_t errlen)
{
	char buf[4096];

	if (get_str(o, name, buf, sizeof(buf), err, errlen))
		return -1;
	*out = strdup(buf);
	if (!*out) {
		snprintf(err, errlen, "out of memory reading field \"%s\"", name);
		return -1;
	}
	return 0;
}

int ledger_from_json(json_object *o, struct ledger *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "ledger is not a JSON object");
		return -1;
	}
	if (identity_from_json(o, l, err, errlen) || bytes_from_json(o, l, err, errlen) ||
	    interp_from_json(o, l, err, errlen))
		return -1;
	if (dup_str(o, "exe", &l->exe, err, errlen) ||
	    dup_str(o, "cgroup", &l->cgroup, err, errlen) || argv_from_json(o, l, err, errlen)) {
		ledger_free(l);
		return -1;
	}
	return 0;
}

json_object *meta_to_json(const struct doc_meta *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "schema", json_object_new_string(m->schema));
	json_object_object_add(o, "memreap_version", json_object_new_string(m->memreap_version));
	json_object_object_add(o, "host", json_object_new_string(m->host));
	json_object_object_add(o, "kernel", json_object_new_string(m->kernel));
	json_object_object_add(o, "page_size", u64(m->page_size));
	json_add_time(o, "boot_time_ns", m->boot_time_ns, true);
	json_add_time(o, "started_ns", m->started_ns, true);
	return o;
}

int meta_from_json(json_object *o, struct doc_meta *m, char *err, size_t errlen)
{
	uint64_t page;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "header is not a JSON object");
		return -1;
	}
	if (get_str(o, "schema", m->schema, sizeof(m->schema), err, errlen))
		return -1;
	if (strcmp(m->schema, MR_SCHEMA)) {
		snprintf(err, errlen, "schema \"%s\" is not %s", m->schema, MR_SCHEMA);
		return -1;
	}
	if (get_str(o, "memreap_version", m->memreap_version, sizeof(m->memreap_version), err,
		    errlen) ||
	    get_str(o, "host", m->host, sizeof(m->host), err, errlen) ||
	    get_str(o, "kernel", m->kernel, sizeof(m->kernel), err, errlen) ||
	    get_u64(o, "page_size", &page, err, errlen) ||
	    get_u64(o, "boot_time_ns", &m->boot_time_ns, err, errlen) ||
	    get_u64(o, "started_ns", &m->started_ns, err, errlen))
		return -1;
	m->page_size = (uint32_t)page;
	return 0;
}

json_object *health_to_json(const struct health *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ringbuf_drops", u64(h->ringbuf_drops));
	json_object_object_add(o, "map_full", u64(h->map_full));
	json_object_object_add(o, "unattributed_bytes", u64(h->unattributed_bytes));
	json_object_object_add(o, "lost_ledgers", u64(h->lost_ledgers));
	json_object_object_add(o, "parked", u64(h->parked));
	json_object_object_add(o, "unfollowed_releases", u64(h->unfollowed_releases));
	return o;
}

int health_from_json(json_object *o, struct health *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "health is not a JSON object");
		return -1;
	}
	if (get_u64(o, "ringbuf_drops", &h->ringbuf_drops, err, errlen) ||
	    get_u64(o, "map_full", &h->map_full, err, errlen) ||
	    get_u64(o, "unattributed_bytes", &h->unattributed_bytes, err, errlen) ||
	    get_u64(o, "lost_ledgers", &h->lost_ledgers, err, errlen))
		return -1;
	/* Added in v1 after the first recordings: optional. */
	if (json_object_object_get_ex(o, "parked", NULL) &&
	    get_u64(o, "parked", &h->parked, err, errlen))
		return -1;
	if (json_object_object_get_ex(o, "unfollowed_releases", NULL) &&
	    get_u64(o, "unfollowed_releases", &h->unfollowed_releases, err, errlen))
		return -1;
	return 0;
}

json_object *document_to_json(const struct document *d)
{
	json_object *o = document_shell_to_json(d);
	json_object *ledgers = json_object_new_array_ext((int)d->n);

	for (size_t i = 0; i < d->n; i++)
		json_object_array_add(ledgers, ledger_to_json(&d->ledgers[i]));
	json_object_object_add(o, "ledgers", ledgers); /* in its place: the value is replaced */
	return o;
}

json_object *document_shell_to_json(const struct document *d)
{
	json_object *o = json_object_new_object();
	json_object *totals = json_object_new_object();
	struct ledger_sum t;

	json_object_object_add(o, "schema", json_object_new_string(MR_SCHEMA));
	json_object_object_add(o, "memreap_version",
			       json_object_new_string(d->meta.memreap_version));
	json_object_object_add(o, "host", json_object_new_string(d->meta.host));
	json_object_object_add(o, "kernel", json_object_new_string(d->meta.kernel));
	json_object_object_add(o, "page_size", u64(d->meta.page_size));
	json_add_time(o, "started_ns", d->meta.started_ns, true);
	json_add_time(o, "ended_ns", d->meta.ended_ns, true);
	json_object_object_add(o, "health", health_to_json(&d->health));
	json_object_object_add(o, "ledgers", json_object_new_array());
	document_totals(d, &t);
	json_object_object_add(totals, "ledgers", u64(t.ledgers));
	for (int c = CAT_FAULTED_IN; c <= CAT_KERNEL_EXEC; c++)
		json_object_object_add(totals, category_names[c], kinds_to_json(t.bytes[c]));
	freed_to_json(totals, t.freed, t.freed_unknown > 0);
	json_object_object_add(o, "totals", totals);
	return o;
}

json_object *sum_to_json(const struct ledger_sum *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ledgers", u64(s->ledgers));
	json_object_object_add(o, "peak_rss", u64(s->peak_rss));
	for (int c = CAT_FAULTED_IN; c <= CAT_KERNEL_EXEC; c++)
		json_object_object_add(o, category_names[c], kinds_to_json(s->bytes[c]));
	freed_to_json(o, s->freed, s->freed_unknown > 0);
	return o;
}
