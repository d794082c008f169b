/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The web config in force, and its reload. Each new connection and each request takes the
 * current state; before that, the config file and the files it names are stat()ed, and if any
 * changed (mtime, size, inode: a rename or a Kubernetes secret's symlink swap counts) the file is
 * read again. A file that became invalid is reported once on stderr and the last valid state
 * stays in force. TLS cannot be turned on or off without a restart.
 */
#ifndef MR_WEB_ACCESS_H
#define MR_WEB_ACCESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include "web_auth.h"
#include "web_config.h"
#include "web_tls.h"

#define WEB_WATCHED 4 /* the config file, cert_file, key_file, client_ca_file */

struct web_stamp {
	int error; /* errno of stat(), or 0 */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* One reading of the file, immutable once made: connections and requests hold references. */
struct web_state {
	atomic_int refs;
	struct web_config cfg;
	struct web_tls *tls;   /* NULL without tls_server_config */
	struct web_auth *auth; /* NULL without basic_auth_users */
	struct web_stamp stamps[WEB_WATCHED];
};

struct web_access;

/* Read and load FILE; NULL with one line in err ("tls_server_config.cert_file: ..."). */
struct web_access *web_access_open(const char *path, char *err, size_t errlen);
void web_access_close(struct web_access *a);
/* The state in force, re-read first if a watched file changed; give it back with put. */
struct web_state *web_access_get(struct web_access *a);
void web_state_put(struct web_state *s);

#endif
