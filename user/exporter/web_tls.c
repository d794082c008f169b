// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/x509.h>
#include "web_tls.h"

#define PEM_MAX (1 << 20)

/* The PEM text of a file, or the inline text; NUL-terminated in *out. */
static int read_pem(const char *key, const char *path, const char *text, char **out, char *err,
		    size_t errlen)
{
	FILE *f;
	size_t n;

	if (!path) {
		*out = strdup(text);
		return *out ? 0 : (snprintf(err, errlen, "out of memory"), -1);
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "tls_server_config.%s: cannot read %s: %s", key, path,
			 strerror(errno));
		return -1;
	}
	*out = malloc(PEM_MAX + 1);
	n = *out ? fread(*out, 1, PEM_MAX + 1, f) : 0;
	if (!*out || ferror(f) || n > PEM_MAX) {
		snprintf(err, errlen, "tls_server_config.%s: cannot read %s: %s", key, path,
			 !*out	       ? "out of memory"
			 : n > PEM_MAX ? "larger than 1 MiB"
				       : "I/O error");
		free(*out);
		*out = NULL;
		fclose(f);
		return -1;
	}
	(*out)[n] = '\0';
	fclose(f);
	return 0;
}

static gnutls_datum_t datum(const char *text)
{
	return (gnutls_datum_t){(unsigned char *)text, (unsigned int)strlen(text)};
}

/* The certificate (checked on its own first, so that an error names the right key) and key. */
static int load_pair(struct web_tls *t, const struct web_config *c, char *err, size_t errlen)
{
	const char *cert_key = c->cert_file ? "cert_file" : "cert",
		   *key_key = c->key_file ? "key_file" : "key";
	gnutls_datum_t cert = datum(t->cert_pem), key = datum(t->key_pem);
	gnutls_x509_crt_t *list = NULL;
	unsigned int n = 0;
	int rc;

	rc = gnutls_x509_crt_list_import2(&list, &n, &cert, GNUTLS_X509_FMT_PEM, 0);
	for (unsigned int i = 0; rc >= 0 && i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	if (rc < 0 || !n) {
		snprintf(err, errlen, "tls_server_config.%s: no PEM certificate in %s (%s)",
			 cert_key, c->cert_file ? c->cert_file : "it", gnutls_strerror(rc));
		return -1;
	}
	rc = gnutls_certificate_set_x509_key_mem2(t->cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL,
						  0);
	if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
		snprintf(err, errlen, "tls_server_config: %s and %s do not match", cert_key,
			 key_key);
	else if (rc < 0)
		snprintf(err, errlen, "tls_server_config.%s: no usable PEM private key in %s (%s)",
			 key_key, c->key_file ? c->key_file : "it", gnutls_strerror(rc));
	return rc < 0 ? -1 : 0;
}

static int load_client_ca(struct web_tls *t, const struct web_config *c, char *err, size_t errlen)
{
	const char *key = c->client_ca_file ? "client_ca_file" : "client_ca";
	char *pem = NULL;
	gnutls_datum_t d;
	int rc;

	if (!c->client_ca_file && !c->client_ca)
		return 0;
	if (read_pem(key, c->client_ca_file, c->client_ca, &pem, err, errlen))
		return -1;
	d = datum(pem);
	rc = gnutls_certificate_set_x509_trust_mem(t->cred, &d, GNUTLS_X509_FMT_PEM);
	free(pem);
	if (rc <= 0) {
		snprintf(err, errlen, "tls_server_config.%s: no PEM certificate in %s", key,
			 c->client_ca_file ? c->client_ca_file : "it");
		return -1;
	}
	return 0;
}

/* GnuTLS's NORMAL set, narrowed to min_version..max_version and curve_preferences. */
static int make_priority(struct web_tls *t, const struct web_config *c, char *err, size_t errlen)
{
	char text[256];
	size_t len = (size_t)snprintf(text, sizeof(text), "NORMAL:-VERS-ALL");
	int rc;

	for (int v = c->max_version; v >= c->min_version; v--)
		len += (size_t)snprintf(text + len, sizeof(text) - len, ":+VERS-TLS1.%d", v - 10);
	if (c->n_groups)
		len += (size_t)snprintf(text + len, sizeof(text) - len, ":-GROUP-ALL");
	for (size_t i = 0; i < c->n_groups && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, ":+GROUP-%s", c->groups[i]);
	if (c->prefer_server_ciphers && len < sizeof(text))
		snprintf(text + len, sizeof(text) - len, ":%%SERVER_PRECEDENCE");
	rc = gnutls_priority_init(&t->priority, text, NULL);
	if (rc < 0) {
		t->priority = NULL;
		snprintf(err, errlen, "tls_server_config.min_version: GnuTLS refuses '%s': %s",
			 text, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

int web_tls_load(const struct web_config *c, struct web_tls **out, char *err, size_t errlen)
{
	struct web_tls *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t || gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->client_auth = c->client_auth;
	if (read_pem(c->cert_file ? "cert_file" : "cert", c->cert_file, c->cert, &t->cert_pem, err,
		     errlen) ||
	    read_pem(c->key_file ? "key_file" : "key", c->key_file, c->key, &t->key_pem, err,
		     errlen) ||
	    load_pair(t, c, err, errlen) || load_client_ca(t, c, err, errlen) ||
	    make_priority(t, c, err, errlen)) {
		web_tls_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void web_tls_free(struct web_tls *t)
{
	if (!t)
		return;
	gnutls_certificate_free_credentials(t->cred);
	if (t->priority)
		gnutls_priority_deinit(t->priority);
	free(t->cert_pem);
	if (t->key_pem)
		explicit_bzero(t->key_pem, strlen(t->key_pem));
	free(t->key_pem);
	free(t);
}

/*
 * During the handshake, once the client's certificate chain is in: verified against the client
 * CAs, for TLS client use. No chain at all is for the request mode to judge (GNUTLS_CERT_REQUIRE
 * has refused it already where one is needed). Non-zero ends the handshake.
 */
static int verify_client(gnutls_session_t session)
{
	gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
					 .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT};
	unsigned int n = 0, status = 0;

	if (!gnutls_certificate_get_peers(session, &n) || !n)
		return 0;
	if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status)
		return -1;
	return 0;
}

int web_tls_setup_session(const struct web_tls *t, gnutls_session_t session)
{
	static const gnutls_certificate_request_t request[] = {
	    [CLIENT_AUTH_NONE] = GNUTLS_CERT_IGNORE,
	    [CLIENT_AUTH_REQUEST] = GNUTLS_CERT_REQUEST,
	    [CLIENT_AUTH_REQUIRE_ANY] = GNUTLS_CERT_REQUIRE,
	    [CLIENT_AUTH_VERIFY_IF_GIVEN] = GNUTLS_CERT_REQUEST,
	    [CLIENT_AUTH_REQUIRE_VERIFIED] = GNUTLS_CERT_REQUIRE,
	};

	/* Both replace what libmicrohttpd set when it made the session. */
	if (gnutls_priority_set(session, t->priority) < 0 ||
	    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, t->cred) < 0)
		return -1;
	gnutls_certificate_server_set_request(session, request[t->client_auth]);
	if (t->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
	    t->client_auth == CLIENT_AUTH_REQUIRE_VERIFIED)
		gnutls_session_set_verify_function(session, verify_client);
	return 0;
}

/* The i-th subject alternative name as text in buf ("" for kinds not matched); -1 past the end. */
static int san_text(gnutls_x509_crt_t crt, unsigned int i, char *buf, size_t len)
{
	unsigned char raw[1024];
	size_t size = sizeof(raw) - 1;
	int type = gnutls_x509_crt_get_subject_alt_name(crt, i, raw, &size, NULL);

	*buf = '\0';
	if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
		return 0; /* longer than any name worth matching */
	if (type < 0)
		return -1;
	if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16))
		inet_ntop(size == 4 ? AF_INET : AF_INET6, raw, buf, (socklen_t)len);
	else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
		 type == GNUTLS_SAN_URI)
		snprintf(buf, len, "%.*s", (int)size, (const char *)raw);
	return 0;
}

bool web_tls_peer_allowed(const struct web_config *c, gnutls_session_t session)
{
	unsigned int n = 0;
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t crt;
	char name[1024];
	bool ok = false;

	if (!c->n_allowed_sans)
		return true;
	peers = gnutls_certificate_get_peers(session, &n);
	if (!peers || !n || gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0)
		for (unsigned int i = 0; !ok && san_text(crt, i, name, sizeof(name)) == 0; i++)
			for (size_t j = 0; *name && !ok && j < c->n_allowed_sans; j++)
				ok = !strcmp(name, c->allowed_sans[j]);
	gnutls_x509_crt_deinit(crt);
	return ok;
}
