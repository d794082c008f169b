// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "exposition.h"
#include "self_metrics.h"
#include "util.h"

/* Fields 14, 15, 22, 23 and 24 of /proc/self/stat: utime, stime, starttime, vsize, rss. */
static void read_stat(struct self_stats *s)
{
	unsigned long long utime, stime, start, vsize;
	long long rss;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the comm may hold spaces and parentheses */
	if (!p || tick <= 0 || page <= 0 ||
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
		   "%*d %*d %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return;
	s->cpu_seconds = (double)(utime + stime) / (double)tick;
	/* starttime counts clock ticks since boot: CLOCK_BOOTTIME, made wall-clock here */
	s->start_time_seconds =
	    ((double)start / (double)tick) + (double)boot_to_wall_offset_ns() / 1e9;
	s->virtual_bytes = vsize;
	s->resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	s->proc_ok = true;
}

static void count_fds(struct self_stats *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	s->open_fds = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			s->open_fds++;
	closedir(d);
	s->fds_ok = true;
}

void self_stats_read(struct self_stats *s)
{
	struct rlimit r;

	s->proc_ok = s->fds_ok = s->limit_ok = false;
	read_stat(s);
	count_fds(s);
	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		s->max_fds = r.rlim_cur;
		s->limit_ok = true;
	}
}

static void render_process(struct expo_buf *b, const struct self_stats *s)
{
	if (s->proc_ok) {
		expo_family(b, "process_cpu_seconds_total", "counter",
			    "Total user and system CPU time spent in seconds.");
		expo_sample_double(b, "process_cpu_seconds_total", "", s->cpu_seconds);
		expo_family(b, "process_virtual_memory_bytes", "gauge",
			    "Virtual memory size in bytes.");
		expo_sample(b, "process_virtual_memory_bytes", "", s->virtual_bytes);
		expo_family(b, "process_resident_memory_bytes", "gauge",
			    "Resident memory size in bytes.");
		expo_sample(b, "process_resident_memory_bytes", "", s->resident_bytes);
		expo_family(b, "process_start_time_seconds", "gauge",
			    "Start time of the process since unix epoch in seconds.");
		/* %.9g would keep tens of seconds of an epoch time: centiseconds, as /proc has */
		expo_printf(b, "process_start_time_seconds %.2f\n", s->start_time_seconds);
	}
	if (s->fds_ok) {
		expo_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
		expo_sample(b, "process_open_fds", "", s->open_fds);
	}
	if (s->limit_ok) {
		expo_family(b, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors.");
		expo_sample(b, "process_max_fds", "", s->max_fds);
	}
}

static void render_refreshes(struct expo_buf *b, const struct self_stats *s)
{
	expo_family(b, "memreap_refresh_duration_seconds", "summary",
		    "Wall time of the exporter's refreshes completed before the one that rendered "
		    "this text: draining ended ledgers, reading the live ones, rendering and "
		    "publishing the text. A scrape only sends the last text, so scrapes add "
		    "nothing to it.");
	expo_sample_double(b, "memreap_refresh_duration_seconds_sum", "",
			   (double)s->refresh_ns / 1e9);
	expo_sample(b, "memreap_refresh_duration_seconds_count", "", s->refreshes);
}

char *self_metrics_append(char *text, size_t *len, const struct self_stats *s)
{
	struct expo_buf b = {0};
	char *joined;

	render_process(&b, s);
	render_refreshes(&b, s);
	joined = b.failed ? NULL : realloc(text, *len + b.len + 1);
	if (!joined) {
		free(text);
		free(b.data);
		return NULL;
	}
	memcpy(joined + *len, b.data, b.len);
	*len += b.len;
	joined[*len] = '\0';
	free(b.data);
	return joined;
}
