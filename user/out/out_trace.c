// SPDX-License-Identifier: GPL-2.0
/*
 * report --format trace: Chrome's Trace Event Format (JSON object form), which ui.perfetto.dev
 * and Chrome DevTools open. One process track per ledger, named "comm pid"; counter tracks
 * "rss" (anon, file, shmem) and "released" (self, kernel, freed: cumulative bytes); a slice for
 * the ledger's life and one for its interpreter's shutdown; instants for its exec or exit.
 * Timestamps are microseconds from the recording's start.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "ledger_json.h"
#include "out.h"
#include "sample.h"
#include "select.h"
#include "u64map.h"
#include "util.h"

#define SZ 16
/* "I", not the spec's newer "i": Chrome writes "I", and DevTools' trace model and TracerBench's
 * know no other; Perfetto and catapult take both. */
#define INSTANT "I"

struct trace {
	json_object *events;
	uint64_t origin_ns;
	uint64_t end_ns; /* the recording's end: where a live ledger's life slice stops */
};

static double us(const struct trace *t, uint64_t ns)
{
	return ns > t->origin_ns ? (double)(ns - t->origin_ns) / 1000.0 : 0;
}

static json_object *event(struct trace *t, const char *name, const char *ph, uint64_t ns, int track)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "cat", json_object_new_string("memreap"));
	json_object_object_add(e, "ph", json_object_new_string(ph));
	json_object_object_add(e, "ts", json_object_new_double(us(t, ns)));
	json_object_object_add(e, "pid", json_object_new_int(track));
	json_object_object_add(e, "tid", json_object_new_int(track));
	json_object_array_add(t->events, e);
	return e;
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static void counters(struct trace *t, int track, uint64_t ns, const uint64_t rss[MR_NKINDS],
		     uint64_t self, uint64_t kernel, uint64_t freed)
{
	json_object *rs = json_object_new_object(), *rel = json_object_new_object();

	for (int k = 0; k < MR_NKINDS; k++)
		add_u64(rs, kind_names[k], rss[k]);
	json_object_object_add(event(t, "rss", "C", ns, track), "args", rs);
	add_u64(rel, "self", self);
	add_u64(rel, "kernel", kernel);
	add_u64(rel, "freed", freed);
	json_object_object_add(event(t, "released", "C", ns, track), "args", rel);
}

static void name_track(struct trace *t, const struct ledger *l, int track)
{
	json_object *args = json_object_new_object();
	char name[128], interp[64];

	if (l->interp.name[0])
		snprintf(name, sizeof(name), "%s %u (%s)", l->comm, l->pid,
			 interp_text(&l->interp, interp, sizeof(interp)));
	else
		snprintf(name, sizeof(name), "%s %u", l->comm, l->pid);
	json_object_object_add(args, "name", json_object_new_string(printable(name)));
	json_object_object_add(event(t, "process_name", "M", l->start_ns, track), "args", args);
}

static void slice(struct trace *t, const char *name, uint64_t from, uint64_t to, int track)
{
	json_object *e = event(t, name, "X", from, track);

	json_object_object_add(e, "dur", json_object_new_double(us(t, to) - us(t, from)));
}

static void end_instant(struct trace *t, const struct ledger *l, int track)
{
	json_object *e = event(t, end_names[l->end], INSTANT, l->end_ns, track), *args;

	json_object_object_add(e, "s", json_object_new_string("p"));
	args = json_object_new_object();
	json_object_object_add(args, "exit_code", l->exit_code >= 0 ?
				json_object_new_int(l->exit_code) : NULL);
	json_object_object_add(args, "signal", l->signal >= 0 ? json_object_new_int(l->signal) : NULL);
	json_object_object_add(e, "args", args);
}

/* Its last figures: at its end (nothing resident any more), or at the recording's end. */
static void end_counters(struct trace *t, const struct ledger *l, int track)
{
	uint64_t zero[MR_NKINDS] = { 0 };
	bool alive = l->end == MR_END_ALIVE;

	counters(t, track, alive ? t->end_ns : l->end_ns, alive ? l->bytes[CAT_RSS_AT_END] : zero,
		 cat_total(l->bytes[CAT_SELF_RELEASED]), ledger_kernel_total(l),
		 ledger_freed_total(l));
}

static uint64_t sample_ledger(const struct document *d, size_t i)
{
	return d->samples[i].ledger_id;
}

static uint64_t event_ledger(const struct document *d, size_t i)
{
	return d->events[i].ledger_id;
}

/* What belongs to the chosen ledgers, by track and then in the order taken: a counting sort.
 * The items of track k are order[first[k] ... first[k + 1]]. */
struct by_track {
	size_t *order, *first;
};

static int by_track(struct by_track *b, const struct document *d, size_t n,
		    uint64_t (*ledger_of)(const struct document *d, size_t i),
		    const struct u64map *track_of, size_t ntracks)
{
	uint64_t track;

	b->order = malloc((n + 1) * sizeof(*b->order));
	b->first = calloc(ntracks + 2, sizeof(*b->first));
	if (!b->order || !b->first)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (u64map_get(track_of, ledger_of(d, i), &track))
			b->first[track + 1]++;
	for (size_t k = 1; k <= ntracks + 1; k++)
		b->first[k] += b->first[k - 1];
	for (size_t i = 0; i < n; i++)
		if (u64map_get(track_of, ledger_of(d, i), &track))
			b->order[b->first[track]++] = i;
	for (size_t k = ntracks + 1; k > 0; k--) /* first[k] back to each track's start */
		b->first[k] = b->first[k - 1];
	b->first[0] = 0;
	return 0;
}

static void by_track_free(struct by_track *b)
{
	free(b->order);
	free(b->first);
}

/* A time within the ledger's life: a sample taken while an exited process's teardown still ran
 * is put at its end, so that a track's times never go back. */
static uint64_t within(const struct ledger *l, uint64_t ns)
{
	ns = ns < l->start_ns ? l->start_ns : ns;
	return l->end != MR_END_ALIVE && ns > l->end_ns ? l->end_ns : ns;
}

static void release_instant(struct trace *t, const struct ledger *l, int track,
			    const struct timeline_event *e)
{
	json_object *ev = event(t, call_names[e->call < MR_NCALLS ? e->call : MR_CALL_OTHER], INSTANT,
				within(l, e->ts_ns), track), *args = json_object_new_object();
	char size[SZ];

	json_object_object_add(ev, "s", json_object_new_string("p"));
	add_u64(args, "bytes", e->bytes);
	json_object_object_add(args, "size", json_object_new_string(human_bytes(e->bytes, size, SZ)));
	json_object_object_add(ev, "args", args);
}

/* The interpreter's shutdown slice, once, before the first item at or after its start. */
static void shutdown_by(struct trace *t, int track, uint64_t *shutdown_ns, uint64_t end,
			uint64_t ns)
{
	if (!*shutdown_ns || ns < *shutdown_ns)
		return;
	slice(t, "interpreter shutdown", *shutdown_ns, end, track);
	*shutdown_ns = 0;
}

/* A track's samples, large releases and shutdown (0: none), merged in time order. */
static void track_middle(struct trace *t, const struct document *d, const struct ledger *l,
			 int track, const struct by_track *sb, const struct by_track *eb,
			 uint64_t shutdown_ns, uint64_t end)
{
	size_t i = sb->first[track], ie = sb->first[track + 1];
	size_t j = eb->first[track], je = eb->first[track + 1];

	while (i < ie || j < je) {
		const struct sample *s = i < ie ? &d->samples[sb->order[i]] : NULL;
		const struct timeline_event *e = j < je ? &d->events[eb->order[j]] : NULL;

		if (s && (!e || s->ts_ns <= e->ts_ns)) {
			shutdown_by(t, track, &shutdown_ns, end, within(l, s->ts_ns));
			counters(t, track, within(l, s->ts_ns), s->rss, s->self_released, s->kernel,
				 s->freed);
			i++;
		} else {
			shutdown_by(t, track, &shutdown_ns, end, within(l, e->ts_ns));
			release_instant(t, l, track, e);
			j++;
		}
	}
	shutdown_by(t, track, &shutdown_ns, end, end);
}

/* One ledger's track in time order: its name, life, baseline, samples, releases and shutdown,
 * end. */
static void ledger_events(struct trace *t, const struct ledger *l, int track,
			  const struct document *d, const struct by_track *sb,
			  const struct by_track *eb)
{
	uint64_t end = l->end == MR_END_ALIVE ? t->end_ns : l->end_ns;
	uint64_t shutdown_ns = l->shutdown_started_ns <= end ? l->shutdown_started_ns : 0;

	name_track(t, l, track);
	slice(t, "life", l->start_ns, end, track);
	counters(t, track, l->start_ns, l->bytes[CAT_BASELINE], 0, 0, 0);
	track_middle(t, d, l, track, sb, eb, shutdown_ns, end);
	if (l->end != MR_END_ALIVE)
		end_instant(t, l, track);
	end_counters(t, l, track);
}

int out_trace(FILE *f, const struct document *d, const struct report_opts *o)
{
	struct trace t = { json_object_new_array(), d->meta.started_ns, d->meta.ended_ns };
	json_object *doc = json_object_new_object(), *other = json_object_new_object();
	struct u64map track_of = { 0 };
	struct ledger *l = NULL;
	size_t n = select_ledgers(d, o, &l);
	struct by_track sb = { 0 }, eb = { 0 };
	bool oom = false;
	const char *s;
	int ok;

	if (!t.end_ns)
		for (size_t i = 0; i < d->n; i++)
			t.end_ns = d->ledgers[i].end_ns > t.end_ns ? d->ledgers[i].end_ns : t.end_ns;
	for (size_t i = 0; i < n; i++)
		u64map_put(&track_of, l[i].id, i + 1, NULL);
	if (by_track(&sb, d, d->nsamples, sample_ledger, &track_of, n) ||
	    by_track(&eb, d, d->nevents, event_ledger, &track_of, n))
		n = 0, oom = true; /* an empty trace, and an error below */
	for (size_t i = 0; i < n; i++) /* each track in time order */
		ledger_events(&t, &l[i], (int)i + 1, d, &sb, &eb);
	json_object_object_add(doc, "traceEvents", t.events);
	json_object_object_add(doc, "displayTimeUnit", json_object_new_string("ms"));
	json_object_object_add(other, "schema", json_object_new_string(MR_SCHEMA));
	json_object_object_add(other, "host", json_object_new_string(d->meta.host));
	json_object_object_add(other, "kernel", json_object_new_string(d->meta.kernel));
	json_object_object_add(doc, "otherData", other);
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ok = !oom && fputs(s, f) >= 0 && fputc('\n', f) != EOF;
	json_object_put(doc);
	u64map_free(&track_of);
	by_track_free(&sb);
	by_track_free(&eb);
	free(l);
	return ok ? 0 : -1;
}
