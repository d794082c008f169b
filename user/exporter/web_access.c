// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"
#include "web_access.h"

#define RETRY_NS 1000000000ull

struct web_access {
	pthread_mutex_t lock;
	char *path;
	struct web_state *current; /* under lock */
	/* The last failed reading: the files then, when, and its error (reported once). */
	struct web_stamp rejected[WEB_WATCHED];
	uint64_t rejected_ns;
	char rejected_error[512];
};

static void stamp(const char *path, struct web_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!path)
		return;
	if (stat(path, &st)) {
		s->error = errno;
		return;
	}
	*s = (struct web_stamp){.dev = st.st_dev,
				.ino = st.st_ino,
				.size = st.st_size,
				.mtime = st.st_mtim,
				.ctime = st.st_ctim};
}

/* out[0] is the config file's; the others are those of the files c names. */
static void stamp_files(const struct web_config *c, struct web_stamp *out)
{
	stamp(c->cert_file, &out[1]);
	stamp(c->key_file, &out[2]);
	stamp(c->client_ca_file, &out[3]);
}

static bool same_stamps(const struct web_stamp *a, const struct web_stamp *b)
{
	for (int i = 0; i < WEB_WATCHED; i++)
		if (a[i].error != b[i].error || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
		    a[i].size != b[i].size || a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
		    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec ||
		    a[i].ctime.tv_sec != b[i].ctime.tv_sec ||
		    a[i].ctime.tv_nsec != b[i].ctime.tv_nsec)
			return false;
	return true;
}

static void state_free(struct web_state *s)
{
	web_auth_free(s->auth);
	web_tls_free(s->tls);
	web_config_free(&s->cfg);
	free(s);
}

void web_state_put(struct web_state *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		state_free(s);
}

/* Stamps first, then the reading: a change in between is seen at the next check. */
static struct web_state *state_load(const char *path, char *err, size_t errlen)
{
	struct web_state *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	stamp(path, &s->stamps[0]);
	if (web_config_parse(path, &s->cfg, err, errlen)) {
		free(s);
		return NULL;
	}
	stamp_files(&s->cfg, s->stamps);
	if ((s->cfg.tls && web_tls_load(&s->cfg, &s->tls, err, errlen)) ||
	    (s->cfg.n_users && !(s->auth = web_auth_new(&s->cfg)) &&
	     snprintf(err, errlen, "out of memory"))) {
		state_free(s);
		return NULL;
	}
	return s;
}

struct web_access *web_access_open(const char *path, char *err, size_t errlen)
{
	struct web_access *a = calloc(1, sizeof(*a));

	if (!a || !(a->path = strdup(path))) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->current = state_load(path, err, errlen);
	if (!a->current) {
		free(a->path);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void web_access_close(struct web_access *a)
{
	if (!a)
		return;
	web_state_put(a->current);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

/* Under lock: read the file again if a watched file changed since the state in force. */
static void reload_if_changed(struct web_access *a)
{
	struct web_stamp now[WEB_WATCHED];
	struct web_state *next;
	char err[512];

	stamp(a->path, &now[0]);
	stamp_files(&a->current->cfg, now);
	if (same_stamps(now, a->current->stamps))
		return;
	/*
	 * Unchanged since a failure: tried again once a second all the same, since the fix may be
	 * in a file that only the rejected reading names.
	 */
	if (*a->rejected_error && same_stamps(now, a->rejected) &&
	    clock_ns(CLOCK_MONOTONIC) - a->rejected_ns < RETRY_NS)
		return;
	next = state_load(a->path, err, sizeof(err));
	if (next && next->cfg.tls != a->current->cfg.tls) {
		snprintf(err, sizeof(err),
			 "tls_server_config: TLS cannot be turned %s without a restart",
			 next->cfg.tls ? "on" : "off");
		web_state_put(next);
		next = NULL;
	}
	if (!next) {
		if (strcmp(err, a->rejected_error))
			fprintf(stderr,
				"memreap: web config %s: %s; the last valid one stays in force\n",
				a->path, err);
		memcpy(a->rejected, now, sizeof(now));
		a->rejected_ns = clock_ns(CLOCK_MONOTONIC);
		snprintf(a->rejected_error, sizeof(a->rejected_error), "%s", err);
		return;
	}
	web_state_put(a->current);
	a->current = next;
	*a->rejected_error = '\0';
	fprintf(stderr, "memreap: web config %s: reloaded\n", a->path);
}

struct web_state *web_access_get(struct web_access *a)
{
	struct web_state *s;

	pthread_mutex_lock(&a->lock);
	reload_if_changed(a);
	s = a->current;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&a->lock);
	return s;
}
