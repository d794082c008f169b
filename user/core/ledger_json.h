/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memreap/v1 contract in JSON: ledgers, document metadata and health to json-c objects and
 * back, as `run --json`, `report --format json` and recordings use them. Readers name the field
 * that is missing or of the wrong type.
 */
#ifndef MR_LEDGER_JSON_H
#define MR_LEDGER_JSON_H

#include <json-c/json.h>
#include "document.h"

json_object *ledger_to_json(const struct ledger *l);
/*
 * Adds name (an X_ns field: nanoseconds since the epoch) and its sibling X_utc (the same instant
 * as RFC 3339 UTC with nine digits, exact where a JSON number above 2^53 is not); both null
 * when !known.
 */
void json_add_time(json_object *o, const char *name, uint64_t ns, bool known);
int ledger_from_json(json_object *o, struct ledger *l, char *err, size_t errlen);
json_object *meta_to_json(const struct doc_meta *m);
int meta_from_json(json_object *o, struct doc_meta *m, char *err, size_t errlen);
json_object *health_to_json(const struct health *h);
int health_from_json(json_object *o, struct health *h, char *err, size_t errlen);
json_object *document_to_json(const struct document *d);
/* The same, with "ledgers" an empty array: for writers that add the ledgers one at a time. */
json_object *document_shell_to_json(const struct document *d);
/* A sum of ledgers (a group's, the totals): ledgers, peak_rss (the largest), categories, freed. */
json_object *sum_to_json(const struct ledger_sum *s);

#endif
