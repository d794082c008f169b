// SPDX-License-Identifier: GPL-2.0
/* Command lines: the bounds, exactly; UTF-8 repair; text for terminals; the map by ledger id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "cmdline.h"

/* The arguments of c, each followed by '|': "sort|-n|file|". */
static const char *joined(const struct cmdline *c)
{
	static char buf[2048];
	size_t at = 0;

	buf[0] = '\0';
	cmdline_for_each(arg, c)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s|", arg);
	return buf;
}

static void short_command_line_is_kept_whole(void **state)
{
	static const char args[] = "sort\0-n\0file";
	struct cmdline c = { 0 };

	assert_int_equal(cmdline_set(&c, args, sizeof(args), false), 0);
	assert_string_equal(joined(&c), "sort|-n|file|");
	assert_int_equal(cmdline_argc(&c), 3);
	assert_int_equal(c.len, 13);
	assert_false(c.truncated);
	cmdline_free(&c);
	assert_null(c.args);
	/* Unknown is not empty: no arguments at all (execve with an empty argv) is known. */
	assert_int_equal(cmdline_set(&c, NULL, 0, false), 0);
	assert_null(c.args);
	assert_int_equal(cmdline_set(&c, "", 0, false), 0);
	assert_non_null(c.args);
	assert_int_equal(cmdline_argc(&c), 0);
	cmdline_free(&c);
}

static void more_than_sixteen_arguments_are_cut(void **state)
{
	char args[64];
	struct cmdline c = { 0 };
	size_t at = 0;

	for (int i = 0; i < 20; i++)
		at += (size_t)snprintf(args + at, sizeof(args) - at, "%c", 'a' + i) + 1;
	assert_int_equal(cmdline_set(&c, args, at, false), 0);
	assert_int_equal(cmdline_argc(&c), CMDLINE_MAX_ARGS);
	assert_string_equal(joined(&c), "a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|");
	assert_true(c.truncated);
	/* Exactly sixteen is whole. */
	assert_int_equal(cmdline_set(&c, args, 32, false), 0);
	assert_int_equal(cmdline_argc(&c), 16);
	assert_false(c.truncated);
	cmdline_free(&c);
}

/* 512 bytes with every NUL: an argument cut there keeps its first bytes and gets its NUL. */
static void long_argument_is_cut_at_the_byte_limit(void **state)
{
	char args[1200];
	struct cmdline c = { 0 };

	memcpy(args, "prog", 5);
	memset(args + 5, 'x', 1000);
	args[1005] = '\0';
	assert_int_equal(cmdline_set(&c, args, 1006, false), 0);
	assert_int_equal(c.len, CMDLINE_MAX_BYTES);
	assert_int_equal(cmdline_argc(&c), 2);
	assert_int_equal(strlen(c.args + 5), CMDLINE_MAX_BYTES - 5 - 1);
	assert_true(c.truncated);
	/* As BPF gives it: the first 512 bytes, cut. */
	assert_int_equal(cmdline_set(&c, args, CMDLINE_MAX_BYTES, true), 0);
	assert_int_equal(c.len, CMDLINE_MAX_BYTES);
	assert_true(c.truncated);
	/* A cut that leaves a single byte of a new argument leaves the argument out. */
	memset(args, 'y', 510);
	args[510] = '\0';
	args[511] = 'z';
	assert_int_equal(cmdline_set(&c, args, CMDLINE_MAX_BYTES, true), 0);
	assert_int_equal(cmdline_argc(&c), 1);
	assert_int_equal(c.len, 511);
	/* Exactly 512 bytes ending in a NUL is whole. */
	args[511] = '\0';
	assert_int_equal(cmdline_set(&c, args, CMDLINE_MAX_BYTES, false), 0);
	assert_int_equal(cmdline_argc(&c), 2);
	assert_false(c.truncated);
	/* A last argument without its NUL (rewritten by the process) gets one, uncut. */
	assert_int_equal(cmdline_set(&c, "ab\0cd", 5, false), 0);
	assert_string_equal(joined(&c), "ab|cd|");
	assert_int_equal(c.len, 6);
	assert_false(c.truncated);
	cmdline_free(&c);
}

static void invalid_utf8_becomes_question_marks(void **state)
{
	static const char args[] = "caf\xc3\xa9\0\xff\xfe\0\xe2\x82\0\xed\xa0\x80\0"
				   "\xf0\x9f\x98\x80";
	struct cmdline c = { 0 };

	assert_int_equal(cmdline_set(&c, args, sizeof(args), false), 0);
	/* é and U+1F600 stay; a stray byte, a cut sequence and a surrogate do not. */
	assert_string_equal(joined(&c), "caf\xc3\xa9|??|??|???|\xf0\x9f\x98\x80|");
	cmdline_free(&c);
}

static void text_is_safe_for_a_terminal(void **state)
{
	static const char args[] = "printf\0a\nb\0\x1b[31m";
	struct cmdline c = { 0 };
	char buf[64];

	assert_string_equal(cmdline_text(&c, buf, sizeof(buf)), "");
	cmdline_set(&c, args, sizeof(args), false);
	assert_string_equal(cmdline_text(&c, buf, sizeof(buf)), "printf a?b ?[31m");
	c.truncated = true;
	assert_string_equal(cmdline_text(&c, buf, sizeof(buf)), "printf a?b ?[31m ...");
	assert_string_equal(cmdline_text(&c, buf, 8), "printf ");
	cmdline_free(&c);
}

static void map_owns_its_copies(void **state)
{
	struct cmdline_map m = { 0 };
	struct cmdline c = { 0 }, unknown = { 0 };

	cmdline_set(&c, "sh\0-c\0true", 11, false);
	for (uint64_t id = 1; id <= 5000; id++)
		cmdline_map_put(&m, id, &c);
	cmdline_free(&c);
	for (uint64_t id = 1; id <= 5000; id += 2)
		cmdline_map_del(&m, id);
	assert_null(cmdline_map_get(&m, 1));
	assert_string_equal(joined(cmdline_map_get(&m, 4000)), "sh|-c|true|");
	cmdline_map_put(&m, 4000, &unknown); /* replaced, and remembered as unknown */
	assert_non_null(cmdline_map_get(&m, 4000));
	assert_null(cmdline_map_get(&m, 4000)->args);
	cmdline_map_put(&m, 0, &unknown); /* key 0 is never stored */
	assert_null(cmdline_map_get(&m, 0));
	assert_int_equal(m.map.len, 2500);
	cmdline_map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_command_line_is_kept_whole),
		cmocka_unit_test(more_than_sixteen_arguments_are_cut),
		cmocka_unit_test(long_argument_is_cut_at_the_byte_limit),
		cmocka_unit_test(invalid_utf8_becomes_question_marks),
		cmocka_unit_test(text_is_safe_for_a_terminal),
		cmocka_unit_test(map_owns_its_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
