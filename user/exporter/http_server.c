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

#define POOL_THREADS 2

struct http_server {
	struct MHD_Daemon *daemon;
	struct exporter *e;
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

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *body,
			     const char *type)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static void release_snapshot(void *cls)
{
	snapshot_put(cls);
}

static enum MHD_Result serve_metrics(struct http_server *s, struct MHD_Connection *conn)
{
	struct snapshot_text *t = exporter_snapshot(s->e);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
	    t->len, t->text, release_snapshot, t);
	enum MHD_Result rc;

	if (!r) {
		snapshot_put(t);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, EXPO_CONTENT_TYPE);
	exporter_served(s->e, t);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result serve_health(struct http_server *s, struct MHD_Connection *conn)
{
	uint64_t stale = exporter_staleness_ns(s->e), limit = 10 * s->e->refresh_ns;
	char body[128];

	if (limit < 5000000000ull)
		limit = 5000000000ull;
	if (stale <= limit)
		return reply(conn, MHD_HTTP_OK, "ok\n", "text/plain; charset=utf-8");
	snprintf(body, sizeof(body), "stale: the last refresh was %.1f s ago\n",
		 (double)stale / 1e9);
	return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, body, "text/plain; charset=utf-8");
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
	bool metrics = !strcmp(url, s->metrics_path), landing = !strcmp(url, "/"),
	     health = !strcmp(url, "/healthz");

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
	if (!metrics && !landing && !health)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain; charset=utf-8");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET\n",
			     "text/plain; charset=utf-8");
	if (metrics)
		return serve_metrics(s, conn);
	if (health)
		return serve_health(s, conn);
	return reply(conn, MHD_HTTP_OK, s->landing, "text/html; charset=utf-8");
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

struct http_server *http_start(int fd, const char *metrics_path, struct exporter *e, char *err,
			       size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	s->fd = fd;
	s->e = e;
	snprintf(s->metrics_path, sizeof(s->metrics_path), "%s", metrics_path);
	snprintf(
	    s->landing, sizeof(s->landing),
	    "<!DOCTYPE html>\n<html><head><title>memreap exporter</title></head><body>\n"
	    "<h1>memreap exporter</h1>\n<p>Who gives memory back: the process or the kernel.</p>\n"
	    "<p><a href=\"%s\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
	    "<p>memreap %s, metrics contract %s</p>\n</body></html>\n",
	    metrics_path, MEMREAP_VERSION, METRICS_CONTRACT);
	s->daemon =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handle,
			     s, MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_THREAD_POOL_SIZE,
			     (unsigned int)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned int)HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned int)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)HTTP_REQUEST_MEMORY, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd)");
		close(s->fd);
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
	free(s);
}
