// SPDX-License-Identifier: GPL-2.0-only
/* abi/set_key.c: the key layouts abi.h promises, the minimal prefix decomposition of ranges
 * (checked against brute force), the errors, and key -> element round trips. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <string.h>

#include "sluice/set_key.h"

struct collect {
	uint8_t keys[SL_SET_MAX_KEYS_PER_ELEM][SLUICE_SET_MAX_KEY];
	int n;
	size_t key_size;
};

static int collect(const uint8_t *key, void *ctx)
{
	struct collect *c = ctx;

	memcpy(c->keys[c->n++], key, c->key_size);
	return 0;
}

static void desc(struct sl_set_desc *d, uint32_t flags, int n, ...)
{
	uint32_t t[4];
	const char *why = NULL;
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		t[i] = va_arg(ap, uint32_t);
	va_end(ap);
	assert_int_equal(sl_set_desc_init(d, t, n, flags, &why), 0);
}

static uint32_t plen_of(const uint8_t *key)
{
	uint32_t p;

	memcpy(&p, key, 4);
	return p;
}

static void test_types(void **state)
{
	assert_int_equal(sl_set_type_size(SLUICE_SET_T_IPV4_ADDR), 4);
	assert_int_equal(sl_set_type_size(SLUICE_SET_T_IPV6_ADDR), 16);
	assert_int_equal(sl_set_type_size(SLUICE_SET_T_ETHER_ADDR), 6);
	assert_int_equal(sl_set_type_size(SLUICE_SET_T_INET_PROTO), 1);
	assert_int_equal(sl_set_type_size(SLUICE_SET_T_INET_SERVICE), 2);
	assert_int_equal(sl_set_type_size(0), 0);
	assert_int_equal(sl_set_type_size(99), 0);
	for (uint32_t t = 1; t <= 5; t++)
		assert_int_equal(sl_set_type_from_name(sl_set_type_name(t)), t);
	assert_int_equal(sl_set_type_from_name("ipv4_address"), SLUICE_SET_T_NONE);
	assert_null(sl_set_type_name(6));
}

static void test_desc(void **state)
{
	struct sl_set_desc d;
	uint32_t t[5] = {1, 1, 1, 1, 1}, bad = 9;
	const char *why = NULL;

	desc(&d, 0, 2, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE);
	assert_int_equal(d.key_size, 6);
	assert_int_equal(d.off[1], 4);
	desc(&d, SLUICE_SET_F_INTERVAL, 2, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE);
	assert_int_equal(d.key_size, 10);
	assert_int_equal(d.range_field, 1);
	assert_int_equal(d.data_bits, 48);
	desc(&d, SLUICE_SET_F_INTERVAL | SLUICE_SET_F_TIMEOUT, 1, SLUICE_SET_T_IPV6_ADDR);
	assert_int_equal(d.key_size, 20);
	assert_int_equal(sl_set_desc_init(&d, t, 5, 0, &why), -EINVAL);
	assert_int_equal(sl_set_desc_init(&d, t, 0, 0, &why), -EINVAL);
	assert_int_equal(sl_set_desc_init(&d, &bad, 1, 0, &why), -EINVAL);
	assert_int_equal(sl_set_desc_init(&d, t, 1, 0x10, &why), -EINVAL);
}

/* Hash keys: the fields in declared order, network order, no padding. */
static void test_hash_key(void **state)
{
	static const uint8_t addr[4] = {192, 0, 2, 7}, port[2] = {0x01, 0xbb}, proto = 6;
	static const uint8_t want[] = {192, 0, 2, 7, 6, 0x01, 0xbb};
	struct collect c = {.key_size = 7};
	struct sl_set_desc d;
	struct sl_set_elem e = {0}, back;
	const char *why = NULL;

	desc(&d, 0, 3, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_PROTO, SLUICE_SET_T_INET_SERVICE);
	sl_set_field_value(&d, &e, 0, addr);
	sl_set_field_value(&d, &e, 1, &proto);
	sl_set_field_value(&d, &e, 2, port);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	assert_int_equal(c.n, 1);
	assert_memory_equal(c.keys[0], want, sizeof(want));
	assert_int_equal(sl_set_key_decode(&d, c.keys[0], &back, &why), 0);
	assert_memory_equal(&back, &e, sizeof(e));

	/* A prefix in a set without flags interval. */
	assert_int_equal(sl_set_field_prefix(&d, &e, 0, addr, 24), 0);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), -EINVAL);
	assert_non_null(strstr(why, "flags interval"));
}

/* LPM keys: prefixlen, then the single fields, the ranged field last. */
static void test_lpm_prefix(void **state)
{
	static const uint8_t net[4] = {10, 1, 2, 3};
	struct collect c = {.key_size = 8};
	struct sl_set_desc d;
	struct sl_set_elem e = {0}, back;
	const char *why = NULL;

	desc(&d, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_IPV4_ADDR);
	assert_int_equal(sl_set_field_prefix(&d, &e, 0, net, 16), 0);
	assert_int_equal(sl_set_field_plen(&d, &e, 0), 16);
	assert_int_equal(sl_set_elem_nkeys(&d, &e, &why), 1);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(plen_of(c.keys[0]), 16);
	assert_memory_equal(c.keys[0] + 4, ((uint8_t[]){10, 1, 0, 0}), 4);
	assert_int_equal(sl_set_key_decode(&d, c.keys[0], &back, &why), 0);
	assert_memory_equal(back.f[0].lo, ((uint8_t[]){10, 1, 0, 0}), 4);
	assert_memory_equal(back.f[0].hi, ((uint8_t[]){10, 1, 255, 255}), 4);

	/* A single address is a /32; /0 is everything. */
	sl_set_field_value(&d, &e, 0, net);
	c.n = 0;
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	assert_int_equal(plen_of(c.keys[0]), 32);
	assert_int_equal(sl_set_field_prefix(&d, &e, 0, net, 0), 0);
	assert_int_equal(sl_set_field_plen(&d, &e, 0), 0);
	assert_int_equal(sl_set_field_prefix(&d, &e, 0, net, 33), -EINVAL);
}

/* Ports 1000-2000 in an interval set: the minimal prefixes, ascending, covering the range. */
static void test_port_range(void **state)
{
	static const uint8_t lo[2] = {0x03, 0xe8}, hi[2] = {0x07, 0xd0};
	struct collect c = {.key_size = 6};
	struct sl_set_desc d;
	struct sl_set_elem e = {0};
	const char *why = NULL;
	uint32_t next = 1000;

	desc(&d, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_INET_SERVICE);
	assert_int_equal(sl_set_field_range(&d, &e, 0, hi, lo), -EINVAL);
	assert_int_equal(sl_set_field_range(&d, &e, 0, lo, hi), 0);
	assert_int_equal(sl_set_field_plen(&d, &e, 0), -1);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	/* 1000/13 1008/12 1024/7 1536/8 1792/9 1920/10 1984/12 2000/16 */
	assert_int_equal(c.n, 8);
	for (int i = 0; i < c.n; i++) {
		uint32_t p = plen_of(c.keys[i]), v = c.keys[i][4] << 8 | c.keys[i][5];

		assert_int_equal(v, next);
		assert_int_equal(v & ((1u << (16 - p)) - 1), 0);
		next = v + (1u << (16 - p));
	}
	assert_int_equal(next, 2001);
}

/* Every range over 8 bits decomposes into aligned blocks that tile it, and no fewer exist. */
static void test_all_byte_ranges(void **state)
{
	struct collect c = {.key_size = 5};
	struct sl_set_desc d;
	const char *why = NULL;

	desc(&d, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_INET_PROTO);
	for (unsigned lo = 0; lo < 256; lo++) {
		for (unsigned hi = lo; hi < 256; hi++) {
			uint8_t l = lo, h = hi;
			struct sl_set_elem e = {0};
			unsigned next = lo, greedy = 0, x = lo;

			assert_int_equal(sl_set_field_range(&d, &e, 0, &l, &h), 0);
			c.n = 0;
			assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
			for (int i = 0; i < c.n; i++) {
				unsigned p = plen_of(c.keys[i]), size = 1u << (8 - p);

				assert_int_equal(c.keys[i][4], next);
				assert_int_equal(next % size, 0);
				next += size;
			}
			assert_int_equal(next, hi + 1);
			/* The greedy count is minimal for prefix covers; recount independently. */
			while (x <= hi) {
				unsigned s = 1;

				while (x % (s * 2) == 0 && x + s * 2 - 1 <= hi && s < 256)
					s *= 2;
				x += s;
				greedy++;
			}
			assert_int_equal(c.n, greedy);
			assert_int_equal(sl_set_elem_nkeys(&d, &e, &why), c.n);
		}
	}
}

/* The full IPv6 range and its near-full neighbours: no overflow at 2^128. */
static void test_ipv6_extremes(void **state)
{
	uint8_t lo[16] = {0}, hi[16];
	struct collect c = {.key_size = 20};
	struct sl_set_desc d;
	struct sl_set_elem e = {0};
	const char *why = NULL;

	memset(hi, 0xff, 16);
	desc(&d, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_IPV6_ADDR);
	assert_int_equal(sl_set_field_range(&d, &e, 0, lo, hi), 0);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(plen_of(c.keys[0]), 0);
	lo[15] = 1; /* ::1 - ffff...: 128 prefixes */
	assert_int_equal(sl_set_field_range(&d, &e, 0, lo, hi), 0);
	c.n = 0;
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	assert_int_equal(c.n, 128);
	hi[15] = 0xfe; /* ::1 - ffff...fe: the worst case, 2*128-2 */
	assert_int_equal(sl_set_field_range(&d, &e, 0, lo, hi), 0);
	assert_int_equal(sl_set_elem_nkeys(&d, &e, &why), 254);
}

/* Concatenation with a ranged last field: the single fields lead, the prefixlen covers them. */
static void test_concat_interval(void **state)
{
	static const uint8_t addr[4] = {198, 51, 100, 7}, p1[2] = {0, 80}, p2[2] = {0, 81};
	struct collect c = {.key_size = 10};
	struct sl_set_desc d;
	struct sl_set_elem e = {0}, back;
	const char *why = NULL;

	desc(&d, SLUICE_SET_F_INTERVAL, 2, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE);
	sl_set_field_value(&d, &e, 0, addr);
	assert_int_equal(sl_set_field_range(&d, &e, 1, p1, p2), 0);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(plen_of(c.keys[0]), 32 + 15);
	assert_memory_equal(c.keys[0] + 4, ((uint8_t[]){198, 51, 100, 7, 0, 80}), 6);
	assert_int_equal(sl_set_key_decode(&d, c.keys[0], &back, &why), 0);
	assert_memory_equal(&back, &e, sizeof(e));

	/* Single values everywhere: one full-length key. */
	sl_set_field_value(&d, &e, 1, p1);
	assert_int_equal(sl_set_elem_nkeys(&d, &e, &why), 1);

	/* A prefix in the first field: not the ranged one. */
	assert_int_equal(sl_set_field_prefix(&d, &e, 0, addr, 24), 0);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), -EINVAL);
	assert_non_null(strstr(why, "last field"));
	/* Two ranges. */
	assert_int_equal(sl_set_field_range(&d, &e, 1, p1, p2), 0);
	assert_int_equal(sl_set_elem_keys(&d, &e, collect, &c, &why), -EINVAL);
	assert_non_null(strstr(why, "only one field"));
}

static int stop_at_two(const uint8_t *key, void *ctx)
{
	(void)key;
	return ++*(int *)ctx == 2 ? -ENOSPC : 0;
}

static void test_callback_stops(void **state)
{
	static const uint8_t lo[2] = {0, 1}, hi[2] = {0xff, 0xff};
	struct sl_set_desc d;
	struct sl_set_elem e = {0};
	const char *why = NULL;
	int n = 0;

	desc(&d, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_INET_SERVICE);
	assert_int_equal(sl_set_field_range(&d, &e, 0, lo, hi), 0);
	assert_int_equal(sl_set_elem_keys(&d, &e, stop_at_two, &n, &why), -ENOSPC);
	assert_int_equal(n, 2);
}

/* Keys no encoder makes are refused when decoding (the loader lists what the kernel holds). */
static void test_decode_bad(void **state)
{
	struct sl_set_desc d;
	struct sl_set_elem e;
	const char *why = NULL;
	uint8_t key[10] = {0};
	uint32_t p;

	desc(&d, SLUICE_SET_F_INTERVAL, 2, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE);
	p = 31; /* shorter than the address */
	memcpy(key, &p, 4);
	assert_int_equal(sl_set_key_decode(&d, key, &e, &why), -EINVAL);
	p = 49;
	memcpy(key, &p, 4);
	assert_int_equal(sl_set_key_decode(&d, key, &e, &why), -EINVAL);
	p = 40;
	memcpy(key, &p, 4);
	key[9] = 1; /* a host bit */
	assert_int_equal(sl_set_key_decode(&d, key, &e, &why), -EINVAL);
	assert_non_null(strstr(why, "past the prefix"));
	key[9] = 0;
	key[8] = 0x80;
	assert_int_equal(sl_set_key_decode(&d, key, &e, &why), 0);
	assert_int_equal(sl_set_field_plen(&d, &e, 1), 8);
}

static void test_from_meta(void **state)
{
	struct sluice_meta_set s = {.types = {SLUICE_SET_T_IPV6_ADDR, SLUICE_SET_T_INET_SERVICE},
				    .nfields = 2,
				    .flags = SLUICE_SET_F_INTERVAL,
				    .key_size = 22,
				    .range_field = 1};
	struct sl_set_desc d;
	const char *why = NULL;

	assert_int_equal(sl_set_desc_from_meta(&d, &s, &why), 0);
	s.key_size = 18;
	assert_int_equal(sl_set_desc_from_meta(&d, &s, &why), -EINVAL);
	s.key_size = 22;
	s.range_field = 0;
	assert_int_equal(sl_set_desc_from_meta(&d, &s, &why), -EINVAL);
	s.nfields = 5;
	assert_int_equal(sl_set_desc_from_meta(&d, &s, &why), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types),	   cmocka_unit_test(test_desc),
	    cmocka_unit_test(test_hash_key),	   cmocka_unit_test(test_lpm_prefix),
	    cmocka_unit_test(test_port_range),	   cmocka_unit_test(test_all_byte_ranges),
	    cmocka_unit_test(test_ipv6_extremes),  cmocka_unit_test(test_concat_interval),
	    cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_decode_bad),
	    cmocka_unit_test(test_from_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
