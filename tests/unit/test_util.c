// SPDX-License-Identifier: GPL-2.0
/* Sizes, percentages, argument parsing, the id map, grouping and sorting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "document.h"
#include "fixtures.h"
#include "follow.h"
#include "interp_detect.h"
#include "util.h"

static void human_sizes(void **state)
{
	char b[16];

	assert_string_equal(human_bytes(0, b, sizeof(b)), "0 B");
	assert_string_equal(human_bytes(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(human_bytes(1536, b, sizeof(b)), "1.50 KiB");
	assert_string_equal(human_bytes(234 * MiB, b, sizeof(b)), "234 MiB");
	assert_string_equal(human_bytes(UINT64_MAX, b, sizeof(b)), "16384 PiB");
	assert_string_equal(percent(1, 3, b, sizeof(b)), "33%");
	assert_string_equal(percent(5, 0, b, sizeof(b)), "-");
}

static void parses_numbers(void **state)
{
	assert_int_equal(parse_count("42"), 42);
	assert_int_equal(parse_count("-1"), -1);
	assert_int_equal(parse_count("4x"), -1);
	assert_int_equal(parse_count(""), -1);
	assert_true(parse_seconds("0.5") == 0.5);
	assert_true(parse_seconds("0") < 0);
	assert_true(parse_seconds("nan") < 0);
	assert_true(parse_seconds("1e99") < 0);
}

static void idmap_survives_churn(void **state)
{
	struct idmap m = { 0 };
	char v[32];

	for (uint64_t i = 1; i <= 5000; i++) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)i);
		idmap_put(&m, i * 7919, v);
	}
	for (uint64_t i = 1; i <= 5000; i += 2)
		idmap_del(&m, i * 7919);
	for (uint64_t i = 1; i <= 5000; i++) {
		const char *got = idmap_get(&m, i * 7919);

		if (i % 2) {
			assert_null(got);
		} else {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)i);
			assert_string_equal(got, v);
		}
	}
	assert_int_equal(m.map.len, 2500);
	idmap_put(&m, 0, "zero is never stored");
	assert_null(idmap_get(&m, 0));
	idmap_free(&m);
}

static void groups_and_sorts(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct group *g;
	struct ledger l;
	size_t n;

	document_init_local(&d);
	for (int i = 0; i < 3; i++) {
		snprintf(k.comm, sizeof(k.comm), i ? "bash" : "python3.11");
		k.pid = 100 - (uint32_t)i;
		k.released[MR_REL_EXIT][MR_ANON] = (uint64_t)(i + 1) * MiB;
		ledger_from_kernel(&l, &k, 0);
		document_add(&d, &l);
		ledger_free(&l);
	}
	assert_int_equal(document_group(&d, BY_COMM, &g, &n), 0);
	assert_int_equal(n, 2);
	sort_groups(g, n, sort_field_index("ledgers"), false);
	assert_string_equal(g[0].key, "bash");
	assert_int_equal(g[0].sum.ledgers, 2);
	groups_free(g, n);
	sort_ledgers(d.ledgers, d.n, sort_field_index("pid"), true);
	assert_int_equal(d.ledgers[0].pid, 98);
	sort_ledgers(d.ledgers, d.n, sort_field_index("kernel_exit"), false);
	assert_int_equal(d.ledgers[0].pid, 98);
	assert_int_equal(sort_field_index("bogus"), -1);
	document_free(&d);
}

/* A parked end that arrives after its pid was reused by a followed child must not unfollow it. */
static void late_end_keeps_a_reused_pid(void **state)
{
	struct follow f = { 0 };

	follow_add(&f, 100);
	follow_fork(&f, 100, 200, 7);
	follow_fork(&f, 300, 400, 8); /* not followed: a stranger's child */
	assert_false(follow_has(&f, 400));
	follow_fork(&f, 100, 200, 9); /* pid 200 reused by a second child before the first ended */
	follow_exit(&f, 200, 7);      /* the first child's late end */
	assert_true(follow_has(&f, 200));
	follow_exit(&f, 200, 9);
	assert_false(follow_has(&f, 200));
	follow_exit(&f, 100, 3); /* the root, followed before any ledger was known */
	assert_false(follow_has(&f, 100));
	follow_free(&f);
}

static void interpreter_text(void **state)
{
	struct interp i = { "python", "3.11.2" }, back;
	char b[64];

	assert_string_equal(interp_text(&i, b, sizeof(b)), "python 3.11.2");
	interp_parse(b, &back);
	assert_string_equal(back.name, "python");
	assert_string_equal(back.version, "3.11.2");
	interp_parse("", &back);
	assert_string_equal(back.name, "");
	i.name[0] = '\0';
	assert_string_equal(interp_text(&i, b, sizeof(b)), "");
	interp_of_exe("/nonexistent", &back); /* never fails loudly */
	assert_string_equal(back.name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(human_sizes),
		cmocka_unit_test(parses_numbers),
		cmocka_unit_test(idmap_survives_churn),
		cmocka_unit_test(groups_and_sorts),
		cmocka_unit_test(interpreter_text),
		cmocka_unit_test(late_end_keeps_a_reused_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
