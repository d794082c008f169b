/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's --web.config.file, in the Prometheus exporter-toolkit's YAML format (the file
 * node_exporter takes): tls_server_config, basic_auth_users, http_server_config.headers. This
 * reads and checks the file (libyaml); web_access.c loads what it names and reloads it.
 */
#ifndef MR_WEB_CONFIG_H
#define MR_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* exporter-toolkit's client_auth_type values, as Go's crypto/tls names them. */
enum web_client_auth {
	CLIENT_AUTH_NONE,	      /* NoClientCert */
	CLIENT_AUTH_REQUEST,	      /* RequestClientCert: asked for, not checked */
	CLIENT_AUTH_REQUIRE_ANY,      /* RequireAnyClientCert: needed, not checked */
	CLIENT_AUTH_VERIFY_IF_GIVEN,  /* VerifyClientCertIfGiven */
	CLIENT_AUTH_REQUIRE_VERIFIED, /* RequireAndVerifyClientCert */
};

/* TLS versions as numbers: 10 for TLS 1.0 ... 13 for TLS 1.3. */
#define WEB_TLS_MIN_DEFAULT 12
#define WEB_TLS_MAX_DEFAULT 13

struct web_pair {
	char *name;
	char *value;
};

struct web_config {
	bool tls; /* tls_server_config is there */
	/* PEM: a file (relative to the config file's folder) or the text inline; one of each. */
	char *cert_file, *cert;
	char *key_file, *key;
	char *client_ca_file, *client_ca;
	enum web_client_auth client_auth;
	char **allowed_sans; /* client_allowed_sans: a client certificate needs one of these SANs */
	size_t n_allowed_sans;
	char **groups; /* curve_preferences, as GnuTLS names them ("SECP256R1"), in order */
	size_t n_groups;
	int min_version, max_version;
	bool prefer_server_ciphers;
	struct web_pair *users; /* name, bcrypt hash */
	size_t n_users;
	struct web_pair *headers; /* response headers, from exporter-toolkit's allowed list */
	size_t n_headers;
};

/*
 * Read and check the file. 0, or -1 with one line in err naming the key ("tls_server_config.
 * min_version: ..."). Files named in it are not read here.
 */
int web_config_parse(const char *path, struct web_config *c, char *err, size_t errlen);
void web_config_free(struct web_config *c);

#endif
