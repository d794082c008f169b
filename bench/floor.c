// SPDX-License-Identifier: GPL-2.0
/*
 * floor raw|classic: attach the empty programs and wait for SIGINT/SIGTERM.
 *   raw      the five raw tracepoints memreap's default mode uses
 *   classic  only the classic kmem:rss_stat tracepoint (needs tracefs)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	bool classic = argc > 1 && !strcmp(argv[1], "classic");
	struct floor_bpf *s = floor_bpf__open();
	struct bpf_program *p;

	if (!s)
		return 1;
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, classic == !strcmp(bpf_program__name(p), "classic_rss_stat"));
	if (floor_bpf__load(s) || floor_bpf__attach(s)) {
		fprintf(stderr, "floor: cannot load or attach\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	floor_bpf__destroy(s);
	return 0;
}
