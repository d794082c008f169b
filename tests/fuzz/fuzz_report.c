// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the report path: a hostile recording goes through the reader
 * (recording.c, out_json.c's parsers), then every report (document.c grouping and sorting,
 * tree.c, out_text.c, out_csv.c, out_json.c). It must never crash, leak or hang, and every
 * rejection must be one line naming where the file went wrong.
 *
 * Half of the inputs (even lengths) get their record checksums repaired before reading, so
 * that mutated payloads reach the JSON parser instead of stopping at the CRC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "ledger_json.h"
#include "out.h"
#include "recording.h"

#define FILE_HEADER_LEN 16

static uint32_t get_u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void repair_checksums(uint8_t *data, size_t size)
{
	size_t off = FILE_HEADER_LEN;

	while (off + 8 <= size) {
		uint32_t len = get_u32(data + off);
		uint32_t crc;

		if (len > size - off - 8 || size - off - 8 - len < 4)
			return;
		crc = (uint32_t)crc32(0L, data + off, 8 + len);
		memcpy(data + off + 8 + len, &crc, 4); /* little-endian host */
		off += 8 + len + 4;
	}
}

/*
 * One line, and it says where: a byte offset, or which format version; or, for a file that is
 * no recording at all (empty, a JSON document), what it is.
 */
static void check_message(const char *msg, bool error)
{
	if (!*msg || strchr(msg, '\n'))
		abort();
	if (error && !strstr(msg, "byte offset") && !strstr(msg, "format version") &&
	    !strstr(msg, "not a memreap recording") && strcmp(msg, "out of memory"))
		abort();
}

static void report_everything(struct document *d, size_t seed)
{
	static FILE *sink;
	struct report_opts o = { 0 };
	int nsorts = 0;

	if (!sink)
		sink = fopen("/dev/null", "w");
	while (sort_fields[nsorts])
		nsorts++;
	o.sort = (int)(seed % (size_t)nsorts);
	o.ascending = seed & 1;
	o.top = (long)(seed % 3);
	o.min_peak = seed & 2 ? 4096 : 0;
	o.sorted = seed & 4;
	for (int by = BY_LEDGER; by <= BY_TREE; by++) {
		o.by = by;
		out_text_report(sink, d, &o);
		out_csv(sink, d, &o);
		out_json_report(sink, d, &o);
	}
	out_trace(sink, d, &o);
	out_text_run_summary(sink, d, d->n ? d->ledgers[0].pid : 0, &o);
	sort_ledgers(d->ledgers, d->n, o.sort, o.ascending);
	out_json(sink, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char note[256], err[256];
	struct document d;
	uint8_t *copy = malloc(size + 1);
	FILE *in;
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size % 2 == 0)
		repair_checksums(copy, size);
	in = size ? fmemopen(copy, size, "rb") : fopen("/dev/null", "rb");
	if (!in) {
		free(copy);
		return 0;
	}
	rc = rec_read(in, &d, note, sizeof(note), err, sizeof(err));
	fclose(in);
	free(copy);
	if (rc < 0) {
		check_message(err, true);
		return 0;
	}
	if (rc > 0)
		check_message(note, false);
	report_everything(&d, size);
	document_free(&d);
	return 0;
}
