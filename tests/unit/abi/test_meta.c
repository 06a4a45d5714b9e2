// SPDX-License-Identifier: GPL-2.0-only
/* abi/meta.c: the metadata reader accepts what abi.h describes and nothing else, and never
 * reads outside the bytes it is given (ASan and the sanitizer build check that). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <string.h>

#include "metabuf.h"
#include "sluice/meta.h"

static const struct metabuf_rule rules[] = {
    {"t", "tcp dport 22 counter accept", 3, 5, 0},
    {"t", "udp dport 53 accept", 4, 5, SLUICE_NO_COUNTER},
    {"c", "ip saddr 10.0.0.0/8 counter drop", 9, 2, 1},
};

static struct sluice_meta_header *hdr(struct metabuf *b)
{
	return (struct sluice_meta_header *)b->data;
}

static int parse(struct metabuf *b, char *why)
{
	struct sl_meta *m = NULL;
	int err = sl_meta_parse(b->data, b->size, &m, why, 160);

	sl_meta_free(m);
	return err;
}

static void test_valid(void **state)
{
	struct metabuf b = {0};
	struct sl_meta *m = NULL;
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, why, sizeof(why)), 0);
	assert_int_equal(m->hdr.nrules, 3);
	assert_string_equal(sl_meta_str(m, m->tables[0].name_str), "t");
	assert_string_equal(sl_meta_str(m, m->rules[2].text_str),
			    "ip saddr 10.0.0.0/8 counter drop");
	assert_string_equal(sl_meta_str(m, m->rules[2].chain_str), "c");
	assert_int_equal(m->rules[2].line, 9);
	assert_int_equal(m->rules[1].counter_slot, SLUICE_NO_COUNTER);
	assert_string_equal(sl_meta_str(m, m->hdr.counter_map_str), SLUICE_COUNTER_MAP);
	assert_string_equal(sl_meta_str(m, 100000), "");
	sl_meta_free(m);
}

/* A newer writer with longer records: the known prefix of each record is read. */
static void test_longer_records(void **state)
{
	struct metabuf b = {.extra_table = 8, .extra_rule = 16};
	struct sl_meta *m = NULL;
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, why, sizeof(why)), 0);
	assert_string_equal(sl_meta_str(m, m->rules[1].text_str), "udp dport 53 accept");
	assert_string_equal(sl_meta_str(m, m->tables[0].prog_str), "prog");
	sl_meta_free(m);
}

static void test_header_damage(void **state)
{
	static const struct {
		size_t off;
		uint32_t value;
		const char *why;
	} cases[] = {
	    {offsetof(struct sluice_meta_header, magic), 0x12345678, "bad magic"},
	    {offsetof(struct sluice_meta_header, version), 3, "version 3"},
	    {offsetof(struct sluice_meta_header, header_size), 8, "record sizes"},
	    {offsetof(struct sluice_meta_header, rule_size), 4, "record sizes"},
	    {offsetof(struct sluice_meta_header, ntables), 0, "no tables"},
	    {offsetof(struct sluice_meta_header, ntables), 0x40000000, "extend past"},
	    {offsetof(struct sluice_meta_header, nrules), 0xffffffff, "extend past"},
	    {offsetof(struct sluice_meta_header, strings_off), 0xfffffff0, "extend past"},
	    {offsetof(struct sluice_meta_header, strings_size), 0, "NUL"},
	    {offsetof(struct sluice_meta_header, policy_name_str), 5000, "out of range"},
	    {offsetof(struct sluice_meta_header, ncounters), 1, "counter slot 1 of 1"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct metabuf b = {0};
		char why[160] = "";

		metabuf_build(&b, rules, 3, 2);
		memcpy(b.data + cases[i].off, &cases[i].value, 4);
		assert_int_equal(parse(&b, why), -EINVAL);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, why, cases[i].why);
	}
}

static void test_record_damage(void **state)
{
	struct metabuf b = {0};
	char why[160];
	struct sluice_meta_rule *r;
	struct sluice_meta_table *t;

	metabuf_build(&b, rules, 3, 2);
	r = (struct sluice_meta_rule *)(b.data + hdr(&b)->rules_off);
	r[1].id = 7;
	assert_int_equal(parse(&b, why), -EINVAL);
	assert_non_null(strstr(why, "rule 1 has id 7"));

	metabuf_build(&b, rules, 3, 2);
	r[2].text_str = hdr(&b)->strings_size;
	assert_int_equal(parse(&b, why), -EINVAL);

	metabuf_build(&b, rules, 3, 2);
	t = (struct sluice_meta_table *)(b.data + hdr(&b)->tables_off);
	t->hook = 5;
	assert_int_equal(parse(&b, why), -EINVAL);
	assert_non_null(strstr(why, "unknown hook"));

	metabuf_build(&b, rules, 3, 2);
	b.data[b.size - 1] = 'x'; /* last string not terminated */
	assert_int_equal(parse(&b, why), -EINVAL);
}

/* Every truncation and every single-byte change: never a crash (ASan), never a wrong accept of a
 * truncation. */
static void test_truncate_and_flip(void **state)
{
	struct metabuf b = {0};
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	for (size_t len = 0; len < b.size; len++) {
		struct sl_meta *m = NULL;
		/* A heap copy of exactly len bytes, so ASan sees any read past it. */
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, b.data, len);
		assert_int_equal(sl_meta_parse(copy, len, &m, why, sizeof(why)), -EINVAL);
		free(copy);
	}
	for (size_t i = 0; i < b.size; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct metabuf c = b;
			struct sl_meta *m = NULL;
			uint8_t *copy = malloc(c.size);

			c.data[i] ^= 1u << bit;
			memcpy(copy, c.data, c.size);
			if (!sl_meta_parse(copy, c.size, &m, why, sizeof(why))) {
				for (uint32_t r = 0; r < m->hdr.nrules; r++)
					(void)strlen(sl_meta_str(m, m->rules[r].text_str));
				sl_meta_free(m);
			}
			free(copy);
		}
	}
}

/* Every offset field of the header, tables and rules, set to each boundary value. */
static void test_every_offset(void **state)
{
	static const size_t hdr_fields[] = {
	    offsetof(struct sluice_meta_header, header_size),
	    offsetof(struct sluice_meta_header, table_size),
	    offsetof(struct sluice_meta_header, rule_size),
	    offsetof(struct sluice_meta_header, ntables),
	    offsetof(struct sluice_meta_header, nrules),
	    offsetof(struct sluice_meta_header, tables_off),
	    offsetof(struct sluice_meta_header, rules_off),
	    offsetof(struct sluice_meta_header, strings_off),
	    offsetof(struct sluice_meta_header, strings_size),
	    offsetof(struct sluice_meta_header, policy_name_str),
	    offsetof(struct sluice_meta_header, compiler_str),
	    offsetof(struct sluice_meta_header, counter_map_str),
	    offsetof(struct sluice_meta_header, ncounters),
	};
	static const uint32_t values[] = {0,	      1,	  4,	      31,	 32,
					  0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff};
	struct metabuf b = {0};
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	for (size_t f = 0; f < sizeof(hdr_fields) / sizeof(hdr_fields[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			struct metabuf c = b;
			struct sl_meta *m = NULL;
			uint8_t *copy = malloc(c.size);

			memcpy(c.data + hdr_fields[f], &values[v], 4);
			memcpy(copy, c.data, c.size);
			if (!sl_meta_parse(copy, c.size, &m, why, sizeof(why))) {
				/* accepted: everything it hands out must lie inside the section */
				for (uint32_t r = 0; r < m->hdr.nrules; r++)
					(void)strlen(sl_meta_str(m, m->rules[r].text_str));
				(void)strlen(sl_meta_str(m, m->hdr.compiler_str));
				sl_meta_free(m);
			} else {
				assert_null(m);
			}
			free(copy);
		}
	}
	/* every 32-bit field of the table and rule records */
	for (size_t off = hdr(&b)->tables_off; off + 4 <= hdr(&b)->strings_off; off += 4) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			struct metabuf c = b;
			struct sl_meta *m = NULL;
			uint8_t *copy = malloc(c.size);

			memcpy(c.data + off, &values[v], 4);
			memcpy(copy, c.data, c.size);
			if (!sl_meta_parse(copy, c.size, &m, why, sizeof(why))) {
				for (uint32_t r = 0; r < m->hdr.nrules; r++) {
					(void)strlen(sl_meta_str(m, m->rules[r].text_str));
					(void)strlen(sl_meta_str(m, m->rules[r].chain_str));
				}
				(void)strlen(sl_meta_str(m, m->tables[0].name_str));
				sl_meta_free(m);
			}
			free(copy);
		}
	}
}

/* Version 1 sections (objects without sets) have the short header and no sets. */
static void test_version1(void **state)
{
	struct metabuf b = {.v1 = 1};
	struct sl_meta *m = NULL;
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, why, sizeof(why)), 0);
	assert_int_equal(m->hdr.nsets, 0);
	assert_null(sl_meta_set_find(m, "blocklist"));
	assert_string_equal(sl_meta_str(m, m->rules[2].text_str),
			    "ip saddr 10.0.0.0/8 counter drop");
	sl_meta_free(m);
}

static void test_sets(void **state)
{
	struct metabuf b = {.with_set = 1};
	struct sluice_set_value v;
	const struct sluice_meta_set *s;
	struct sl_meta *m = NULL;
	const uint8_t *key;
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, why, sizeof(why)), 0);
	assert_int_equal(m->hdr.nsets, 1);
	s = sl_meta_set_find(m, "blocklist");
	assert_non_null(s);
	assert_null(sl_meta_set_find(m, "block"));
	assert_string_equal(sl_meta_str(m, s->map_str), "sls_blocklist");
	assert_int_equal(s->nelems, 2);
	key = sl_meta_set_key(m, s, 0, &v);
	assert_memory_equal(key, ((uint8_t[]){24, 0, 0, 0, 192, 0, 2, 0}), 8);
	assert_int_equal(v.expires_ns, 0);
	key = sl_meta_set_key(m, s, 1, &v);
	assert_int_equal(key[4], 10);
	assert_int_equal(v.expires_ns, 5000000000ull);
	sl_meta_free(m);
}

static void test_set_damage(void **state)
{
	static const struct {
		size_t off;
		uint32_t value;
		const char *why;
	} cases[] = {
	    {offsetof(struct sluice_meta_set, name_str), 9999, "string offset"},
	    {offsetof(struct sluice_meta_set, map_str), 0, "map name"},
	    {offsetof(struct sluice_meta_set, nfields), 5, "1 to 4 fields"},
	    {offsetof(struct sluice_meta_set, types), 7, "unknown set element type"},
	    {offsetof(struct sluice_meta_set, flags), 0, "key size"},
	    {offsetof(struct sluice_meta_set, flags), 8, "unknown set flags"},
	    {offsetof(struct sluice_meta_set, key_size), 9, "key size"},
	    {offsetof(struct sluice_meta_set, range_field), 1, "range field"},
	    {offsetof(struct sluice_meta_set, size), 1, "2 elements for a size of 1"},
	    {offsetof(struct sluice_meta_set, size), 0, "size of 0"},
	    {offsetof(struct sluice_meta_set, nelems), 0x10000000, "elements for a size"},
	    {offsetof(struct sluice_meta_set, elems_off), 0xfffffff0, "extend past"},
	};
	struct metabuf b = {.with_set = 1};
	char why[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		metabuf_build(&b, rules, 3, 2);
		memcpy(b.data + hdr(&b)->sets_off + cases[i].off, &cases[i].value, 4);
		assert_int_equal(parse(&b, why), -EINVAL);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, why, cases[i].why);
	}
	/* An element key with a host bit past its prefix length. */
	metabuf_build(&b, rules, 3, 2);
	b.data[hdr(&b)->sets_off + sizeof(struct sluice_meta_set) + 7] = 1;
	assert_int_equal(parse(&b, why), -EINVAL);
	assert_non_null(strstr(why, "element 0"));
	/* The set table past the end, and records shorter than this reader's. */
	metabuf_build(&b, rules, 3, 2);
	hdr(&b)->set_size = 8;
	assert_int_equal(parse(&b, why), -EINVAL);
	metabuf_build(&b, rules, 3, 2);
	hdr(&b)->nsets = 0x7fffffff;
	assert_int_equal(parse(&b, why), -EINVAL);
	/* A version 1 header cannot carry sets: they are ignored, not read. */
	metabuf_build(&b, rules, 3, 2);
	hdr(&b)->version = SLUICE_META_VERSION_1;
	{
		struct sl_meta *m = NULL;

		if (!sl_meta_parse(b.data, b.size, &m, why, sizeof(why)))
			assert_int_equal(m->hdr.nsets, 0);
		sl_meta_free(m);
	}
}

/* Every truncation and bit flip of a section with a set: no crash, no read outside it. */
static void test_set_flip(void **state)
{
	struct metabuf b = {.with_set = 1};
	char why[160];

	metabuf_build(&b, rules, 3, 2);
	for (size_t len = 0; len < b.size; len++) {
		struct sl_meta *m = NULL;
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, b.data, len);
		assert_int_equal(sl_meta_parse(copy, len, &m, why, sizeof(why)), -EINVAL);
		free(copy);
	}
	for (size_t i = hdr(&b)->sets_off; i < hdr(&b)->strings_off; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct metabuf c = b;
			struct sl_meta *m = NULL;
			uint8_t *copy = malloc(c.size);

			c.data[i] ^= 1u << bit;
			memcpy(copy, c.data, c.size);
			if (!sl_meta_parse(copy, c.size, &m, why, sizeof(why))) {
				for (uint32_t s = 0; s < m->hdr.nsets; s++)
					for (uint32_t k = 0; k < m->sets[s].nelems; k++)
						(void)sl_meta_set_key(m, &m->sets[s], k, NULL);
				sl_meta_free(m);
			}
			free(copy);
		}
	}
}

/* Counts whose product with the record size overflows 32 bits must not wrap into range. */
static void test_count_overflow(void **state)
{
	struct metabuf b = {0};
	char why[160];
	uint32_t n;

	metabuf_build(&b, rules, 3, 2);
	n = 0x80000001u; /* n * 32 wraps to 32 in 32-bit arithmetic */
	memcpy(b.data + offsetof(struct sluice_meta_header, nrules), &n, 4);
	assert_int_equal(parse(&b, why), -EINVAL);
	assert_non_null(strstr(why, "extend past"));

	metabuf_build(&b, rules, 3, 2);
	n = 0x08000001u; /* with table_size 32: 2^32 + 32 */
	memcpy(b.data + offsetof(struct sluice_meta_header, ntables), &n, 4);
	assert_int_equal(parse(&b, why), -EINVAL);
}

/* The section may sit at any address (ELF sections need not be aligned for us). */
static void test_unaligned(void **state)
{
	struct metabuf b = {0};
	char why[160];
	uint8_t *buf;

	metabuf_build(&b, rules, 3, 2);
	buf = malloc(b.size + 1);
	memcpy(buf + 1, b.data, b.size);
	for (int i = 0; i < 2; i++) {
		struct sl_meta *m = NULL;

		assert_int_equal(sl_meta_parse(buf + 1, b.size, &m, why, sizeof(why)), 0);
		assert_string_equal(sl_meta_str(m, m->rules[2].text_str),
				    "ip saddr 10.0.0.0/8 counter drop");
		sl_meta_free(m);
	}
	free(buf);
}

/* No room for the reason: still refused, nothing written. */
static void test_no_reason_buffer(void **state)
{
	struct metabuf b = {0};
	struct sl_meta *m = NULL;

	metabuf_build(&b, rules, 3, 2);
	b.data[0] ^= 1;
	assert_int_equal(sl_meta_parse(b.data, b.size, &m, NULL, 0), -EINVAL);
	assert_null(m);
}

static void test_hash_hex(void **state)
{
	uint8_t hash[32];
	char hex[65];

	for (int i = 0; i < 32; i++)
		hash[i] = (uint8_t)(i * 17 + 10);
	sl_meta_hash_hex(hash, hex);
	assert_int_equal(strlen(hex), 64);
	assert_memory_equal(hex, "0a1b2c3d", 8);
	assert_string_equal(hex + 56, "e6f70819"); /* (28..31 * 17 + 10) mod 256 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_longer_records),
	    cmocka_unit_test(test_header_damage),
	    cmocka_unit_test(test_record_damage),
	    cmocka_unit_test(test_truncate_and_flip),
	    cmocka_unit_test(test_every_offset),
	    cmocka_unit_test(test_count_overflow),
	    cmocka_unit_test(test_version1),
	    cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_set_damage),
	    cmocka_unit_test(test_set_flip),
	    cmocka_unit_test(test_unaligned),
	    cmocka_unit_test(test_no_reason_buffer),
	    cmocka_unit_test(test_hash_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
