// SPDX-License-Identifier: GPL-2.0
/* memreap exporter: Prometheus metrics over HTTP, for a fleet (README "Exporter"). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "exporter.h"
#include "http_server.h"
#include "util.h"

static const struct cmd_option exporter_options[] = {
	{ "listen", 'l', false, "ADDR:PORT", NULL,
	  "where to serve, a numeric IPv4 or [IPv6] address (default 127.0.0.1:9747)" },
	{ "max-comm-labels", 'N', false, "N", NULL,
	  "comms kept as label values, the rest are \"other\" (default 20, at most 1000)" },
	{ "cgroup-labels", 'g', false, NULL, NULL, "add a cgroup label (bounded like comms)" },
	{ "container-labels", 'C', false, NULL, NULL,
	  "add container_id, pod_uid and unit labels from cgroup paths (bounded like comms)" },
	{ "metrics-path", 'P', false, "PATH", NULL, "the metrics' path (default /metrics)" },
	{ "refresh", 'r', false, "SECONDS", NULL,
	  "how often the live ledgers are read, 0.1 to 60 (default 1)" },
	{ "web.config.file", 'W', false, "FILE", NULL,
	  "TLS, basic auth and response headers in the Prometheus exporter-toolkit's format, "
	  "re-read when it or its files change (README \"Exporter\")" },
	OPT_MAP_ENTRIES,
	OPT_RINGBUF_SIZE,
	OPT_HELP,
	{ NULL },
};

const struct cmd_help exporter_help = {
	.name = "exporter",
	.summary = "serve Prometheus metrics over HTTP (loopback by default)",
	.text = "Serves the memreap-metrics/v1 metrics of every process on the machine: what was\n"
		"released by processes and by the kernel, what was freed, per comm and interpreter,\n"
		"and memreap's own health; /healthz answers while the collector runs. With\n"
		"--web.config.file, over TLS and with basic auth, as node_exporter. Needs root, or\n"
		"CAP_BPF and CAP_PERFMON.",
	.options = exporter_options,
	.example = "memreap exporter --listen 0.0.0.0:9747 --web.config.file web-config.yml",
};

#define MAX_COMM_LABELS 1000

static bool valid_path(const char *p)
{
	if (p[0] != '/' || !p[1] || strlen(p) > 200 || !strcmp(p, "/healthz"))
		return false;
	for (; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '?' || *p == '#' || *p == '%')
			return false;
	return true;
}

struct exporter_args {
	struct http_listen listen;
	const char *metrics_path;
	const char *web_config;
	struct metrics_opts mopts;
	struct collector_opts copts;
	uint64_t refresh_ns;
};

/* -1 when parsing goes on, else the exit status. */
static int parse(int argc, char **argv, struct exporter_args *a)
{
	long long n;
	double secs;
	int opt, rc;

	while ((opt = cmd_getopt(argc, argv, &exporter_help)) != -1) {
		switch (opt) {
		case 'l':
			if (http_parse_listen(optarg, &a->listen))
				return usage_error(
				    &exporter_help,
				    "--listen needs ADDR:PORT with a numeric IPv4 or [IPv6] "
				    "address and a port from 0 to 65535, not '%s'",
				    optarg);
			break;
		case 'N':
			if ((n = parse_count(optarg)) < 0 || n > MAX_COMM_LABELS)
				return usage_error(
				    &exporter_help, "--max-comm-labels needs a count from 0 to %d, not '%s'",
				    MAX_COMM_LABELS, optarg);
			a->mopts.max_comm_labels = (uint32_t)n;
			break;
		case 'g':
			a->mopts.cgroup_labels = true;
			break;
		case 'C':
			a->mopts.container_labels = true;
			break;
		case 'P':
			if (!valid_path(optarg))
				return usage_error(
				    &exporter_help,
				    "--metrics-path needs a path like /metrics (printable ASCII, "
				    "no query, not / or /healthz), not '%s'",
				    optarg);
			a->metrics_path = optarg;
			break;
		case 'r':
			if ((secs = parse_seconds(optarg)) < 0.1 || secs > 60)
				return usage_error(
				    &exporter_help, "--refresh needs seconds from 0.1 to 60, not '%s'",
				    optarg);
			a->refresh_ns = (uint64_t)(secs * 1e9);
			break;
		case 'W':
			a->web_config = optarg;
			break;
		default:
			if ((rc = common_option(opt, &exporter_help, &a->copts, argv)) >= 0)
				return rc;
		}
	}
	if (optind < argc)
		return usage_error(&exporter_help, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static void wait_for_stop(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigwait(&set, &sig);
}

/* Off loopback, say what is exposed and what would protect it. */
static void warn_if_exposed(const struct http_listen *bound, const char *where,
			    struct web_access *web)
{
	struct web_state *w;

	if (http_is_loopback(bound))
		return;
	w = web ? web_access_get(web) : NULL;
	if (!w || (!w->tls && !w->auth))
		fprintf(stderr,
			"memreap: %s is reachable from other machines and has no TLS or "
			"authentication: give --web.config.file (README \"Exporter\") or restrict "
			"it (firewall, network policy)\n",
			where);
	else if (!w->tls)
		fprintf(stderr,
			"memreap: %s is reachable from other machines and its basic-auth passwords "
			"cross the network in clear text: add tls_server_config to the "
			"--web.config.file\n",
			where);
	web_state_put(w);
}

/* Bind the port, start the collector (BPF), then serve: a failure in any returns 1. */
static int serve(const struct exporter_args *a, struct exporter *e, struct web_access *web)
{
	struct http_listen bound;
	struct http_server *http;
	char err[512], where[80];
	int fd = http_listen_socket(&a->listen, &bound, err, sizeof(err));

	if (fd < 0) {
		fprintf(stderr, "memreap: %s\n", err);
		return EXIT_FAILURE_MEMREAP;
	}
	if (exporter_start(e, &a->copts, &a->mopts, err, sizeof(err))) {
		fprintf(stderr, "memreap: %s\n", err);
		close(fd);
		return EXIT_FAILURE_MEMREAP;
	}
	http = http_start(fd, a->metrics_path, e, web, err, sizeof(err));
	if (!http) {
		fprintf(stderr, "memreap: %s\n", err);
		exporter_stop(e);
		return EXIT_FAILURE_MEMREAP;
	}
	http_listen_text(&bound, where, sizeof(where));
	fprintf(stderr, "memreap: exporter serving http%s://%s%s\n", http_is_tls(http) ? "s" : "",
		where, a->metrics_path);
	warn_if_exposed(&bound, where, web);
	wait_for_stop();
	http_stop(http);
	exporter_stop(e);
	return 0;
}

int cmd_exporter(int argc, char **argv)
{
	struct exporter_args a = {.metrics_path = "/metrics",
				  .refresh_ns = 1000000000ull,
				  .mopts = {.max_comm_labels = 20}};
	struct exporter e = {0};
	struct web_access *web = NULL;
	char err[512];
	sigset_t stop;
	int rc;

	http_parse_listen(HTTP_DEFAULT_LISTEN, &a.listen);
	if ((rc = parse(argc, argv, &a)) >= 0)
		return rc;
	/* Checked, with the files it names, before anything is bound or loaded. */
	if (a.web_config && !(web = web_access_open(a.web_config, err, sizeof(err)))) {
		fprintf(stderr, "memreap: web config %s: %s\n", a.web_config, err);
		return EXIT_FAILURE_MEMREAP;
	}
	/* Every thread inherits the mask: only wait_for_stop sees these signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	e.refresh_ns = a.refresh_ns;
	rc = serve(&a, &e, web);
	web_access_close(web);
	return rc;
}
