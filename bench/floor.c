// SPDX-License-Identifier: GPL-2.0
/*
 * floor raw [FILE:OFFSET]... | floor classic: attach empty programs and wait for SIGINT/SIGTERM.
 *   raw      the raw tracepoints of memreap's hooks table (user/collect/hooks.c), and an empty
 *            uprobe at each FILE:OFFSET (memreap's interpreter shutdown probes, as bpftool perf
 *            show lists them for a running memreap: bench/suite.py passes them)
 *   classic  only the classic kmem:rss_stat tracepoint (needs tracefs)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void choose_programs(struct floor_bpf *s, bool classic)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj) {
		bool is_classic = !strcmp(bpf_program__name(p), "classic_rss_stat");

		bpf_program__set_autoload(p, classic == is_classic);
	}
}

/* "FILE:OFFSET", OFFSET in bytes (decimal or 0x...) into FILE, as bpftool perf show prints. */
static int attach_uprobe_at(struct floor_bpf *s, const char *spec)
{
	char file[4096], *end;
	const char *colon = strrchr(spec, ':');
	unsigned long offset;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(file)) {
		fprintf(stderr, "floor: bad uprobe %s (want FILE:OFFSET)\n", spec);
		return -1;
	}
	snprintf(file, sizeof(file), "%.*s", (int)(colon - spec), spec);
	offset = strtoul(colon + 1, &end, 0);
	if (*end || end == colon + 1) {
		fprintf(stderr, "floor: bad uprobe offset in %s\n", spec);
		return -1;
	}
	if (!bpf_program__attach_uprobe(s->progs.shutdown, false, -1, file, offset)) {
		fprintf(stderr, "floor: cannot attach a uprobe at %s\n", spec);
		return -1;
	}
	return 0; /* the link lives until the process exits */
}

int main(int argc, char **argv)
{
	bool classic = argc > 1 && !strcmp(argv[1], "classic");
	struct floor_bpf *s;

	if (argc < 2 || (!classic && strcmp(argv[1], "raw"))) {
		fprintf(stderr, "usage: floor raw [FILE:OFFSET]... | floor classic\n");
		return 2;
	}
	s = floor_bpf__open();
	if (!s)
		return 1;
	choose_programs(s, classic);
	if (floor_bpf__load(s) || floor_bpf__attach(s)) {
		fprintf(stderr, "floor: cannot load or attach\n");
		return 1;
	}
	for (int i = 2; i < argc && !classic; i++)
		if (attach_uprobe_at(s, argv[i]))
			return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	floor_bpf__destroy(s);
	return 0;
}
