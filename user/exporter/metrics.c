// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "exposition.h"
#include "label_pool.h"
#include "metrics.h"

const char *const released_by_names[NBY] = {"self", "kernel_exit", "kernel_exec", "kernel_live"};

/*
 * Interpreter label values: "none", then the runtimes of core/interp.c in their order, then
 * "other" for a name this version does not know.
 */
static uint32_t interp_index(const char *name)
{
	if (!*name)
		return 0;
	for (uint32_t i = 0; i < nruntimes; i++)
		if (!strcmp(name, runtimes[i].name))
			return i + 1;
	return (uint32_t)nruntimes + 1;
}

static const char *interp_label(uint32_t index)
{
	if (index == 0)
		return "none";
	return index <= nruntimes ? runtimes[index - 1].name : "other";
}

/* memreap_exit_resident_bytes: 64 KiB to 64 GiB, each bucket 4 times the last. */
#define NBUCKETS     11
#define FIRST_BUCKET (64ull << 10)

/* A ledger absent from the map this many passes with no end handled: its end was lost. */
#define FOLD_AFTER 30

struct values {
	uint64_t released[NBY][MR_NKINDS];
	uint64_t freed[NBY][MR_NKINDS]; /* the part of released that went back to the allocator */
	uint64_t shutdown[MR_NKINDS];
	uint64_t faulted[MR_NKINDS];
};

struct series {
	uint32_t comm, cgroup, container, interp;
	struct values ended, sum; /* sum = ended + live, filled by each render */
	uint64_t ends[2];	  /* exit, exec */
	uint64_t oom_kills;	  /* ledgers ended by the OOM killer */
	uint64_t zero_at;	  /* the generation that first showed it, at 0; 0 = not yet */
	bool visible;		  /* its 0 was served: its values are shown */
};

struct entry {
	uint64_t id;
	uint32_t series;
	uint32_t unseen; /* passes since it was last in the map */
	bool dead;	 /* ended: its numbers are in its series' ended values */
	struct values last;
};

/* A ledger seen for the first time in this pass: pinned to a series at the end of the pass. */
struct newcomer {
	uint64_t id;
	char *comm, *cgroup;
	uint32_t interp;
	struct values v;
};

struct metrics {
	struct metrics_opts o;
	struct label_pool comms, cgroups, containers;
	struct series *series; /* in creation order; index = series id */
	uint32_t *order;       /* series ids sorted by key */
	size_t nseries;
	struct entry *entries; /* live ledgers, sorted by id */
	size_t nentries;
	struct newcomer *fresh;
	size_t nfresh;
	uint64_t buckets[NBUCKETS], hist_sum, hist_count;
};

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "memreap: out of memory\n");
		exit(1);
	}
	return p;
}

struct metrics *metrics_new(const struct metrics_opts *o)
{
	struct metrics *m = must(calloc(1, sizeof(*m)));

	m->o = *o;
	label_pool_init(&m->comms, o->max_comm_labels);
	label_pool_init(&m->cgroups, o->cgroup_labels ? o->max_comm_labels : 0);
	label_pool_init(&m->containers, o->container_labels ? o->max_comm_labels : 0);
	return m;
}

static void free_fresh(struct metrics *m)
{
	for (size_t i = 0; i < m->nfresh; i++) {
		free(m->fresh[i].comm);
		free(m->fresh[i].cgroup);
	}
	free(m->fresh);
	m->fresh = NULL;
	m->nfresh = 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free_fresh(m);
	label_pool_free(&m->comms);
	label_pool_free(&m->cgroups);
	label_pool_free(&m->containers);
	free(m->series);
	free(m->order);
	free(m->entries);
	free(m);
}

static void values_of(struct values *v, const struct ledger *l)
{
	static const enum category cats[NBY] = {CAT_SELF_RELEASED, CAT_KERNEL_EXIT, CAT_KERNEL_EXEC,
						CAT_KERNEL_LIVE};

	memset(v, 0, sizeof(*v));
	for (int k = 0; k < MR_NKINDS; k++) {
		for (int b = 0; b < NBY; b++) {
			v->released[b][k] = l->bytes[cats[b]][k];
			v->freed[b][k] = l->freed[cats[b]][k];
		}
		v->shutdown[k] = l->shutdown_released[k];
		v->faulted[k] = l->bytes[CAT_FAULTED_IN][k];
	}
}

#define NVALUES (sizeof(struct values) / sizeof(uint64_t))

/* Field by field, the larger: a counter read twice never goes back. */
static void values_max(struct values *into, const struct values *v)
{
	uint64_t *a = (uint64_t *)into;
	const uint64_t *b = (const uint64_t *)v;

	for (size_t i = 0; i < NVALUES; i++)
		if (b[i] > a[i])
			a[i] = b[i];
}

static void values_add(struct values *into, const struct values *v)
{
	uint64_t *a = (uint64_t *)into;
	const uint64_t *b = (const uint64_t *)v;

	for (size_t i = 0; i < NVALUES; i++)
		a[i] += b[i];
}

/* Bytes that moved (faulted in or released): what ranks a name for its own label value. */
static uint64_t moved(const struct values *v)
{
	uint64_t n = 0;

	for (int k = 0; k < MR_NKINDS; k++) {
		n += v->faulted[k];
		for (int b = 0; b < NBY; b++)
			n += v->released[b][k];
	}
	return n;
}

/* Label indexes are below 2^16: at most 2N+1 of each, N <= 1000 (cmd_exporter.c). */
static uint64_t series_key(uint32_t comm, uint32_t cgroup, uint32_t container, uint32_t interp)
{
	return (uint64_t)comm << 48 | (uint64_t)cgroup << 32 | (uint64_t)container << 16 | interp;
}

static uint32_t series_for(struct metrics *m, uint32_t comm, uint32_t cgroup, uint32_t container,
			   uint32_t interp)
{
	uint64_t key = series_key(comm, cgroup, container, interp);
	size_t lo = 0, hi = m->nseries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct series *s = &m->series[m->order[mid]];
		uint64_t k = series_key(s->comm, s->cgroup, s->container, s->interp);

		if (k == key)
			return m->order[mid];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	m->series = must(realloc(m->series, (m->nseries + 1) * sizeof(*m->series)));
	m->order = must(realloc(m->order, (m->nseries + 1) * sizeof(*m->order)));
	memset(&m->series[m->nseries], 0, sizeof(*m->series));
	m->series[m->nseries].comm = comm;
	m->series[m->nseries].cgroup = cgroup;
	m->series[m->nseries].container = container;
	m->series[m->nseries].interp = interp;
	memmove(&m->order[lo + 1], &m->order[lo], (m->nseries - lo) * sizeof(*m->order));
	m->order[lo] = (uint32_t)m->nseries;
	return (uint32_t)m->nseries++;
}

static struct entry *entry_of(struct metrics *m, uint64_t id)
{
	size_t lo = 0, hi = m->nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->entries[mid].id == id)
			return &m->entries[mid];
		if (m->entries[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * A container's name in its label pool: "<container_id>/<pod_uid>/<unit>" (none of them holds a
 * '/'), so that the three labels are bounded together, as one value.
 */
static char *container_key(const char *cgroup)
{
	struct container_ref r;
	const char *unit;
	char *key;

	container_parse(cgroup, &r);
	unit = r.unit ? r.unit : "";
	if (asprintf(&key, "%s/%s/%.*s", r.id, r.pod_uid, (int)r.unit_len, unit) < 0)
		key = NULL;
	return must(key);
}

/* Names as label values: valid UTF-8 ("" cgroup = unknown). */
static void count_names(struct metrics *m, const char *comm, const char *cgroup, uint64_t bytes)
{
	label_pool_count(&m->comms, comm, bytes);
	if (m->o.cgroup_labels)
		label_pool_count(&m->cgroups, cgroup, bytes);
	if (m->o.container_labels) {
		char *key = container_key(cgroup);

		label_pool_count(&m->containers, key, bytes);
		free(key);
	}
}

/* Free values go to names as they come: a short-lived newcomer need not wait for a ranking. */
static uint32_t pin(struct metrics *m, const char *comm, const char *cgroup, uint32_t interp)
{
	uint32_t cg = m->o.cgroup_labels ? label_pool_admit(&m->cgroups, cgroup) : LABEL_OTHER;
	uint32_t ct = LABEL_OTHER;

	if (m->o.container_labels) {
		char *key = container_key(cgroup);

		ct = label_pool_admit(&m->containers, key);
		free(key);
	}
	return series_for(m, label_pool_admit(&m->comms, comm), cg, ct, interp);
}

void metrics_live_begin(struct metrics *m)
{
	free_fresh(m);
	for (size_t i = 0; i < m->nentries; i++)
		m->entries[i].unseen++;
}

void metrics_live(struct metrics *m, const struct ledger *l)
{
	struct entry *e = entry_of(m, l->id);
	struct newcomer *n;
	struct values v;

	if (!l->pid || l->building)
		return; /* a fork not bound yet, an exec not done (old comm): counted once they are
			 */
	values_of(&v, l);
	if (e) {
		if (e->dead)
			return;
		struct values before = e->last;

		values_max(&e->last, &v);
		e->unseen = 0;
		uint64_t delta = moved(&e->last) - moved(&before);

		if (delta) {
			char *comm = expo_utf8(l->comm),
			     *cg = expo_utf8(l->cgroup ? l->cgroup : "");

			count_names(m, comm ? comm : "", cg ? cg : "", delta);
			free(comm);
			free(cg);
		}
		return;
	}
	m->fresh = must(realloc(m->fresh, (m->nfresh + 1) * sizeof(*m->fresh)));
	n = &m->fresh[m->nfresh++];
	n->id = l->id;
	n->comm = must(expo_utf8(l->comm));
	n->cgroup = must(expo_utf8(l->cgroup ? l->cgroup : ""));
	n->interp = interp_index(l->interp.name);
	n->v = v;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct entry *)a)->id, y = ((const struct entry *)b)->id;

	return x < y ? -1 : x > y;
}

static int fresh_by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct newcomer *)a)->id, y = ((const struct newcomer *)b)->id;

	return x < y ? -1 : x > y;
}

/* Drop ended entries; fold in those whose end never came (lost, and counted in health). */
static void compact(struct metrics *m)
{
	size_t keep = 0;

	for (size_t i = 0; i < m->nentries; i++) {
		struct entry *e = &m->entries[i];

		if (!e->dead && e->unseen > FOLD_AFTER)
			values_add(&m->series[e->series].ended, &e->last);
		else if (!e->dead)
			m->entries[keep++] = *e;
	}
	m->nentries = keep;
}

void metrics_live_end(struct metrics *m)
{
	size_t n = m->nentries;

	/* Rank the newcomers first, so that a large new name gets its label for its own ledger. */
	if (m->nfresh)
		qsort(m->fresh, m->nfresh, sizeof(*m->fresh), fresh_by_id);
	for (size_t i = 0; i < m->nfresh; i++)
		count_names(m, m->fresh[i].comm, m->fresh[i].cgroup, moved(&m->fresh[i].v));
	label_pool_rebalance(&m->comms);
	label_pool_rebalance(&m->cgroups);
	label_pool_rebalance(&m->containers);
	m->entries = must(realloc(m->entries, (n + m->nfresh + 1) * sizeof(*m->entries)));
	for (size_t i = 0; i < m->nfresh; i++) {
		struct newcomer *f = &m->fresh[i];

		if (n > m->nentries && m->entries[n - 1].id == f->id) {
			values_max(&m->entries[n - 1].last, &f->v); /* listed twice in one pass */
			continue;
		}
		m->entries[n++] = (struct entry){
		    .id = f->id, .last = f->v, .series = pin(m, f->comm, f->cgroup, f->interp)};
	}
	m->nentries = n;
	if (m->nentries)
		qsort(m->entries, m->nentries, sizeof(*m->entries), by_id);
	free_fresh(m);
	compact(m);
}

static void observe_exit(struct metrics *m, const struct values *v)
{
	uint64_t left = 0, bound = FIRST_BUCKET;

	for (int k = 0; k < MR_NKINDS; k++)
		left += v->released[BY_KERNEL_EXIT][k];
	for (int b = 0; b < NBUCKETS; b++, bound *= 4)
		if (left <= bound)
			m->buckets[b]++;
	m->hist_sum += left;
	m->hist_count++;
}

void metrics_ended(struct metrics *m, const struct ledger *l)
{
	struct entry *e = entry_of(m, l->id);
	struct values v;
	uint32_t s;

	values_of(&v, l);
	if (e && e->dead)
		return; /* counted once */
	if (e) {
		uint64_t before = moved(&e->last);

		values_max(&v, &e->last);
		e->dead = true;
		s = e->series;
		if (moved(&v) > before) {
			char *comm = must(expo_utf8(l->comm)),
			     *cg = must(expo_utf8(l->cgroup ? l->cgroup : ""));

			count_names(m, comm, cg, moved(&v) - before);
			free(comm);
			free(cg);
		}
	} else {
		char *comm = must(expo_utf8(l->comm)),
		     *cg = must(expo_utf8(l->cgroup ? l->cgroup : ""));

		count_names(m, comm, cg, moved(&v));
		s = pin(m, comm, cg, interp_index(l->interp.name));
		free(comm);
		free(cg);
	}
	values_add(&m->series[s].ended, &v);
	if (l->end == MR_END_EXIT || l->end == MR_END_EXEC)
		m->series[s].ends[l->end == MR_END_EXEC]++;
	if (ledger_oom_killed(l))
		m->series[s].oom_kills++;
	if (l->end == MR_END_EXIT)
		observe_exit(m, &v);
}

/* container_id="..",pod_uid="..",unit=".." of a container label value; "other" for all three. */
static void container_labels(struct expo_buf *b, const char *key)
{
	const char *uid = strchr(key, '/'), *unit = uid ? strchr(uid + 1, '/') : NULL;
	char id[CONTAINER_SHORT_ID + 1], pod[POD_UID_LEN + 1];

	if (!unit) {
		expo_label(b, "container_id", key);
		expo_label(b, "pod_uid", key);
		expo_label(b, "unit", key);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(uid - key), key);
	snprintf(pod, sizeof(pod), "%.*s", (int)(unit - uid - 1), uid + 1);
	expo_label(b, "container_id", id);
	expo_label(b, "pod_uid", pod);
	expo_label(b, "unit", unit + 1);
}

/*
 * comm="..",[cgroup="..",][container_id="..",pod_uid="..",unit="..",]interpreter=".." for every
 * series, escaped once per render.
 */
static char **series_labels(struct metrics *m)
{
	char **labels = must(calloc(m->nseries + 1, sizeof(*labels)));

	for (size_t i = 0; i < m->nseries; i++) {
		const struct series *s = &m->series[i];
		struct expo_buf b = {0};

		expo_label(&b, "comm", label_pool_name(&m->comms, s->comm));
		if (m->o.cgroup_labels)
			expo_label(&b, "cgroup", label_pool_name(&m->cgroups, s->cgroup));
		if (m->o.container_labels)
			container_labels(&b, label_pool_name(&m->containers, s->container));
		expo_label(&b, "interpreter", interp_label(s->interp));
		labels[i] = b.failed ? NULL : b.data;
		if (!labels[i])
			labels[i] = must(strdup(""));
	}
	return labels;
}

static void sum_series(struct metrics *m, const struct metrics_state *st)
{
	for (size_t i = 0; i < m->nseries; i++) {
		struct series *s = &m->series[i];

		if (!s->visible && s->zero_at && st->served >= s->zero_at)
			s->visible = true;
		if (!s->zero_at)
			s->zero_at = st->generation;
		s->sum = m->series[i].ended;
	}
	for (size_t i = 0; i < m->nentries; i++)
		if (!m->entries[i].dead)
			values_add(&m->series[m->entries[i].series].sum, &m->entries[i].last);
}

/* name{first,<series labels>} value, for every series in key order. */
static void per_series(struct expo_buf *b, struct metrics *m, char **labels, const char *name,
		       const char *first, size_t offset)
{
	for (size_t i = 0; i < m->nseries; i++) {
		uint32_t id = m->order[i];
		const uint64_t *value = (const uint64_t *)((const char *)&m->series[id] + offset);

		expo_printf(b, "%s{%s%s%s} %llu\n", name, first, *first ? "," : "", labels[id],
			    m->series[id].visible ? (unsigned long long)*value : 0ull);
	}
}

#define SERIES_FIELD(field) offsetof(struct series, field)

/* One sample per kind and series, from a uint64_t[MR_NKINDS] at offset. */
static void per_kind_series(struct expo_buf *b, struct metrics *m, char **labels,
			    const char *name, size_t offset)
{
	char first[64];

	for (int k = 0; k < MR_NKINDS; k++) {
		snprintf(first, sizeof(first), "kind=\"%s\"", kind_names[k]);
		per_series(b, m, labels, name, first, offset + k * sizeof(uint64_t));
	}
}

/* One sample per by, kind and series, from a uint64_t[NBY][MR_NKINDS] at offset. */
static void per_by_kind_series(struct expo_buf *b, struct metrics *m, char **labels,
			       const char *name, size_t offset)
{
	char first[64];

	for (int by = 0; by < NBY; by++)
		for (int k = 0; k < MR_NKINDS; k++) {
			snprintf(first, sizeof(first), "by=\"%s\",kind=\"%s\"",
				 released_by_names[by], kind_names[k]);
			per_series(b, m, labels, name, first,
				   offset + (by * MR_NKINDS + k) * sizeof(uint64_t));
		}
}

static void render_ledger_families(struct expo_buf *b, struct metrics *m, char **labels)
{
	expo_family(b, "memreap_released_bytes_total", "counter",
		    "Bytes that left address spaces' resident sets, by who released them: the "
		    "process itself by syscall (self), the kernel at exit, at exec, or while the "
		    "process lived (kernel_live). The values of by are disjoint.");
	per_by_kind_series(b, m, labels, "memreap_released_bytes_total",
			   SERIES_FIELD(sum.released));
	expo_family(b, "memreap_freed_bytes_total", "counter",
		    "The part of memreap_released_bytes_total (same by and kind) that went back to "
		    "the page allocator; the rest stays in memory: page cache, shmem, pages shared "
		    "with another process.");
	per_by_kind_series(b, m, labels, "memreap_freed_bytes_total", SERIES_FIELD(sum.freed));
	expo_family(b, "memreap_shutdown_released_bytes_total", "counter",
		    "The part of by=\"self\" released after the interpreter began its own shutdown "
		    "(Py_FinalizeEx, perl_destruct, ...).");
	per_kind_series(b, m, labels, "memreap_shutdown_released_bytes_total",
			SERIES_FIELD(sum.shutdown));
	expo_family(b, "memreap_faulted_in_bytes_total", "counter",
		    "Bytes that entered address spaces' resident sets.");
	per_kind_series(b, m, labels, "memreap_faulted_in_bytes_total", SERIES_FIELD(sum.faulted));
	expo_family(b, "memreap_address_spaces_ended_total", "counter",
		    "Address spaces that ended: torn down at exit, or replaced by exec.");
	per_series(b, m, labels, "memreap_address_spaces_ended_total", "end=\"exit\"",
		   SERIES_FIELD(ends[0]));
	per_series(b, m, labels, "memreap_address_spaces_ended_total", "end=\"exec\"",
		   SERIES_FIELD(ends[1]));
}

static void render_oom_kills(struct expo_buf *b, struct metrics *m, char **labels)
{
	expo_family(b, "memreap_oom_kills_total", "counter",
		    "Processes killed by the OOM killer (oom:mark_victim chose them), counted when "
		    "their address space ended.");
	per_series(b, m, labels, "memreap_oom_kills_total", "", SERIES_FIELD(oom_kills));
}

static void render_histogram(struct expo_buf *b, struct metrics *m)
{
	uint64_t bound = FIRST_BUCKET;
	char le[48];

	expo_family(b, "memreap_exit_resident_bytes", "histogram",
		    "Bytes the kernel unmapped at the exit of each address space (kernel_exit per "
		    "ledger; memreap_freed_bytes_total says how much of it was freed).");
	for (int i = 0; i < NBUCKETS; i++, bound *= 4) {
		snprintf(le, sizeof(le), "le=\"%llu\"", (unsigned long long)bound);
		expo_sample(b, "memreap_exit_resident_bytes_bucket", le, m->buckets[i]);
	}
	expo_sample(b, "memreap_exit_resident_bytes_bucket", "le=\"+Inf\"", m->hist_count);
	expo_sample(b, "memreap_exit_resident_bytes_sum", "", m->hist_sum);
	expo_sample(b, "memreap_exit_resident_bytes_count", "", m->hist_count);
}

static void render_health(struct expo_buf *b, const struct metrics_state *s)
{
	expo_family(b, "memreap_tracked_address_spaces", "gauge",
		    "Address spaces with a live ledger in the kernel map.");
	expo_sample(b, "memreap_tracked_address_spaces", "", s->tracked);
	expo_family(b, "memreap_ringbuf_drops_total", "counter",
		    "Events the BPF ring buffer had no room for (an ended ledger that does not fit "
		    "is parked and not lost).");
	expo_sample(b, "memreap_ringbuf_drops_total", "", s->health.ringbuf_drops);
	expo_family(b, "memreap_map_full_total", "counter",
		    "Address spaces for which no ledger could be created: the live-ledger map was "
		    "full (raise --map-entries).");
	expo_sample(b, "memreap_map_full_total", "", s->health.map_full);
	expo_family(b, "memreap_unattributed_bytes_total", "counter",
		    "Resident-byte changes of address spaces without a ledger.");
	expo_sample(b, "memreap_unattributed_bytes_total", "", s->health.unattributed_bytes);
	expo_family(b, "memreap_lost_ledgers_total", "counter",
		    "Ended ledgers neither sent nor parked: their final numbers are missing.");
	expo_sample(b, "memreap_lost_ledgers_total", "", s->health.lost_ledgers);
	expo_family(b, "memreap_unfollowed_releases_total", "counter",
		    "Releases whose page frees could not be followed (no release window): "
		    "memreap_freed_bytes_total is short by what they freed.");
	expo_sample(b, "memreap_unfollowed_releases_total", "", s->health.unfollowed_releases);
}

static void render_programs(struct expo_buf *b, const struct metrics_state *s)
{
	const char *off =
	    s->bpf_stats_enabled == 1
		? ""
		: " kernel.bpf_stats_enabled is off: these stay 0 until it is set to 1 (sysctl -w "
		  "kernel.bpf_stats_enabled=1; it costs a little on every program run).";
	char help[512], label[64];

	expo_family(b, "memreap_bpf_stats_enabled", "gauge",
		    "1 if the kernel counts BPF program run time (kernel.bpf_stats_enabled), 0 if "
		    "not, -1 if unknown.");
	expo_sample_double(b, "memreap_bpf_stats_enabled", "", s->bpf_stats_enabled);
	snprintf(help, sizeof(help), "CPU time spent in memreap's BPF programs.%s", off);
	expo_family(b, "memreap_bpf_program_run_seconds_total", "counter", help);
	for (size_t i = 0; i < s->nprograms; i++) {
		snprintf(label, sizeof(label), "program=\"%s\"", s->programs[i].name);
		expo_sample_double(b, "memreap_bpf_program_run_seconds_total", label,
				   (double)s->programs[i].run_ns / 1e9);
	}
	snprintf(help, sizeof(help), "Runs of memreap's BPF programs.%s", off);
	expo_family(b, "memreap_bpf_program_runs_total", "counter", help);
	for (size_t i = 0; i < s->nprograms; i++) {
		snprintf(label, sizeof(label), "program=\"%s\"", s->programs[i].name);
		expo_sample(b, "memreap_bpf_program_runs_total", label, s->programs[i].runs);
	}
}

static void render_build_info(struct expo_buf *b, const struct metrics_state *s)
{
	struct expo_buf labels = {0};

	expo_label(&labels, "version", s->version ? s->version : "");
	expo_label(&labels, "kernel", s->kernel ? s->kernel : "");
	expo_label(&labels, "contract", METRICS_CONTRACT);
	expo_family(b, "memreap_build_info", "gauge",
		    "Always 1: the memreap version, the running kernel and the metrics contract.");
	expo_sample(b, "memreap_build_info", labels.failed ? "" : labels.data, 1);
	free(labels.data);
}

char *metrics_render(struct metrics *m, const struct metrics_state *s, size_t *len)
{
	struct expo_buf b = {0};
	char **labels = series_labels(m);

	sum_series(m, s);
	render_ledger_families(&b, m, labels);
	render_oom_kills(&b, m, labels);
	render_histogram(&b, m);
	render_health(&b, s);
	render_programs(&b, s);
	render_build_info(&b, s);
	for (size_t i = 0; i < m->nseries; i++)
		free(labels[i]);
	free(labels);
	if (b.failed || !b.data) {
		free(b.data);
		return NULL;
	}
	*len = b.len;
	return b.data;
}
