// SPDX-License-Identifier: GPL-2.0
/* The exporter's pure parts: exposition escaping, bounded labels, counters that never go back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>
#include "exposition.h"
#include "label_pool.h"
#include "metrics.h"
#include "fixtures.h"

static void escaping(void **state)
{
	struct expo_buf b = {0};
	char *u;

	expo_label(&b, "comm", "a\\b\"c\nd");
	expo_label(&b, "interpreter", "");
	assert_string_equal(b.data, "comm=\"a\\\\b\\\"c\\nd\",interpreter=\"\"");
	b.len = 0;
	expo_family(&b, "x_total", "counter", "line\nbreak \\ and \"quotes\"");
	assert_string_equal(b.data, "# HELP x_total line\\nbreak \\\\ and \"quotes\"\n"
				    "# TYPE x_total counter\n");
	free(b.data);
	u = expo_utf8("ok\xff\xc3\xa9\xc0\xaf\xed\xa0\x80z");
	assert_string_equal(
	    u,
	    "ok\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	free(u);
}

static void pool_keeps_the_top_n(void **state)
{
	struct label_pool p;

	label_pool_init(&p, 2);
	label_pool_count(&p, "small", 10);
	label_pool_count(&p, "big", 1000);
	label_pool_count(&p, "mid", 100);
	label_pool_count(&p, "other", 1 << 30); /* a comm named like the shared value */
	label_pool_rebalance(&p);
	assert_string_equal(label_pool_name(&p, label_pool_label(&p, "big")), "big");
	assert_string_equal(label_pool_name(&p, label_pool_label(&p, "mid")), "mid");
	assert_int_equal(label_pool_label(&p, "small"), LABEL_OTHER);
	assert_int_equal(label_pool_label(&p, "other"), LABEL_OTHER);
	assert_int_equal(label_pool_label(&p, "never-seen"), LABEL_OTHER);
	/* Not more than twice the weakest: no change (no flapping). */
	label_pool_count(&p, "small", 180);
	label_pool_rebalance(&p);
	assert_int_equal(label_pool_label(&p, "small"), LABEL_OTHER);
	/* More than twice: mid is retired, its value stays known; small gets one. */
	label_pool_count(&p, "small", 20);
	label_pool_rebalance(&p);
	uint32_t small = label_pool_label(&p, "small");
	assert_string_equal(label_pool_name(&p, small), "small");
	assert_int_equal(label_pool_label(&p, "mid"), LABEL_OTHER);
	assert_int_equal(p.nlabels, 4); /* other, big, mid (retired), small */
	/* mid comes back: it reuses its own value. */
	label_pool_count(&p, "mid", 1000);
	label_pool_rebalance(&p);
	assert_string_equal(label_pool_name(&p, label_pool_label(&p, "mid")), "mid");
	assert_int_equal(p.nlabels, 4);
	/* 2N values at most, ever. */
	label_pool_count(&p, "huge", 1ull << 40);
	label_pool_rebalance(&p);
	label_pool_count(&p, "huger", 1ull << 50);
	label_pool_rebalance(&p);
	assert_true(p.nlabels <= 5);
	assert_int_equal(p.nactive, 2);
	label_pool_free(&p);
}

static void pool_of_zero(void **state)
{
	struct label_pool p;

	label_pool_init(&p, 0);
	label_pool_count(&p, "big", 1000);
	label_pool_rebalance(&p);
	assert_int_equal(label_pool_label(&p, "big"), LABEL_OTHER);
	label_pool_free(&p);
}

static void pool_admits_while_values_are_free(void **state)
{
	struct label_pool p;

	label_pool_init(&p, 1);
	label_pool_count(&p, "first", 10);
	assert_int_equal(label_pool_label(&p, "first"), LABEL_OTHER); /* not ranked yet */
	assert_string_equal(label_pool_name(&p, label_pool_admit(&p, "first")), "first");
	label_pool_count(&p, "second", 1000);
	assert_int_equal(label_pool_admit(&p, "second"),
			 LABEL_OTHER); /* none free: wait for ranking */
	assert_int_equal(label_pool_admit(&p, "unknown"), LABEL_OTHER);
	label_pool_free(&p);
}

static void pool_prunes_the_tail(void **state)
{
	struct label_pool p;
	char name[32];

	label_pool_init(&p, 1);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		label_pool_count(&p, name, (uint64_t)i + 1);
	}
	assert_true(p.ncands <= p.max_candidates);
	label_pool_rebalance(&p);
	assert_string_equal(label_pool_name(&p, label_pool_label(&p, "c19999")), "c19999");
	label_pool_free(&p);
}

/* The value of the sample `line ` (name{labels}) in text; -1 if absent. */
static double sample(const char *text, const char *line)
{
	char key[512];
	const char *at;

	snprintf(key, sizeof(key), "\n%s ", line);
	at = strstr(text, key);
	return at ? strtod(at + strlen(key), NULL) : -1;
}

static struct ledger a_ledger(uint64_t id, const char *comm, uint64_t self, uint64_t exit_bytes)
{
	struct ledger l;

	memset(&l, 0, sizeof(l));
	l.id = id;
	l.pid = 100 + (uint32_t)id;
	snprintf(l.comm, sizeof(l.comm), "%s", comm);
	l.exe = "";
	l.cgroup = "/system.slice/x.service";
	strcpy(l.interp.name, "python");
	l.bytes[CAT_FAULTED_IN][MR_ANON] = self + exit_bytes;
	l.bytes[CAT_SELF_RELEASED][MR_ANON] = self;
	l.bytes[CAT_KERNEL_EXIT][MR_ANON] = exit_bytes;
	return l;
}

static uint64_t generation;

/* A render whose new series were served at 0 by an earlier scrape: every value shows. */
static char *render(struct metrics *m)
{
	struct metrics_state s = {.version = "0.1.0", .kernel = "6.18", .tracked = 1};
	size_t len;
	char *text;

	s.generation = ++generation;
	s.served = generation - 1;
	free(metrics_render(m, &s, &len));
	s.generation = ++generation;
	s.served = generation - 1;
	text = metrics_render(m, &s, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

#define SELF_HOG                                                                                   \
	"memreap_released_bytes_total{by=\"self\",kind=\"anon\",comm=\"hog\",interpreter="         \
	"\"python\"}"
#define EXIT_HOG                                                                                   \
	"memreap_released_bytes_total{by=\"kernel_exit\",kind=\"anon\",comm=\"hog\",interpreter="  \
	"\"python\"}"
#define ENDS_HOG                                                                                   \
	"memreap_address_spaces_ended_total{end=\"exit\",comm=\"hog\",interpreter=\"python\"}"

static void live_then_ended_counts_once(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5};
	struct metrics *m = metrics_new(&o);
	struct ledger l = a_ledger(1, "hog", 10 * MiB, 0);
	char *t;

	metrics_live_begin(m);
	metrics_live(m, &l);
	metrics_live_end(m);
	t = render(m);
	assert_true(sample(t, SELF_HOG) == 10 * MiB); /* a large newcomer has its label at once */
	free(t);
	/* It left the map; its end is not handled yet: its last numbers stay. */
	metrics_live_begin(m);
	metrics_live_end(m);
	t = render(m);
	assert_true(sample(t, SELF_HOG) == 10 * MiB);
	free(t);
	/* Its end: final numbers, renamed in the meantime (same series), counted once. */
	l = a_ledger(1, "renamed", 12 * MiB, 64 * MiB);
	l.end = MR_END_EXIT;
	metrics_ended(m, &l);
	metrics_ended(m, &l);
	t = render(m);
	assert_true(sample(t, SELF_HOG) == 12 * MiB);
	assert_true(sample(t, EXIT_HOG) == 64 * MiB);
	assert_true(sample(t, ENDS_HOG) == 1);
	assert_true(sample(t, "memreap_exit_resident_bytes_bucket{le=\"67108864\"}") == 1);
	assert_true(sample(t, "memreap_exit_resident_bytes_bucket{le=\"16777216\"}") == 0);
	assert_true(sample(t, "memreap_exit_resident_bytes_count") == 1);
	assert_null(strstr(t, "comm=\"renamed\""));
	free(t);
	metrics_free(m);
}

#define OOM_HOG "memreap_oom_kills_total{comm=\"hog\",interpreter=\"python\"}"

/* An OOM kill counts once, when its ledger ends; a live victim, an exec or a SIGKILL do not. */
static void oom_kills_count_ended_victims_once(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5};
	struct metrics *m = metrics_new(&o);
	struct ledger l = a_ledger(1, "hog", 0, 64 * MiB), killed = a_ledger(2, "hog", 0, MiB);
	char *t;

	l.oom_killed = true; /* marked by mark_victim while the reaper works: still alive */
	metrics_live_begin(m);
	metrics_live(m, &l);
	metrics_live_end(m);
	t = render(m);
	assert_true(sample(t, OOM_HOG) == 0);
	free(t);
	l.end = MR_END_EXIT;
	l.signal = 9;
	metrics_ended(m, &l);
	metrics_ended(m, &l);
	killed.end = MR_END_EXIT;
	killed.signal = 9;
	metrics_ended(m, &killed);
	t = render(m);
	assert_true(sample(t, OOM_HOG) == 1);
	free(t);
	metrics_free(m);
}

static void a_new_series_starts_at_zero_until_scraped(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5};
	struct metrics *m = metrics_new(&o);
	struct metrics_state s = {.generation = 1};
	struct ledger l = a_ledger(1, "hog", 10 * MiB, 64 * MiB);
	size_t len;
	char *t;

	l.end = MR_END_EXIT;
	metrics_ended(m, &l);
	t = metrics_render(m, &s, &len);
	assert_true(sample(t, EXIT_HOG) == 0);
	free(t);
	s.generation = 2; /* nobody scraped generation 1 */
	t = metrics_render(m, &s, &len);
	assert_true(sample(t, EXIT_HOG) == 0);
	free(t);
	s.generation = 3;
	s.served = 2;
	t = metrics_render(m, &s, &len);
	assert_true(sample(t, EXIT_HOG) == 64 * MiB);
	assert_true(sample(t, "memreap_exit_resident_bytes_count") == 1);
	free(t);
	metrics_free(m);
}

/* An exec in progress still carries the old image's comm: it is pinned once the exec is done. */
static void an_exec_in_progress_waits_for_its_comm(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5};
	struct metrics *m = metrics_new(&o);
	struct ledger l = a_ledger(1, "python3", 10 * MiB, 0);
	char *t;

	l.building = true;
	metrics_live_begin(m);
	metrics_live(m, &l);
	metrics_live_end(m);
	l = a_ledger(1, "hog", 10 * MiB, 0);
	metrics_live_begin(m);
	metrics_live(m, &l);
	metrics_live_end(m);
	t = render(m);
	assert_true(sample(t, SELF_HOG) == 10 * MiB);
	assert_null(strstr(t, "comm=\"python3\""));
	free(t);
	metrics_free(m);
}

static void a_reading_that_goes_back_is_ignored(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5};
	struct metrics *m = metrics_new(&o);
	struct ledger l = a_ledger(1, "hog", 10 * MiB, 0);
	char *t;

	metrics_live_begin(m);
	metrics_live(m, &l);
	metrics_live_end(m);
	l.bytes[CAT_SELF_RELEASED][MR_ANON] = 5 * MiB;
	metrics_live_begin(m);
	metrics_live(m, &l);
	metrics_live_end(m);
	t = render(m);
	assert_true(sample(t, SELF_HOG) == 10 * MiB);
	free(t);
	metrics_free(m);
}

/* Promotion and demotion never lower a series: ledgers stay where they were first counted. */
static void labels_move_without_decrease(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 1};
	struct metrics *m = metrics_new(&o);
	const char *other = "memreap_released_bytes_total{by=\"self\",kind=\"anon\",comm=\"other\","
			    "interpreter=\"python\"}";
	const char *first = "memreap_released_bytes_total{by=\"self\",kind=\"anon\",comm=\"first\","
			    "interpreter=\"python\"}";
	double before_other, before_first;
	struct ledger a = a_ledger(1, "first", 4 * MiB, 0), b = a_ledger(2, "second", 1 * MiB, 0);
	char *t;

	metrics_live_begin(m);
	metrics_live(m, &a);
	metrics_live(m, &b);
	metrics_live_end(m);
	t = render(m);
	before_other = sample(t, other);
	before_first = sample(t, first);
	assert_true(before_first == 4 * MiB && before_other == 1 * MiB);
	free(t);
	/* second grows far past first and takes the only active value... */
	b = a_ledger(2, "second", 100 * MiB, 0);
	metrics_live_begin(m);
	metrics_live(m, &a);
	metrics_live(m, &b);
	metrics_live_end(m);
	struct ledger c = a_ledger(3, "second", 8 * MiB, 0), d = a_ledger(4, "first", 2 * MiB, 0);

	c.end = d.end = MR_END_EXIT;
	metrics_ended(m, &c);
	metrics_ended(m, &d);
	t = render(m);
	/* ...its running ledger stays in other, its new one has its own value; first's new one is
	 * other. */
	assert_true(sample(t, other) == (100 + 2) * MiB);
	assert_true(sample(t, first) == 4 * MiB);
	assert_true(sample(t, "memreap_released_bytes_total{by=\"self\",kind=\"anon\",comm="
			      "\"second\",interpreter=\"python\"}") == 8 * MiB);
	free(t);
	metrics_free(m);
}

static void cgroup_labels_only_when_asked(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5},
			    oc = {.max_comm_labels = 5, .cgroup_labels = true};
	struct metrics *m = metrics_new(&o), *mc = metrics_new(&oc);
	struct ledger l = a_ledger(1, "hog", 10 * MiB, 0);
	char *t, *tc;

	metrics_ended(m, &l);
	metrics_live_begin(mc);
	metrics_live(mc, &l);
	metrics_live_end(mc);
	t = render(m);
	tc = render(mc);
	assert_null(strstr(t, "cgroup="));
	assert_non_null(strstr(tc, "cgroup=\"/system.slice/x.service\""));
	assert_null(strstr(t, "pid="));
	free(t);
	free(tc);
	metrics_free(m);
	metrics_free(mc);
}

static void help_says_when_bpf_stats_are_off(void **state)
{
	struct metrics_opts o = {.max_comm_labels = 5};
	struct metrics *m = metrics_new(&o);
	struct metrics_state s = {.version = "0.1.0",
				  .kernel = "6\"18",
				  .nprograms = 1,
				  .programs = {{"on_rss_stat", 1500000000, 42}}};
	size_t len;
	char *t;

	t = metrics_render(m, &s, &len);
	assert_non_null(strstr(t, "kernel.bpf_stats_enabled is off"));
	assert_true(sample(t, "memreap_bpf_program_run_seconds_total{program=\"on_rss_stat\"}") ==
		    1.5);
	assert_true(sample(t, "memreap_bpf_program_runs_total{program=\"on_rss_stat\"}") == 42);
	assert_non_null(strstr(t, "memreap_build_info{version=\"0.1.0\",kernel=\"6\\\"18\","
				  "contract=\"memreap-metrics/v1\"} 1\n"));
	free(t);
	s.bpf_stats_enabled = 1;
	t = metrics_render(m, &s, &len);
	assert_null(strstr(t, "is off"));
	free(t);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(escaping),
	    cmocka_unit_test(pool_admits_while_values_are_free),
	    cmocka_unit_test(pool_keeps_the_top_n),
	    cmocka_unit_test(pool_of_zero),
	    cmocka_unit_test(pool_prunes_the_tail),
	    cmocka_unit_test(live_then_ended_counts_once),
	    cmocka_unit_test(a_new_series_starts_at_zero_until_scraped),
	    cmocka_unit_test(oom_kills_count_ended_victims_once),
	    cmocka_unit_test(an_exec_in_progress_waits_for_its_comm),
	    cmocka_unit_test(a_reading_that_goes_back_is_ignored),
	    cmocka_unit_test(labels_move_without_decrease),
	    cmocka_unit_test(cgroup_labels_only_when_asked),
	    cmocka_unit_test(help_says_when_bpf_stats_are_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
