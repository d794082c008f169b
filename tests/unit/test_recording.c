// SPDX-License-Identifier: GPL-2.0
/* Recording round trip; files cut at every byte; corrupt, foreign and future files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixtures.h"
#include "recording.h"

static char path[] = "/tmp/memreap-unit-XXXXXX";

static size_t write_sample(int nledgers)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct rec_writer w;
	struct health h = { .ringbuf_drops = 2, .map_full = 1 };
	struct ledger l;
	FILE *f;
	long size;

	document_init_local(&d);
	assert_int_equal(rec_open(&w, path, &d.meta), 0);
	for (int i = 0; i < nledgers; i++) {
		k.id = (uint64_t)i + 1;
		ledger_from_kernel(&l, &k, 0);
		free(l.exe);
		l.exe = strdup("/usr/bin/python3.11");
		rec_add_ledger(&w, &l);
		ledger_free(&l);
	}
	rec_add_health(&w, &h);
	rec_add_end(&w, 12345, &h);
	assert_int_equal(rec_close(&w), 0);
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	return (size_t)size;
}

static int read_path(struct document *d, char *note, char *err)
{
	FILE *f = fopen(path, "rb");
	int rc = rec_read(f, d, note, 256, err, 256);

	fclose(f);
	return rc;
}

static void round_trip(void **state)
{
	struct document d;
	char note[256], err[256];

	write_sample(3);
	assert_int_equal(read_path(&d, note, err), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.meta.ended_ns, 12345);
	assert_int_equal(d.health.ringbuf_drops, 2);
	assert_int_equal(d.ledgers[2].id, 3);
	assert_string_equal(d.ledgers[0].exe, "/usr/bin/python3.11");
	assert_int_equal(d.ledgers[0].bytes[CAT_KERNEL_EXIT][MR_ANON], 60 * MiB);
	assert_int_equal(d.ledgers[0].exit_code, 1);
	assert_int_equal(ledger_unbalanced_kind(&d.ledgers[1]), -1);
	document_free(&d);
}

/* A file cut anywhere reads every whole record before the cut, and never fails. */
static void cut_at_every_byte(void **state)
{
	size_t size = write_sample(2), last_n = 0;
	struct document d;
	char note[256], err[256];

	for (size_t cut = 17; cut < size; cut++) {
		assert_int_equal(truncate(path, (off_t)cut), 0);
		int rc = read_path(&d, note, err);

		if (rc < 0) /* only when not even the header survived */
			assert_non_null(strstr(err, "header"));
		else
			assert_int_equal(rc, 1);
		assert_true(d.n >= last_n || rc < 0);
		if (rc >= 0)
			last_n = d.n;
		document_free(&d);
		write_sample(2);
	}
	assert_int_equal(last_n, 2);
}

static void flipped_byte_is_an_error_with_offset(void **state)
{
	struct document d;
	char note[256], err[256];
	FILE *f;

	write_sample(2);
	f = fopen(path, "r+b");
	fseek(f, 300, SEEK_SET); /* inside the first ledger's payload */
	fputc('#', f);
	fclose(f);
	assert_int_equal(read_path(&d, note, err), -1);
	assert_non_null(strstr(err, "byte offset"));
	assert_non_null(strstr(err, "checksum"));
}

static void foreign_and_future_files(void **state)
{
	struct document d;
	char note[256], err[256];
	FILE *f = fopen(path, "wb");

	fputs("{\"schema\": \"memreap/v1\"}\n", f);
	fclose(f);
	assert_int_equal(read_path(&d, note, err), -1);
	assert_non_null(strstr(err, "not a memreap recording"));

	write_sample(1);
	f = fopen(path, "r+b");
	fseek(f, 8, SEEK_SET);
	fputc(99, f); /* format version 99 */
	fclose(f);
	assert_int_equal(read_path(&d, note, err), -1);
	assert_non_null(strstr(err, "version 99"));
}

static int cleanup(void **state)
{
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(cut_at_every_byte),
		cmocka_unit_test(flipped_byte_is_an_error_with_offset),
		cmocka_unit_test(foreign_and_future_files),
	};
	int fd = mkstemp(path);

	close(fd);
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
