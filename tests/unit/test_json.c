// SPDX-License-Identifier: GPL-2.0
/* The memreap/v1 JSON contract: field names, nulls, totals, and parsing back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "fixtures.h"
#include "ledger_bin.h"
#include "ledger_json.h"
#include "out.h"
#include "util.h"

static json_object *field(json_object *o, const char *name)
{
	json_object *f = NULL;

	assert_true(json_object_object_get_ex(o, name, &f));
	return f;
}

static void ledger_fields_follow_the_contract(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;
	json_object *o;

	ledger_from_kernel(&l, &k, 0);
	o = ledger_to_json(&l);
	assert_string_equal(json_object_get_string(field(o, "end")), "exit");
	assert_int_equal(json_object_get_int(field(o, "exit_code")), 1);
	assert_null(field(o, "signal"));
	assert_int_equal(json_object_get_uint64(field(field(o, "kernel_exit"), "total")), 63 * MiB);
	assert_int_equal(json_object_get_uint64(field(field(o, "self_released_by_call"), "munmap")),
			 30 * MiB);
	assert_true(json_object_get_boolean(field(o, "observed_from_start")));
	json_object_put(o);
	ledger_free(&l);
}

static void round_trips_through_json(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o;

	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_memory_equal(a.bytes, b.bytes, sizeof(a.bytes));
	assert_memory_equal(a.freed, b.freed, sizeof(a.freed));
	assert_false(b.freed_unknown);
	assert_memory_equal(a.by_call, b.by_call, sizeof(a.by_call));
	assert_int_equal(a.exit_code, b.exit_code);
	assert_int_equal(a.signal, b.signal);
	assert_string_equal(a.comm, b.comm);
	json_object_put(o);
	ledger_free(&a);
	ledger_free(&b);
}

static void parse_errors_name_the_field(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o;

	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	json_object_object_del(o, "kernel_exec");
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "kernel_exec"));
	json_object_object_add(o, "kernel_exec", json_object_new_string("lots"));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong type"));
	json_object_put(o);
	o = ledger_to_json(&a);
	json_object_object_add(o, "pid", json_object_new_int(-5));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "negative"));
	json_object_put(o);
	ledger_free(&a);
}

static void freed_follows_the_contract(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;
	json_object *o, *freed, *kinds;

	ledger_from_kernel(&l, &k, 0);
	o = ledger_to_json(&l);
	freed = field(o, "freed");
	kinds = field(o, "freed_by_kind");
	assert_int_equal(json_object_get_uint64(field(freed, "self_released")), 40 * MiB);
	assert_int_equal(json_object_get_uint64(field(freed, "kernel_exit")), 56 * MiB);
	assert_int_equal(json_object_get_uint64(field(freed, "kernel_live")), 0);
	assert_int_equal(json_object_get_uint64(field(freed, "kernel_exec")), 0);
	assert_int_equal(json_object_get_uint64(field(field(kinds, "kernel_exit"), "anon")), 56 * MiB);
	assert_int_equal(json_object_get_uint64(field(field(kinds, "kernel_exit"), "file")), 0);
	assert_int_equal(json_object_object_length(freed), 4);
	assert_int_equal(ledger_overfreed_category(&l), -1);
	json_object_put(o);
	ledger_free(&l);
}

/* Recordings made before freed bytes were measured: unknown, never 0. */
static void freed_of_an_old_ledger_is_unknown(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct ledger a, b;
	char err[200];
	json_object *o, *doc;

	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	json_object_object_del(o, "freed");
	json_object_object_del(o, "freed_by_kind");
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_true(b.freed_unknown);
	json_object_put(o);
	o = ledger_to_json(&b);
	assert_null(field(o, "freed"));
	assert_null(field(o, "freed_by_kind"));
	document_init_local(&d);
	document_add(&d, &a);
	document_add(&d, &b);
	doc = document_to_json(&d);
	assert_null(field(field(doc, "totals"), "freed")); /* a sum with unknown parts is unknown */
	json_object_put(doc);
	json_object_put(o);
	document_free(&d);
	ledger_free(&a);
	ledger_free(&b);
}

static void freed_beyond_released_is_an_error(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o, *at_exit;

	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	at_exit = field(field(o, "freed_by_kind"), "kernel_exit");
	json_object_object_add(at_exit, "anon", json_object_new_uint64(60 * MiB + 4096));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "field \"freed_by_kind.kernel_exit.anon\" is more than was released");
	json_object_put(o);
	a.freed[CAT_KERNEL_EXIT][MR_FILE] = 3 * MiB + 1;
	assert_int_equal(ledger_overfreed_category(&a), CAT_KERNEL_EXIT);
	ledger_free(&a);
}

static void document_has_totals(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct ledger l;
	json_object *o, *t;

	document_init_local(&d);
	ledger_from_kernel(&l, &k, 0);
	document_add(&d, &l);
	document_add(&d, &l);
	o = document_to_json(&d);
	assert_string_equal(json_object_get_string(field(o, "schema")), "memreap/v1");
	t = field(o, "totals");
	assert_int_equal(json_object_get_uint64(field(t, "ledgers")), 2);
	assert_int_equal(json_object_get_uint64(field(field(t, "self_released"), "anon")), 80 * MiB);
	assert_int_equal(json_object_get_uint64(field(field(t, "freed"), "kernel_exit")), 112 * MiB);
	assert_int_equal(json_object_array_length(field(o, "ledgers")), 2);
	json_object_put(o);
	ledger_free(&l);
	document_free(&d);
}

/*
 * end_inexact: the kernel ledger's flag (the legacy object's end of a teardown run elsewhere),
 * true or false in JSON and in a recording's flags byte; absent (older documents) reads as false.
 */
static void end_inexact_follows_the_contract(void **state)
{
	static unsigned char buf[LEDGER_BIN_MAX];
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o;

	k.end_inexact = 1;
	ledger_from_kernel(&a, &k, 0);
	assert_true(a.end_inexact);
	o = ledger_to_json(&a);
	assert_true(json_object_is_type(field(o, "end_inexact"), json_type_boolean));
	assert_true(json_object_get_boolean(field(o, "end_inexact")));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_true(b.end_inexact);
	ledger_free(&b);
	assert_int_equal(ledger_from_bin(buf, ledger_to_bin(&a, buf), &b, err, sizeof(err)), 0);
	assert_true(b.end_inexact);
	ledger_free(&b);
	json_object_object_del(o, "end_inexact");
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_false(b.end_inexact);
	ledger_free(&b);
	json_object_object_add(o, "end_inexact", json_object_new_int(1));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "field \"end_inexact\" is not a boolean");
	json_object_put(o);
	ledger_free(&a);
	k.end_inexact = 0;
	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	assert_false(json_object_get_boolean(field(o, "end_inexact")));
	json_object_put(o);
	ledger_free(&a);
}

/* oom_killed: true or false; null when unknown, and absent (older documents) reads as unknown. */
static void oom_killed_follows_the_contract(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o;

	k.oom_killed = 1;
	ledger_from_kernel(&a, &k, 0);
	assert_true(ledger_oom_killed(&a));
	o = ledger_to_json(&a);
	assert_true(json_object_get_boolean(field(o, "oom_killed")));
	assert_true(json_object_is_type(field(o, "oom_killed"), json_type_boolean));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_true(b.oom_killed);
	assert_false(b.oom_unknown);
	ledger_free(&b);
	json_object_object_add(o, "oom_killed", json_object_new_boolean(0));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_false(b.oom_killed);
	assert_false(b.oom_unknown);
	ledger_free(&b);
	json_object_object_del(o, "oom_killed");
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_true(b.oom_unknown);
	json_object_put(o);
	o = ledger_to_json(&b);
	assert_true(json_object_object_get_ex(o, "oom_killed", NULL));
	assert_null(field(o, "oom_killed"));
	ledger_free(&b);
	json_object_object_add(o, "oom_killed", json_object_new_int(1));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "field \"oom_killed\" is not null or a boolean");
	json_object_put(o);
	ledger_free(&a);
}

/* argv: null when unknown (and when absent: older documents), an array of strings when known. */
static void argv_follows_the_contract(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o;

	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	assert_null(field(o, "argv"));
	assert_false(json_object_get_boolean(field(o, "argv_truncated")));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_null(b.argv.args);
	ledger_free(&b);
	json_object_object_del(o, "argv");
	json_object_object_del(o, "argv_truncated");
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_null(b.argv.args);
	ledger_free(&b);
	json_object_put(o);

	cmdline_set(&a.argv, "sort\0-n\0file", 13, false);
	o = ledger_to_json(&a);
	assert_string_equal(json_object_to_json_string_ext(field(o, "argv"), 0),
			    "[\"sort\",\"-n\",\"file\"]");
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_int_equal(b.argv.len, 13);
	assert_memory_equal(b.argv.args, "sort\0-n\0file", 13);
	assert_false(b.argv.truncated);
	ledger_free(&b);
	json_object_put(o);

	a.argv.truncated = true;
	o = ledger_to_json(&a);
	assert_true(json_object_get_boolean(field(o, "argv_truncated")));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_true(b.argv.truncated);
	ledger_free(&b);
	json_object_object_add(o, "argv", json_object_new_string("sort -n file"));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "field \"argv\" is not null or an array of strings");
	json_object_put(o);
	ledger_free(&a);
}

/* Read back bounded like a captured one: 16 arguments at most. */
static void argv_read_back_is_bounded(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger a, b;
	char err[200];
	json_object *o, *argv = json_object_new_array();

	ledger_from_kernel(&a, &k, 0);
	o = ledger_to_json(&a);
	for (int i = 0; i < 40; i++)
		json_object_array_add(argv, json_object_new_string("0123456789abcdef"));
	json_object_object_add(o, "argv", argv);
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0);
	assert_int_equal(cmdline_argc(&b.argv), CMDLINE_MAX_ARGS);
	assert_int_equal(b.argv.len, 16 * 17);
	assert_true(b.argv.truncated);
	ledger_free(&b);
	json_object_put(o);
	ledger_free(&a);
}

static const char *string_of(json_object *o, const char *name)
{
	return json_object_get_string(field(o, name));
}

/* Every X_ns has an X_utc: RFC 3339 with nine digits, exact where jq 1.6's numbers are not. */
static void times_have_exact_utc_siblings(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct ledger a, b;
	char err[200], text[UTC_TEXT_LEN];
	json_object *o;

	assert_string_equal(utc_text(0, text, sizeof(text)), "1970-01-01T00:00:00.000000000Z");
	ledger_from_kernel(&a, &k, 0);
	a.start_ns = 1796189696123456789ull;
	a.end_ns = 1796189696999999999ull;
	o = ledger_to_json(&a);
	assert_int_equal(json_object_get_uint64(field(o, "start_ns")), 1796189696123456789ull);
	assert_string_equal(string_of(o, "start_utc"), "2026-12-02T05:34:56.123456789Z");
	assert_string_equal(string_of(o, "end_utc"), "2026-12-02T05:34:56.999999999Z");
	assert_null(field(o, "shutdown_started_ns"));
	assert_null(field(o, "shutdown_started_utc"));
	assert_int_equal(ledger_from_json(o, &b, err, sizeof(err)), 0); /* X_utc: ignored */
	assert_int_equal(b.start_ns, a.start_ns);
	ledger_free(&b);
	json_object_put(o);
	a.end = MR_END_ALIVE;
	a.shutdown_started_ns = 1796189696000000001ull;
	o = ledger_to_json(&a);
	assert_null(field(o, "end_utc"));
	assert_string_equal(string_of(o, "shutdown_started_utc"), "2026-12-02T05:34:56.000000001Z");
	json_object_put(o);

	document_init_local(&d);
	d.meta.boot_time_ns = 1796189000000000000ull;
	d.meta.started_ns = 1796189696123456789ull;
	d.meta.ended_ns = 1796189697000000000ull;
	o = meta_to_json(&d.meta);
	assert_string_equal(string_of(o, "boot_time_utc"), "2026-12-02T05:23:20.000000000Z");
	assert_string_equal(string_of(o, "started_utc"), "2026-12-02T05:34:56.123456789Z");
	assert_int_equal(meta_from_json(o, &d.meta, err, sizeof(err)), 0);
	json_object_put(o);
	d.meta.ended_ns = 1796189697000000000ull;
	o = document_to_json(&d);
	assert_string_equal(string_of(o, "started_utc"), "2026-12-02T05:34:56.123456789Z");
	assert_string_equal(string_of(o, "ended_utc"), "2026-12-02T05:34:57.000000000Z");
	json_object_put(o);
	ledger_free(&a);
}

/* What out_json() writes, in a malloc'd string. */
static char *written(const struct document *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(out_json(f, d), 0);
	fclose(f);
	return buf;
}

/*
 * out_json() writes the ledgers one at a time, not as one json-c tree (a tree of every ledger
 * of a large recording takes gigabytes): byte for byte what printing the tree gives, with no
 * ledger, one, and several.
 */
static void written_one_ledger_at_a_time_as_the_tree_prints(void **state)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct ledger l;

	document_init_local(&d);
	ledger_from_kernel(&l, &k, 0);
	for (int n = 0; n < 4; n++) {
		json_object *tree = document_to_json(&d);
		char *want = NULL, *got = written(&d);

		assert_true(asprintf(&want, "%s\n", json_object_to_json_string_ext(tree,
			    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) > 0);
		assert_string_equal(got, want);
		free(got);
		free(want);
		json_object_put(tree);
		l.pid = 100 + n; /* each ledger its own */
		document_add(&d, &l);
	}
	ledger_free(&l);
	document_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ledger_fields_follow_the_contract),
		cmocka_unit_test(round_trips_through_json),
		cmocka_unit_test(parse_errors_name_the_field),
		cmocka_unit_test(freed_follows_the_contract),
		cmocka_unit_test(freed_of_an_old_ledger_is_unknown),
		cmocka_unit_test(freed_beyond_released_is_an_error),
		cmocka_unit_test(document_has_totals),
		cmocka_unit_test(argv_follows_the_contract),
		cmocka_unit_test(oom_killed_follows_the_contract),
		cmocka_unit_test(end_inexact_follows_the_contract),
		cmocka_unit_test(argv_read_back_is_bounded),
		cmocka_unit_test(times_have_exact_utc_siblings),
		cmocka_unit_test(written_one_ledger_at_a_time_as_the_tree_prints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
