// SPDX-License-Identifier: GPL-2.0
/* Ledger arithmetic: conversion from the kernel record, the identity, sums, wait statuses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fixtures.h"

static void converts_an_exit(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;

	ledger_from_kernel(&l, &k, 1000000);
	assert_int_equal(l.pid, 812);
	assert_string_equal(l.comm, "python3.11");
	assert_int_equal(l.end, MR_END_EXIT);
	assert_int_equal(l.exit_code, 1);
	assert_int_equal(l.signal, -1);
	assert_true(l.observed_from_start);
	assert_int_equal(l.start_ns, 1001000);
	assert_int_equal(l.end_ns, 1005000);
	assert_int_equal(l.bytes[CAT_KERNEL_EXIT][MR_ANON], 60 * MiB);
	assert_int_equal(ledger_unbalanced_kind(&l), -1);
	assert_int_equal(ledger_released_total(&l), 103 * MiB);
	assert_int_equal(ledger_kernel_total(&l), 63 * MiB);
	ledger_free(&l);
}

static void splits_a_signal(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;

	k.exit_code = 9; /* killed by SIGKILL */
	ledger_from_kernel(&l, &k, 0);
	assert_int_equal(l.exit_code, -1);
	assert_int_equal(l.signal, 9);
	ledger_free(&l);
	k.exit_code = 0x80 | 11; /* SIGSEGV with a core dump */
	ledger_from_kernel(&l, &k, 0);
	assert_int_equal(l.signal, 11); /* the core-dump bit is not part of the number */
	ledger_free(&l);
}

static void alive_ledger_ends_with_what_is_resident(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;

	k.end = MR_END_ALIVE;
	k.released[MR_REL_EXIT][MR_ANON] = 0;
	k.released[MR_REL_EXIT][MR_FILE] = 0;
	k.cur[MR_MM_ANONPAGES] = 60 * MiB;
	k.cur[MR_MM_FILEPAGES] = 3 * MiB;
	k.cur[MR_MM_SWAPENTS] = 2 * MiB;
	k.cur[MR_MM_SHMEMPAGES] = -4096; /* a per-CPU counter can read below zero for a moment */
	ledger_from_kernel(&l, &k, 0);
	assert_int_equal(l.end_ns, 0);
	assert_int_equal(l.exit_code, -1);
	assert_int_equal(l.bytes[CAT_RSS_AT_END][MR_ANON], 60 * MiB);
	assert_int_equal(l.bytes[CAT_RSS_AT_END][MR_SHMEM], 0);
	assert_int_equal(l.swap_at_end, 2 * MiB);
	assert_int_equal(ledger_unbalanced_kind(&l), -1);
	ledger_free(&l);
}

static void finds_the_unbalanced_kind(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;

	k.released[MR_REL_EXIT][MR_FILE] -= 4096;
	ledger_from_kernel(&l, &k, 0);
	assert_int_equal(ledger_unbalanced_kind(&l), MR_FILE);
	ledger_free(&l);
}

static void sums_ledgers(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger_sum s = { 0 };
	struct ledger l;

	ledger_from_kernel(&l, &k, 0);
	ledger_sum_add(&s, &l);
	l.peak_rss = 500 * MiB;
	ledger_sum_add(&s, &l);
	assert_int_equal(s.ledgers, 2);
	assert_int_equal(s.peak_rss, 500 * MiB);
	assert_int_equal(cat_total(s.bytes[CAT_SELF_RELEASED]), 80 * MiB);
	assert_int_equal(s.by_call[MR_CALL_MUNMAP], 60 * MiB);
	ledger_free(&l);
}

/* Regression: a ledger that ended after the scan read the clock must not look 584 years old. */
static void stale_only_when_long_ended(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	const uint64_t stale = 30000000000ull, now = 100000000000ull;

	k.state = MR_STATE_EXITING;
	k.end_ns = now - stale;
	assert_true(kernel_ledger_is_stale(&k, now, stale));
	k.end_ns = now - stale + 1;
	assert_false(kernel_ledger_is_stale(&k, now, stale));
	k.end_ns = now + 1; /* ended while the map was being scanned */
	assert_false(kernel_ledger_is_stale(&k, now, stale));

	k.state = MR_STATE_ALIVE; /* alive and owned: never stale */
	k.start_ns = 0;
	assert_false(kernel_ledger_is_stale(&k, now, stale));
	k.origin = MR_ORIGIN_FORK; /* a fork that never got an owner */
	k.pid = 0;
	assert_true(kernel_ledger_is_stale(&k, now, stale));
	k.start_ns = now + 1;
	assert_false(kernel_ledger_is_stale(&k, now, stale));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(converts_an_exit),
		cmocka_unit_test(splits_a_signal),
		cmocka_unit_test(alive_ledger_ends_with_what_is_resident),
		cmocka_unit_test(finds_the_unbalanced_kind),
		cmocka_unit_test(sums_ledgers),
		cmocka_unit_test(stale_only_when_long_ended),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
