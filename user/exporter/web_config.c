// SPDX-License-Identifier: GPL-2.0
#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "web_config.h"

struct parse {
	yaml_document_t doc;
	char *dir; /* the config file's folder: relative file names are relative to it */
	char *err;
	size_t errlen;
};

typedef int (*set_fn)(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c);

struct field {
	const char *name;
	set_fn set;
};

static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* An empty value, ~ or null: the key is as good as absent (as in Go's YAML). */
static bool is_null(const yaml_node_t *v)
{
	const char *s = (const char *)v->data.scalar.value;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcasecmp(s, "null");
}

static int get_text(struct parse *p, const char *key, yaml_node_t *v, char **out)
{
	if (v->type != YAML_SCALAR_NODE)
		return fail(p, "%s: needs a string", key);
	if (*out)
		free(*out);
	*out = is_null(v) ? NULL : strdup((const char *)v->data.scalar.value);
	return 0;
}

static int get_path(struct parse *p, const char *key, yaml_node_t *v, char **out)
{
	char *name = NULL;

	if (get_text(p, key, v, &name))
		return -1;
	*out = name;
	if (!name || name[0] == '/')
		return 0;
	if (asprintf(out, "%s/%s", p->dir, name) < 0)
		*out = NULL;
	free(name);
	return 0;
}

static int get_bool(struct parse *p, const char *key, yaml_node_t *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};
	const char *s = (const char *)v->data.scalar.value;

	for (size_t i = 0; v->type == YAML_SCALAR_NODE && i < 3; i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return fail(p, "%s: needs true or false", key);
}

static int set_cert_file(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_path(p, key, v, &c->cert_file);
}

static int set_key_file(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_path(p, key, v, &c->key_file);
}

static int set_ca_file(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_path(p, key, v, &c->client_ca_file);
}

static int set_cert(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_text(p, key, v, &c->cert);
}

static int set_key(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_text(p, key, v, &c->key);
}

static int set_ca(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_text(p, key, v, &c->client_ca);
}

static int set_client_auth(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	static const char *const names[] = {
	    [CLIENT_AUTH_NONE] = "NoClientCert",
	    [CLIENT_AUTH_REQUEST] = "RequestClientCert",
	    [CLIENT_AUTH_REQUIRE_ANY] = "RequireAnyClientCert",
	    [CLIENT_AUTH_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	    [CLIENT_AUTH_REQUIRE_VERIFIED] = "RequireAndVerifyClientCert",
	};
	const char *s = (const char *)v->data.scalar.value;

	if (v->type == YAML_SCALAR_NODE && is_null(v))
		return c->client_auth = CLIENT_AUTH_NONE, 0;
	for (size_t i = 0; v->type == YAML_SCALAR_NODE && i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(s, names[i]))
			return c->client_auth = (enum web_client_auth)i, 0;
	/* exporter-toolkit still takes the old name of RequireAnyClientCert. */
	if (v->type == YAML_SCALAR_NODE && !strcmp(s, "RequireClientCert"))
		return c->client_auth = CLIENT_AUTH_REQUIRE_ANY, 0;
	return fail(p,
		    "%s: needs NoClientCert, RequestClientCert, RequireAnyClientCert, "
		    "VerifyClientCertIfGiven or RequireAndVerifyClientCert",
		    key);
}

/* A list of strings into *out (appended). */
static int get_list(struct parse *p, const char *key, yaml_node_t *v, char ***out, size_t *n)
{
	yaml_node_item_t *item;

	if (is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(p, "%s: needs a list of names", key);
	for (item = v->data.sequence.items.start; item < v->data.sequence.items.top; item++) {
		yaml_node_t *name = yaml_document_get_node(&p->doc, *item);
		char **grown = realloc(*out, (*n + 1) * sizeof(*grown));

		if (!grown)
			return fail(p, "out of memory");
		*out = grown;
		if (name->type != YAML_SCALAR_NODE || is_null(name))
			return fail(p, "%s: needs a list of names", key);
		if (!(grown[*n] = strdup((const char *)name->data.scalar.value)))
			return fail(p, "out of memory");
		(*n)++;
	}
	return 0;
}

static int set_sans(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_list(p, key, v, &c->allowed_sans, &c->n_allowed_sans);
}

/* Go's curve names (exporter-toolkit's list), as GnuTLS names the groups. */
static const char *const curves[][2] = {
    {"CurveP256", "SECP256R1"},
    {"CurveP384", "SECP384R1"},
    {"CurveP521", "SECP521R1"},
    {"X25519", "X25519"},
};

static int set_curves(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	if (get_list(p, key, v, &c->groups, &c->n_groups))
		return -1;
	for (size_t i = 0; i < c->n_groups; i++) {
		size_t k = 0;

		while (k < sizeof(curves) / sizeof(*curves) && strcmp(c->groups[i], curves[k][0]))
			k++;
		if (k == sizeof(curves) / sizeof(*curves))
			return fail(p,
				    "%s: needs CurveP256, CurveP384, CurveP521 or X25519, not '%s'",
				    key, c->groups[i]);
		free(c->groups[i]);
		if (!(c->groups[i] = strdup(curves[k][1])))
			return fail(p, "out of memory");
	}
	return 0;
}

static int get_version(struct parse *p, const char *key, yaml_node_t *v, int *out)
{
	const char *s = (const char *)v->data.scalar.value;

	if (v->type == YAML_SCALAR_NODE && strlen(s) == 5 && !strncmp(s, "TLS1", 4) &&
	    s[4] >= '0' && s[4] <= '3') {
		*out = 10 + (s[4] - '0');
		return 0;
	}
	return fail(p, "%s: needs TLS10, TLS11, TLS12 or TLS13", key);
}

static int set_min(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_version(p, key, v, &c->min_version);
}

static int set_max(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_version(p, key, v, &c->max_version);
}

static int set_prefer(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return get_bool(p, key, v, &c->prefer_server_ciphers);
}

/* http2 is taken and has no effect: libmicrohttpd speaks HTTP/1.1 only. */
static int set_http2(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	bool ignored;

	return get_bool(p, key, v, &ignored);
}

/* Keys of exporter-toolkit's format that memreap does not implement: refused, not ignored. */
static int unsupported(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return fail(p, "%s: not supported by memreap (README \"Exporter\")", key);
}

static int walk(struct parse *p, const char *prefix, yaml_node_t *map, const struct field *fields,
		struct web_config *c);

static const struct field tls_fields[] = {
    {"cert", set_cert},
    {"key", set_key},
    {"client_ca", set_ca},
    {"cert_file", set_cert_file},
    {"key_file", set_key_file},
    {"client_auth_type", set_client_auth},
    {"client_ca_file", set_ca_file},
    {"client_allowed_sans", set_sans},
    {"min_version", set_min},
    {"max_version", set_max},
    {"cipher_suites", unsupported},
    {"prefer_server_cipher_suites", set_prefer},
    {"curve_preferences", set_curves},
    {NULL, NULL},
};

static int set_tls(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	if (is_null(v))
		return 0;
	c->tls = true;
	return walk(p, key, v, tls_fields, c);
}

/* exporter-toolkit's list (web/handler.go), and its allowed values where it has them. */
static const struct {
	const char *name;
	const char *values[2];
} allowed_headers[] = {
    {"Strict-Transport-Security", {NULL}},	 {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}}, {"X-XSS-Protection", {NULL}},
    {"Content-Security-Policy", {NULL}},
};

static int check_header(struct parse *p, const char *key, const char *name, const char *value)
{
	for (const char *s = value; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return fail(p, "%s.%s: has a control character", key, name);
	for (size_t i = 0; i < sizeof(allowed_headers) / sizeof(*allowed_headers); i++) {
		const char *const *ok = allowed_headers[i].values;

		if (strcmp(name, allowed_headers[i].name))
			continue;
		if (!ok[0] || !strcmp(value, ok[0]) || (ok[1] && !strcmp(value, ok[1])))
			return 0;
		return fail(p, "%s.%s: needs %s%s%s, not '%s'", key, name, ok[0],
			    ok[1] ? " or " : "", ok[1] ? ok[1] : "", value);
	}
	return fail(p,
		    "%s: header %s cannot be set (Strict-Transport-Security, "
		    "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection and "
		    "Content-Security-Policy can)",
		    key, name);
}

/* A name and a value for each key of a mapping; keys are unique (walk and pairs check it). */
static int get_pairs(struct parse *p, const char *key, yaml_node_t *map, struct web_pair **out,
		     size_t *n)
{
	yaml_node_pair_t *pair;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "%s: needs a mapping", key);
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pair->key),
			    *v = yaml_document_get_node(&p->doc, pair->value);
		struct web_pair *grown = realloc(*out, (*n + 1) * sizeof(**out));

		if (!grown)
			return fail(p, "out of memory");
		*out = grown;
		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
			return fail(p, "%s: needs names with string values", key);
		for (size_t i = 0; i < *n; i++)
			if (!strcmp((*out)[i].name, (const char *)k->data.scalar.value))
				return fail(p, "%s: duplicate key %s", key, (*out)[i].name);
		(*out)[*n].name = strdup((const char *)k->data.scalar.value);
		(*out)[*n].value = strdup(is_null(v) ? "" : (const char *)v->data.scalar.value);
		(*n)++;
		if (!(*out)[*n - 1].name || !(*out)[*n - 1].value)
			return fail(p, "out of memory");
	}
	return 0;
}

static int set_headers(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	if (get_pairs(p, key, v, &c->headers, &c->n_headers))
		return -1;
	for (size_t i = 0; i < c->n_headers; i++)
		if (check_header(p, key, c->headers[i].name, c->headers[i].value))
			return -1;
	return 0;
}

static const struct field http_fields[] = {
    {"http2", set_http2},
    {"headers", set_headers},
    {NULL, NULL},
};

static int set_http(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	return walk(p, key, v, http_fields, c);
}

/* $2a$, $2b$ or $2y$, a cost from 04 to 31, 22 characters of salt and 31 of hash. */
static bool is_bcrypt(const char *h)
{
	static const char alphabet[] =
	    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || strncmp(h, "$2", 2) || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[6] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	return cost >= 4 && cost <= 31 && strspn(h + 7, alphabet) == 53 &&
	       crypt_checksalt(h) == CRYPT_SALT_OK;
}

static int set_users(struct parse *p, const char *key, yaml_node_t *v, struct web_config *c)
{
	if (get_pairs(p, key, v, &c->users, &c->n_users))
		return -1;
	for (size_t i = 0; i < c->n_users; i++) {
		if (!*c->users[i].name || strchr(c->users[i].name, ':'))
			return fail(p, "%s: a user name needs to be non-empty and without ':'",
				    key);
		if (!is_bcrypt(c->users[i].value))
			return fail(p, "%s.%s: not a bcrypt hash (make one with htpasswd -nbB)",
				    key, c->users[i].name);
	}
	return 0;
}

static const struct field top_fields[] = {
    {"tls_server_config", set_tls},
    {"http_server_config", set_http},
    {"basic_auth_users", set_users},
    {"rate_limit", unsupported},
    {NULL, NULL},
};

static int walk(struct parse *p, const char *prefix, yaml_node_t *map, const struct field *fields,
		struct web_config *c)
{
	yaml_node_pair_t *pair, *seen;
	char key[256];

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "%s needs a mapping of keys", *prefix ? prefix : "the file");
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pair->key);
		const char *name = (const char *)k->data.scalar.value;
		const struct field *f = fields;

		if (k->type != YAML_SCALAR_NODE)
			return fail(p, "%s: a key needs to be a string", *prefix ? prefix : "file");
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", name);
		while (f->name && strcmp(f->name, name))
			f++;
		if (!f->name)
			return fail(p, "unknown key %s", key);
		for (seen = map->data.mapping.pairs.start; seen < pair; seen++)
			if (!strcmp((const char *)yaml_document_get_node(&p->doc, seen->key)
					->data.scalar.value,
				    name))
				return fail(p, "duplicate key %s", key);
		if (f->set(p, key, yaml_document_get_node(&p->doc, pair->value), c))
			return -1;
	}
	return 0;
}

/* One of a file and inline text, or neither when optional. */
static int one_of(struct parse *p, const char *file, const char *text, const char *file_key,
		  const char *text_key, bool needed)
{
	if (file && text)
		return fail(p, "tls_server_config: %s and %s are both set: give one", text_key,
			    file_key);
	if (needed && !file && !text)
		return fail(p, "tls_server_config: missing one of %s or %s", text_key, file_key);
	return 0;
}

static int check_tls(struct parse *p, const struct web_config *c)
{
	bool ca = c->client_ca_file || c->client_ca;

	if (!c->tls)
		return 0;
	if (one_of(p, c->cert_file, c->cert, "cert_file", "cert", true) ||
	    one_of(p, c->key_file, c->key, "key_file", "key", true) ||
	    one_of(p, c->client_ca_file, c->client_ca, "client_ca_file", "client_ca", false))
		return -1;
	if (ca && c->client_auth == CLIENT_AUTH_NONE)
		return fail(p, "tls_server_config.client_ca_file: needs a client_auth_type that "
			       "asks for client certificates");
	if (!ca && (c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
		    c->client_auth == CLIENT_AUTH_REQUIRE_VERIFIED))
		return fail(p, "tls_server_config.client_auth_type: needs client_ca_file to verify "
			       "client certificates against");
	if (c->n_allowed_sans && c->client_auth != CLIENT_AUTH_REQUIRE_ANY &&
	    c->client_auth != CLIENT_AUTH_REQUIRE_VERIFIED)
		return fail(p, "tls_server_config.client_allowed_sans: needs client_auth_type "
			       "RequireAnyClientCert or RequireAndVerifyClientCert");
	if (c->min_version > c->max_version)
		return fail(p, "tls_server_config.min_version: above max_version");
	return 0;
}

static int load(struct parse *p, FILE *f, struct web_config *c)
{
	yaml_parser_t parser;
	yaml_node_t *root;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return fail(p, "out of memory");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &p->doc)) {
		fail(p, "line %zu column %zu: %s%s%s", parser.problem_mark.line + 1,
		     parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML",
		     parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&p->doc);
	rc = root ? walk(p, "", root, top_fields, c) : 0; /* an empty file: nothing to do */
	yaml_document_delete(&p->doc);
	return rc ? rc : check_tls(p, c);
}

int web_config_parse(const char *path, struct web_config *c, char *err, size_t errlen)
{
	struct parse p = {.err = err, .errlen = errlen};
	const char *slash = strrchr(path, '/');
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	c->min_version = WEB_TLS_MIN_DEFAULT;
	c->max_version = WEB_TLS_MAX_DEFAULT;
	c->prefer_server_ciphers = true;
	f = fopen(path, "re");
	if (!f)
		return fail(&p, "cannot read it: %s", strerror(errno));
	p.dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
	rc = p.dir ? load(&p, f, c) : fail(&p, "out of memory");
	fclose(f);
	free(p.dir);
	if (rc)
		web_config_free(c);
	return rc;
}

static void free_pairs(struct web_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

void web_config_free(struct web_config *c)
{
	free(c->cert_file);
	free(c->cert);
	free(c->key_file);
	if (c->key)
		explicit_bzero(c->key, strlen(c->key));
	free(c->key);
	free(c->client_ca_file);
	free(c->client_ca);
	for (size_t i = 0; i < c->n_allowed_sans; i++)
		free(c->allowed_sans[i]);
	free(c->allowed_sans);
	for (size_t i = 0; i < c->n_groups; i++)
		free(c->groups[i]);
	free(c->groups);
	free_pairs(c->users, c->n_users);
	free_pairs(c->headers, c->n_headers);
	memset(c, 0, sizeof(*c));
}
