// SPDX-License-Identifier: GPL-2.0
/*
 * Recording round trip; files cut at every byte; corrupt, foreign and future files; binary
 * ledgers; version 1 files (JSON ledgers) and record types newer than the reader; version 3
 * (compressed) files round trip, cut at every byte, corrupt blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "fixtures.h"
#include "ledger_bin.h"
#include "ledger_json.h"
#include "recording.h"
#include "sample.h"

static char path[] = "/tmp/memreap-unit-XXXXXX";

/* nledgers, a health and the end record; compressed: a block for each ledger and the end. */
static size_t write_file(int nledgers, bool compress)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct document d;
	struct rec_writer w;
	struct health h = { .ringbuf_drops = 2, .map_full = 1 };
	struct ledger l;
	FILE *f;
	long size;

	document_init_local(&d);
	assert_int_equal(rec_open(&w, path, &d.meta, compress), 0);
	for (int i = 0; i < nledgers; i++) {
		k.id = (uint64_t)i + 1;
		ledger_from_kernel(&l, &k, 0);
		free(l.exe);
		l.exe = strdup("/usr/bin/python3.11");
		rec_add_ledger(&w, &l);
		ledger_free(&l);
		assert_int_equal(rec_flush(&w), 0);
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

static size_t write_sample(int nledgers)
{
	return write_file(nledgers, false);
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

/*
 * The file of nledgers cut at each byte after the magic: each cut reads (status 1, a warning)
 * at least the ledgers of a shorter cut, or fails only for want of its header. Returns the
 * ledgers the longest cut read.
 */
static size_t ledgers_read_at_every_cut(int nledgers, bool compress)
{
	size_t size = write_file(nledgers, compress), last_n = 0;
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
		write_file(nledgers, compress);
	}
	return last_n;
}

/* A file cut anywhere reads every whole record before the cut, and never fails. */
static void cut_at_every_byte(void **state)
{
	assert_int_equal(ledgers_read_at_every_cut(2, false), 2);
}

static void flipped_byte_is_an_error_with_offset(void **state)
{
	struct document d;
	char note[256], err[256], expected[64];
	unsigned char len[4];
	long ledger;
	FILE *f;

	write_sample(2);
	f = fopen(path, "r+b");
	fseek(f, 16, SEEK_SET);
	assert_int_equal(fread(len, 1, 4, f), 4);
	/* The first ledger's record follows the header's: flip a byte inside its payload. */
	ledger = 16 + 8 + (len[0] | len[1] << 8 | len[2] << 16 | (long)len[3] << 24) + 4;
	fseek(f, ledger + 8 + 20, SEEK_SET);
	fputc('#', f);
	fclose(f);
	assert_int_equal(read_path(&d, note, err), -1);
	snprintf(expected, sizeof(expected),
		 "corrupt record at byte offset %ld (checksum mismatch)", ledger);
	assert_string_equal(err, expected);
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

static struct ledger sample_ledger(void)
{
	struct mr_ledger k = kernel_ledger_exit();
	struct ledger l;

	ledger_from_kernel(&l, &k, 0);
	free(l.exe);
	l.exe = strdup("/usr/bin/python3.11");
	free(l.cgroup);
	l.cgroup = strdup("/user.slice/user-0.slice/session-1.scope");
	snprintf(l.interp.name, sizeof(l.interp.name), "python");
	snprintf(l.interp.version, sizeof(l.interp.version), "3.11.2");
	l.shutdown_started_ns = 4000;
	l.signal = -1;
	return l;
}

static void binary_ledger_round_trip(void **state)
{
	static unsigned char buf[LEDGER_BIN_MAX];
	struct ledger a = sample_ledger(), b;
	char err[200];
	size_t n = ledger_to_bin(&a, buf);

	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), 0);
	assert_memory_equal(a.bytes, b.bytes, sizeof(a.bytes));
	assert_memory_equal(a.freed, b.freed, sizeof(a.freed));
	assert_memory_equal(a.by_call, b.by_call, sizeof(a.by_call));
	assert_int_equal(b.id, 7);
	assert_int_equal(b.exit_code, 1);
	assert_int_equal(b.signal, -1);
	assert_int_equal(b.shutdown_started_ns, 4000);
	assert_true(b.observed_from_start);
	assert_string_equal(b.comm, "python3.11");
	assert_string_equal(b.exe, "/usr/bin/python3.11");
	assert_string_equal(b.cgroup, a.cgroup);
	assert_string_equal(b.interp.version, "3.11.2");
	ledger_free(&b);
	/* A payload cut inside a field, and numbers the JSON reader refuses, are errors. */
	assert_int_equal(ledger_from_bin(buf, 58, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "binary ledger ends inside field \"peak_rss_bytes\"");
	a.freed[CAT_KERNEL_EXIT][MR_ANON] = 61 * MiB;
	n = ledger_to_bin(&a, buf);
	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "binary ledger: freed is more than was released");
	ledger_free(&a);
}

static void put_le32(FILE *f, uint32_t v)
{
	unsigned char b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	fwrite(b, 1, 4, f);
}

static void put_frame(FILE *f, uint32_t type, const char *payload)
{
	unsigned char head[8];
	uint32_t n = (uint32_t)strlen(payload);
	uLong crc;

	for (int i = 0; i < 4; i++) {
		head[i] = (n >> (8 * i)) & 0xff;
		head[4 + i] = (type >> (8 * i)) & 0xff;
	}
	crc = crc32(crc32(0L, head, 8), (const unsigned char *)payload, n);
	fwrite(head, 1, 8, f);
	fputs(payload, f);
	put_le32(f, (uint32_t)crc);
}

/* A file as memreap wrote them before binary ledgers: version 1, JSON ledgers, no freed. */
static void write_version(uint32_t version, uint32_t extra_type)
{
	struct document d;
	struct ledger l = sample_ledger();
	json_object *o;
	FILE *f = fopen(path, "wb");

	document_init_local(&d);
	fwrite("MEMREAP\0", 1, 8, f);
	put_le32(f, version);
	put_le32(f, 0);
	o = meta_to_json(&d.meta);
	put_frame(f, REC_HEADER, json_object_to_json_string(o));
	json_object_put(o);
	o = ledger_to_json(&l);
	json_object_object_del(o, "freed");
	json_object_object_del(o, "freed_by_kind");
	put_frame(f, REC_LEDGER, json_object_to_json_string(o));
	json_object_put(o);
	if (extra_type)
		put_frame(f, extra_type, "{\"from\": \"a newer memreap\"}");
	put_frame(f, REC_END, "{\"ended_ns\": 9, \"health\": {\"ringbuf_drops\": 0, "
			      "\"map_full\": 0, \"unattributed_bytes\": 0, \"lost_ledgers\": 0}}");
	fclose(f);
	ledger_free(&l);
}

static void older_files_and_newer_records(void **state)
{
	struct document d;
	char note[256], err[256];

	write_version(1, 0);
	assert_int_equal(read_path(&d, note, err), 0);
	assert_int_equal(d.n, 1);
	assert_true(d.ledgers[0].freed_unknown); /* never 0: unknown */
	assert_int_equal(d.ledgers[0].bytes[CAT_KERNEL_EXIT][MR_ANON], 60 * MiB);
	document_free(&d);
	write_version(2, 9); /* a record type added later within version 2: skipped */
	assert_int_equal(read_path(&d, note, err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.meta.ended_ns, 9);
	document_free(&d);
	write_version(1, 9); /* version 1 had types 1 to 4 only */
	assert_int_equal(read_path(&d, note, err), -1);
	assert_non_null(strstr(err, "unknown type"));
}

/* argv after the names: unknown, whole or truncated; absent (older writers) reads as unknown. */
static void binary_ledger_carries_argv(void **state)
{
	static unsigned char buf[LEDGER_BIN_MAX];
	struct ledger a = sample_ledger(), b;
	char err[200];
	size_t unknown = ledger_to_bin(&a, buf), n;

	assert_int_equal(ledger_from_bin(buf, unknown, &b, err, sizeof(err)), 0);
	assert_null(b.argv.args);
	ledger_free(&b);
	/* A ledger as memreap wrote them before argv: the payload ends after the names. */
	assert_int_equal(ledger_from_bin(buf, unknown - 4, &b, err, sizeof(err)), 0);
	assert_null(b.argv.args);
	assert_string_equal(b.interp.version, "3.11.2");
	ledger_free(&b);

	cmdline_set(&a.argv, "python3.11\0-c\0pass", 19, true);
	n = ledger_to_bin(&a, buf);
	assert_int_equal(n, unknown + 19);
	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), 0);
	assert_int_equal(b.argv.len, 19);
	assert_memory_equal(b.argv.args, "python3.11\0-c\0pass", 19);
	assert_true(b.argv.truncated);
	ledger_free(&b);
	a.argv.truncated = false;
	ledger_to_bin(&a, buf);
	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), 0);
	assert_false(b.argv.truncated);
	ledger_free(&b);
	assert_int_equal(ledger_from_bin(buf, n - 2, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "binary ledger ends inside field \"argv\"");
	ledger_free(&a);
}

/*
 * oom_killed, one byte after argv: no, killed, or unknown; absent (ledgers written before it,
 * with or without argv) reads as unknown, never as "not killed".
 */
static void binary_ledger_carries_oom_killed(void **state)
{
	static unsigned char buf[LEDGER_BIN_MAX];
	struct ledger a = sample_ledger(), b;
	char err[200];
	size_t n;

	a.oom_killed = true;
	n = ledger_to_bin(&a, buf);
	assert_int_equal(buf[n - 1], 1);
	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), 0);
	assert_true(b.oom_killed);
	assert_false(b.oom_unknown);
	ledger_free(&b);
	a.oom_killed = false;
	n = ledger_to_bin(&a, buf);
	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), 0);
	assert_false(b.oom_killed);
	assert_false(b.oom_unknown);
	ledger_free(&b);
	/* written before oom_killed: after argv; and before argv: after the names */
	for (size_t cut = 1; cut <= 4; cut += 3) {
		assert_int_equal(ledger_from_bin(buf, n - cut, &b, err, sizeof(err)), 0);
		assert_false(b.oom_killed);
		assert_true(b.oom_unknown);
		assert_string_equal(b.interp.version, "3.11.2");
		ledger_free(&b);
	}
	/* unknown stays unknown when written again (a report of an old recording) */
	a.oom_unknown = true;
	n = ledger_to_bin(&a, buf);
	assert_int_equal(ledger_from_bin(buf, n, &b, err, sizeof(err)), 0);
	assert_true(b.oom_unknown);
	ledger_free(&b);
	ledger_free(&a);
}

static int read_bytes(struct document *d, const char *bytes, size_t n, char *err)
{
	char note[256];
	FILE *f = fopen(path, "wb");

	fwrite(bytes, 1, n, f);
	fclose(f);
	return read_path(d, note, err);
}

/* Files given to report by mistake are named as what they are. */
static void mistaken_files_say_what_they_are(void **state)
{
	static const char doc[] = "\n  {\"schema\": \"memreap/v1\", \"ledgers\": []}\n";
	struct document d;
	char note[256], err[256];
	FILE *f;

	assert_int_equal(read_bytes(&d, "", 0, err), -1);
	assert_string_equal(err, "empty file, not a memreap recording");
	assert_int_equal(read_bytes(&d, doc, sizeof(doc) - 1, err), -1);
	assert_string_equal(err, "a JSON document, not a memreap recording: write one with "
				 "`memreap record -o FILE` or `memreap run -o FILE`");
	assert_int_equal(read_bytes(&d, "MEMREAP\0\2\0", 10, err), -1);
	assert_string_equal(err, "recording cut short at byte offset 10, inside its file header");
	assert_int_equal(read_bytes(&d, "\x7f" "ELF\2\1\1", 7, err), -1);
	assert_string_equal(err, "not a memreap recording (bad magic at byte offset 0)");
	f = fopen("/tmp", "rb"); /* Linux opens a directory for reading; the read fails */
	assert_non_null(f);
	assert_int_equal(rec_read(f, &d, note, sizeof(note), err, sizeof(err)), -1);
	assert_string_equal(err, "is a directory, not a memreap recording");
	fclose(f);
}

static int cleanup(void **state)
{
	unlink(path);
	return 0;
}

/* Samples go out as record type 6 and come back with every figure; a cut batch is not kept. */
static void samples_round_trip(void **state)
{
	struct sample s[3] = { 0 };
	struct document d;
	struct rec_writer w;
	char note[256], err[256];
	FILE *f;

	for (int i = 0; i < 3; i++) {
		s[i] = (struct sample){ .ledger_id = 7 + (uint64_t)i, .rss = { 1u << 20, 4096, 8192 },
					.self_released = 12345, .kernel = 1ull << 40,
					.freed = 999, .swap = 42 };
	}
	document_init_local(&d);
	assert_int_equal(rec_open(&w, path, &d.meta, true), 0);
	rec_add_samples(&w, s, 2, 1796189696123456789ull);
	rec_add_samples(&w, s + 2, 1, 1796189696223456789ull);
	rec_add_end(&w, 1796189697000000000ull, &d.health);
	assert_int_equal(rec_close(&w), 0);
	document_free(&d);
	f = fopen(path, "rb");
	assert_int_equal(rec_read(f, &d, note, sizeof(note), err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(d.nsamples, 3);
	for (int i = 0; i < 3; i++) {
		s[i].ts_ns = i < 2 ? 1796189696123456789ull : 1796189696223456789ull;
		assert_memory_equal(&d.samples[i], &s[i], sizeof(s[i]));
	}
	document_free(&d);
}

static void bad_sample_batches_are_errors(void **state)
{
	unsigned char buf[SAMPLE_BATCH_HEAD + SAMPLE_BIN_LEN] = { 0 };
	struct sample one = { .ledger_id = 1 }, *out = NULL;
	size_t n = 0, cap = 0, len = samples_to_bin(&one, 1, 5, buf);
	char err[128];

	assert_int_equal(len, sizeof(buf));
	assert_int_equal(samples_from_bin(buf, len - 1, &out, &n, &cap, err, sizeof(err)), -1);
	assert_string_equal(err, "1 samples of 64 bytes in 79 bytes");
	assert_int_equal(samples_from_bin(buf, 8, &out, &n, &cap, err, sizeof(err)), -1);
	assert_string_equal(err, "a sample batch of 8 bytes");
	assert_int_equal(samples_from_bin(buf, len, &out, &n, &cap, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].ts_ns, 5);
	free(out);
}

/* Version 3: the same records in fewer bytes, and a cut file reads up to its last whole block. */
static void compressed_round_trip_and_cuts(void **state)
{
	size_t plain = write_file(3, false), size = write_file(3, true);
	struct document d;
	char note[256], err[256];
	unsigned char head[12];
	FILE *f = fopen(path, "rb");

	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	assert_int_equal(head[8], 3);
	assert_true(size * 2 < plain);
	assert_int_equal(read_path(&d, note, err), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.ledgers[2].id, 3);
	assert_int_equal(d.ledgers[0].bytes[CAT_KERNEL_EXIT][MR_ANON], 60 * MiB);
	assert_int_equal(d.health.ringbuf_drops, 2);
	assert_int_equal(d.meta.ended_ns, 12345);
	document_free(&d);
	/* each ledger's block is whole before the end's */
	assert_int_equal(ledgers_read_at_every_cut(3, true), 3);
}

/* A corrupt block is an error naming the block's offset; so is a block that is not deflate. */
static void compressed_block_errors(void **state)
{
	struct document d;
	char note[256], err[256], expected[80];
	unsigned char len[4];
	long block;
	FILE *f;

	write_file(2, true);
	f = fopen(path, "r+b");
	fseek(f, 16, SEEK_SET);
	assert_int_equal(fread(len, 1, 4, f), 4);
	block = 16 + 8 + (len[0] | len[1] << 8 | len[2] << 16 | (long)len[3] << 24) + 4;
	fseek(f, block + 8 + 3, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	assert_int_equal(read_path(&d, note, err), -1);
	snprintf(expected, sizeof(expected),
		 "corrupt record at byte offset %ld (checksum mismatch)", block);
	assert_string_equal(err, expected);

	write_version(3, 0); /* plain records in a version 3 file read too */
	assert_int_equal(read_path(&d, note, err), 0);
	assert_int_equal(d.n, 1);
	document_free(&d);
	write_version(3, REC_COMPRESSED); /* its payload is JSON, not deflate */
	assert_int_equal(read_path(&d, note, err), -1);
	assert_non_null(strstr(err, "invalid compressed data"));
	write_version(2, REC_COMPRESSED); /* version 2 knew no type 8: skipped */
	assert_int_equal(read_path(&d, note, err), 0);
	document_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(cut_at_every_byte),
		cmocka_unit_test(flipped_byte_is_an_error_with_offset),
		cmocka_unit_test(foreign_and_future_files),
		cmocka_unit_test(binary_ledger_round_trip),
		cmocka_unit_test(older_files_and_newer_records),
		cmocka_unit_test(binary_ledger_carries_argv),
		cmocka_unit_test(binary_ledger_carries_oom_killed),
		cmocka_unit_test(mistaken_files_say_what_they_are),
		cmocka_unit_test(samples_round_trip),
		cmocka_unit_test(bad_sample_batches_are_errors),
		cmocka_unit_test(compressed_round_trip_and_cuts),
		cmocka_unit_test(compressed_block_errors),
	};
	int fd = mkstemp(path);

	close(fd);
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
