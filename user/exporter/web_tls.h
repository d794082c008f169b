/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The web config's tls_server_config made real with GnuTLS: the server's certificate and key,
 * the TLS versions, and how client certificates are asked for and verified. libmicrohttpd runs
 * the handshake; each new connection's session is set up from the configuration then in force.
 */
#ifndef MR_WEB_TLS_H
#define MR_WEB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <gnutls/gnutls.h>
#include "web_config.h"

struct web_tls {
	gnutls_certificate_credentials_t cred; /* certificate, key, client CAs */
	gnutls_priority_t priority;	       /* the TLS versions */
	enum web_client_auth client_auth;
	char *cert_pem, *key_pem; /* for libmicrohttpd's start, which needs them */
};

/* Read the files c names; 0, or -1 with one line in err naming the key. */
int web_tls_load(const struct web_config *c, struct web_tls **out, char *err, size_t errlen);
void web_tls_free(struct web_tls *t);
/* Before a connection's handshake: t's certificate, versions and client policy. 0 or -1. */
int web_tls_setup_session(const struct web_tls *t, gnutls_session_t session);
/*
 * After the handshake: does the client's certificate name one of client_allowed_sans (a DNS
 * name, e-mail address, IP address or URI, compared exactly, as exporter-toolkit does)? True
 * when c has none.
 */
bool web_tls_peer_allowed(const struct web_config *c, gnutls_session_t session);

#endif
