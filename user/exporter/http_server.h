/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's HTTP side (libmicrohttpd, a small epoll thread pool): GET/HEAD of the metrics
 * path, / (a landing page) and /healthz; 405 for other methods, 404 for other paths. Connections,
 * their memory and their idle time are bounded, so slow or hostile clients cannot pile up.
 */
#ifndef MR_HTTP_SERVER_H
#define MR_HTTP_SERVER_H

#include <stddef.h>
#include <sys/socket.h>
#include "exporter.h"
#include "web_access.h"

#define HTTP_DEFAULT_LISTEN  "127.0.0.1:9747"
#define HTTP_MAX_CONNECTIONS 256
#define HTTP_IDLE_TIMEOUT_S  10
#define HTTP_REQUEST_MEMORY  (32 * 1024) /* request line + headers, per connection */

struct http_listen {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* "127.0.0.1:9747", "[::1]:9747", "0.0.0.0:0": numeric address and port; -1 if malformed. */
int http_parse_listen(const char *text, struct http_listen *out);
/* Is it a loopback address (127.0.0.0/8, ::1)? */
bool http_is_loopback(const struct http_listen *l);
/* "127.0.0.1:9747" or "[::1]:9747" into buf. */
const char *http_listen_text(const struct http_listen *l, char *buf, size_t len);

/*
 * Bind and listen (before the slow BPF start, so that a taken port fails at once); *bound gets
 * the address really bound (port 0 = any free port). Returns the socket, or -1.
 */
int http_listen_socket(const struct http_listen *l, struct http_listen *bound, char *err,
		       size_t errlen);

struct http_server;
/*
 * Serve on the listening socket, which the server owns from then on (even on failure). With a
 * web config (NULL: none), over TLS if it says so, with its basic auth and response headers.
 */
struct http_server *http_start(int fd, const char *metrics_path, struct exporter *e,
			       struct web_access *web, char *err, size_t errlen);
void http_stop(struct http_server *s);
/* Does it serve HTTPS? */
bool http_is_tls(const struct http_server *s);

#endif
