// SPDX-License-Identifier: GPL-2.0
/* The live monitor's text helpers: bars, truncation, ages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "top_format.h"

static void bars(void **state)
{
	char b[64];

	assert_string_equal(share_bar(1, 4, 10, b, sizeof(b)), "[##------]");
	assert_string_equal(share_bar(0, 0, 6, b, sizeof(b)), "[----]");
	assert_string_equal(share_bar(9, 3, 6, b, sizeof(b)), "[####]");
	assert_string_equal(share_bar(1, 2, 2, b, sizeof(b)), "");
	assert_string_equal(share_bar(1, 2, 64, b, sizeof(b)), ""); /* does not fit the buffer */
	assert_string_equal(split_bar(50, 25, 25, 8, b, sizeof(b)), "SSSSKK..");
	assert_string_equal(split_bar(0, 10, 0, 4, b, sizeof(b)), "KKKK");
	assert_string_equal(split_bar(0, 0, 0, 4, b, sizeof(b)), "....");
}

static void truncation(void **state)
{
	char b[16];

	assert_string_equal(fit("python3.11", 12, b, sizeof(b)), "python3.11");
	assert_string_equal(fit("python3.11", 6, b, sizeof(b)), "pytho~");
	assert_string_equal(fit("abc", 0, b, sizeof(b)), "");
	assert_string_equal(fit("a-very-long-command-name", 40, b, sizeof(b)), "a-very-long-co~");
}

static void compact_sizes(void **state)
{
	char b[16];

	assert_string_equal(compact_bytes(0, b, sizeof(b)), "0");
	assert_string_equal(compact_bytes(999, b, sizeof(b)), "999");
	assert_string_equal(compact_bytes(1000, b, sizeof(b)), "0.98K");
	assert_string_equal(compact_bytes(64ull << 20, b, sizeof(b)), "64.0M");
	assert_string_equal(compact_bytes(1023ull << 20, b, sizeof(b)), "1.00G");
	assert_string_equal(compact_bytes(UINT64_MAX, b, sizeof(b)), "16.0E");
}

static void ages(void **state)
{
	char b[16];

	assert_string_equal(age(45ull * 1000000000, b, sizeof(b)), "45s");
	assert_string_equal(age(723ull * 1000000000, b, sizeof(b)), "12m03s");
	assert_string_equal(age(11220ull * 1000000000, b, sizeof(b)), "3h07m");
	assert_string_equal(age(187200ull * 1000000000, b, sizeof(b)), "2d04h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bars),
		cmocka_unit_test(truncation),
		cmocka_unit_test(compact_sizes),
		cmocka_unit_test(ages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
