/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small strict JSON reader (RFC 8259) for `nft -j` output: a tree of
 * values, each with the line and column where it starts. Strict: no
 * comments, no trailing commas, no leading zeros, no duplicate keys, valid
 * UTF-8 and escapes only, no NUL in strings (\u0000), at most 64 levels.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sl_json_type {
	SL_JSON_NULL,
	SL_JSON_BOOL,
	SL_JSON_NUMBER,
	SL_JSON_STRING,
	SL_JSON_ARRAY,
	SL_JSON_OBJECT,
};

struct sl_json {
	enum sl_json_type type;
	uint32_t line, col; /* where the value starts, 1-based (col in bytes) */
	uint32_t len;	    /* bytes of a scalar's text (for a caret); 1 for arrays, objects */
	bool b;
	char *s;	    /* a string (decoded) or a number's text */
	size_t n;	    /* elements of an array, members of an object */
	struct sl_json **v; /* elements, or members' values */
	char **k;	    /* members' keys */
};

#define SL_JSON_MAX_DEPTH 64

/*
 * Parse `len` bytes. Returns 0 and the tree in *out, or -EINVAL with *line, *col
 * and a message in err, or -ENOMEM.
 */
int sl_json_parse(const char *text, size_t len, struct sl_json **out, uint32_t *line, uint32_t *col,
		  char *err, size_t errlen);
void sl_json_free(struct sl_json *j);

/* A member of an object, NULL when j is no object or has none of that name. */
const struct sl_json *sl_json_get(const struct sl_json *j, const char *key);
/* Is j an integer that fits in int64 (stored in *v)? */
bool sl_json_int(const struct sl_json *j, int64_t *v);
