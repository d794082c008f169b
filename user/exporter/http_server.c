// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "exposition.h"
#include "http_server.h"
#include "util.h"
#include "web_access.h"

#define POOL_THREADS 2

struct http_server {
	struct MHD_Daemon *daemon;
	struct exporter *e;
	struct web_access *web;	 /* NULL without --web.config.file */
	struct web_state *first; /* the web config at the start, whose PEMs libmicrohttpd got */
	bool tls;
	char metrics_path[256];
	char landing[1024];
	int fd;
};

int http_parse_listen(const char *text, struct http_listen *out)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	long long port;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!colon || (port = parse_count(colon + 1)) < 0 || port > 65535)
		return -1;
	n = (size_t)(colon - text);
	if (n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->addr;

		host[n - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*a);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)&out->addr;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	out->len = sizeof(*a);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

bool http_is_loopback(const struct http_listen *l)
{
	if (l->addr.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&l->addr)->sin_addr.s_addr) >> 24) ==
		       127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&l->addr)->sin6_addr);
}

const char *http_listen_text(const struct http_listen *l, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (l->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&l->addr;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&l->addr;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	}
	return buf;
}

/* The web config's response headers (exporter-toolkit adds them to every answer), then queue. */
static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *r, const struct web_state *w)
{
	enum MHD_Result rc;

	for (size_t i = 0; w && i < w->cfg.n_headers; i++)
		if (*w->cfg.headers[i].value)
			MHD_add_response_header(r, w->cfg.headers[i].name, w->cfg.headers[i].value);
	if (status == MHD_HTTP_UNAUTHORIZED)
		rc = MHD_queue_basic_auth_fail_response(conn, "memreap", r);
	else
		rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *body,
			     const char *type, const struct web_state *w)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return queue(conn, status, r, w);
}

static void release_snapshot(void *cls)
{
	snapshot_put(cls);
}

static enum MHD_Result serve_metrics(struct http_server *s, struct MHD_Connection *conn,
				     const struct web_state *w)
{
	struct snapshot_text *t = exporter_snapshot(s->e);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
	    t->len, t->text, release_snapshot, t);

	if (!r) {
		snapshot_put(t);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, EXPO_CONTENT_TYPE);
	exporter_served(s->e, t);
	return queue(conn, MHD_HTTP_OK, r, w);
}

static enum MHD_Result serve_health(struct http_server *s, struct MHD_Connection *conn,
				    const struct web_state *w)
{
	uint64_t stale = exporter_staleness_ns(s->e), limit = 10 * s->e->refresh_ns;
	char body[128];

	if (limit < 5000000000ull)
		limit = 5000000000ull;
	if (stale <= limit)
		return reply(conn, MHD_HTTP_OK, "ok\n", "text/plain; charset=utf-8", w);
	snprintf(body, sizeof(body), "stale: the last refresh was %.1f s ago\n",
		 (double)stale / 1e9);
	return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, body, "text/plain; charset=utf-8", w);
}

static enum MHD_Result route(struct http_server *s, struct MHD_Connection *conn, const char *url,
			     const char *method, const struct web_state *w)
{
	bool metrics = !strcmp(url, s->metrics_path), landing = !strcmp(url, "/"),
	     health = !strcmp(url, "/healthz");

	if (!metrics && !landing && !health)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain; charset=utf-8",
			     w);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET\n",
			     "text/plain; charset=utf-8", w);
	if (metrics)
		return serve_metrics(s, conn, w);
	if (health)
		return serve_health(s, conn, w);
	return reply(conn, MHD_HTTP_OK, s->landing, "text/html; charset=utf-8", w);
}

/* Every path needs the credentials when basic_auth_users has users, as in exporter-toolkit. */
static bool authorized(struct web_state *w, struct MHD_Connection *conn)
{
	char *user, *password = NULL;
	bool ok;

	if (!w->auth)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &password);
	ok = user && password && web_auth_check(w->auth, user, password);
	if (password)
		explicit_bzero(password, strlen(password));
	MHD_free(user);
	MHD_free(password);
	return ok;
}

/*
 * A TLS connection is served if notify() set its session up from the config, and its client
 * certificate has one of client_allowed_sans when the config has some.
 */
static bool tls_admitted(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ctx, *session;
	const struct web_state *w;

	ctx = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	session = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	w = ctx ? ctx->socket_context : NULL;
	return w && session && web_tls_peer_allowed(&w->cfg, session->tls_session);
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (length && strcmp(length, "0")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	static int headers_seen; /* its address marks a request whose first call has been */
	struct http_server *s = cls;
	struct web_state *w;
	enum MHD_Result rc;

	/*
	 * libmicrohttpd calls twice: with the headers, then once the request is read. A response
	 * queued on the first call discards the rest of the request, and with it the connection:
	 * a request without a body is answered on the second call, which keeps the connection
	 * alive for the next scrape (HTTP/1.1, no "Connection: close"). Any other request is
	 * answered at once, and its body is never read.
	 */
	if (!*con_cls && !has_body(conn)) {
		*con_cls = &headers_seen;
		return MHD_YES;
	}
	if (!s->web)
		return route(s, conn, url, method, NULL);
	if (s->tls && !tls_admitted(conn))
		return MHD_NO; /* closed without an answer */
	w = web_access_get(s->web);
	if (authorized(w, conn))
		rc = route(s, conn, url, method, w);
	else
		rc = reply(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n",
			   "text/plain; charset=utf-8", w);
	web_state_put(w);
	return rc;
}

/*
 * A new TLS connection, before its handshake: its session gets the certificate, TLS versions
 * and client-certificate policy of the web config in force now, which it holds until it closes
 * (libmicrohttpd frees the session before it reports the close).
 */
static void notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		   enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *info;
	struct web_state *w;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		web_state_put(*socket_context);
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	w = web_access_get(s->web);
	if (!info || !info->tls_session || !w->tls ||
	    web_tls_setup_session(w->tls, info->tls_session)) {
		web_state_put(w);
		return;
	}
	*socket_context = w;
}

int http_listen_socket(const struct http_listen *l, struct http_listen *bound, char *err,
		       size_t errlen)
{
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	char where[80];

	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	*bound = *l;
	if (bind(fd, (const struct sockaddr *)&l->addr, l->len) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&bound->addr, &bound->len)) {
		snprintf(err, errlen, "cannot listen on %s: %s",
			 http_listen_text(l, where, sizeof(where)), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* TLS: libmicrohttpd needs a certificate to start; notify() sets each session's own. */
static struct MHD_Daemon *start_daemon(struct http_server *s)
{
	struct web_tls *first = s->tls ? s->first->tls : NULL;
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, first ? first->key_pem : NULL},
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, first ? first->cert_pem : NULL},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify, s},
	    {MHD_OPTION_END, 0, NULL},
	};
	struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};

	return MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | (s->tls ? MHD_USE_TLS : 0), 0, NULL,
	    NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_REQUEST_MEMORY, MHD_OPTION_ARRAY, s->tls ? tls : none, MHD_OPTION_END);
}

struct http_server *http_start(int fd, const char *metrics_path, struct exporter *e,
			       struct web_access *web, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	s->fd = fd;
	s->e = e;
	s->web = web;
	s->first = web ? web_access_get(web) : NULL;
	s->tls = s->first && s->first->tls;
	snprintf(s->metrics_path, sizeof(s->metrics_path), "%s", metrics_path);
	snprintf(
	    s->landing, sizeof(s->landing),
	    "<!DOCTYPE html>\n<html><head><title>memreap exporter</title></head><body>\n"
	    "<h1>memreap exporter</h1>\n<p>Who gives memory back: the process or the kernel.</p>\n"
	    "<p><a href=\"%s\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
	    "<p>memreap %s, metrics contract %s</p>\n</body></html>\n",
	    metrics_path, MEMREAP_VERSION, METRICS_CONTRACT);
	s->daemon = start_daemon(s);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot start the HTTP%s server (libmicrohttpd)",
			 s->tls ? "S" : "");
		close(s->fd);
		web_state_put(s->first);
		free(s);
		return NULL;
	}
	return s;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon); /* closes the listening socket too */
	web_state_put(s->first);
	free(s);
}

bool http_is_tls(const struct http_server *s)
{
	return s->tls;
}
