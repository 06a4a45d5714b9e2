// SPDX-License-Identifier: GPL-2.0-only
/* abi/set_text.c: element lines of named sets, their map keys and the text back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "sluice/set_text.h"

static struct sl_set_desc v4, v4i, v6i, v4port, v4porti, mac, proto;

static void desc(struct sl_set_desc *d, uint32_t flags, uint32_t n, uint32_t t0, uint32_t t1)
{
	uint32_t t[2] = {t0, t1};

	assert_int_equal(sl_set_desc_init(d, t, n, flags, NULL), 0);
}

static int setup(void **state)
{
	desc(&v4, 0, 1, SLUICE_SET_T_IPV4_ADDR, 0);
	desc(&v4i, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_IPV4_ADDR, 0);
	desc(&v6i, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_IPV6_ADDR, 0);
	desc(&v4port, 0, 2, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE);
	desc(&v4porti, SLUICE_SET_F_INTERVAL, 2, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE);
	desc(&mac, 0, 1, SLUICE_SET_T_ETHER_ADDR, 0);
	desc(&proto, SLUICE_SET_F_INTERVAL, 1, SLUICE_SET_T_INET_PROTO, 0);
	return 0;
}

static char why[200];

static int parse(const struct sl_set_desc *s, const char *line, struct sl_set_elem *e)
{
	uint64_t timeout;

	why[0] = '\0';
	return sl_set_text_parse(s, line, strlen(line), e, &timeout, why, sizeof(why));
}

/* Parses, then formats the element back. */
static const char *rtrip(const struct sl_set_desc *s, const char *line)
{
	static char buf[256];
	struct sl_set_elem e;

	if (parse(s, line, &e))
		return why;
	sl_set_text_format(s, &e, buf, sizeof(buf));
	return buf;
}

struct keys_ctx {
	const struct sl_set_desc *d;
	char *out;
	size_t o, len;
	int n;
};

static int key_text(const uint8_t *key, void *ctx)
{
	struct keys_ctx *c = ctx;
	struct sl_set_elem d;

	assert_int_equal(sl_set_key_decode(c->d, key, &d, NULL), 0);
	c->o += snprintf(c->out + c->o, c->len - c->o, "%s", c->n++ ? ", " : "");
	c->o += sl_set_text_format(c->d, &d, c->out + c->o, c->len - c->o);
	return 0;
}

/* The keys of a line, each formatted back (prefixes), joined by ", ". */
static const char *keys(const struct sl_set_desc *s, const char *line)
{
	static char out[2048];
	struct sl_set_elem e;
	struct keys_ctx c = {s, out, 0, sizeof(out), 0};
	const char *w = NULL;

	if (parse(s, line, &e))
		return why;
	out[0] = '\0';
	if (sl_set_elem_keys(s, &e, key_text, &c, &w))
		return w;
	return out;
}

static void test_ipv4(void **state)
{
	assert_string_equal(rtrip(&v4, "192.0.2.7"), "192.0.2.7");
	assert_string_equal(rtrip(&v4, "  192.0.2.7   # a comment"), "192.0.2.7");
	assert_string_equal(rtrip(&v4i, "192.0.2.0/24"), "192.0.2.0/24");
	assert_string_equal(rtrip(&v4i, "10.0.0.1-10.0.0.6"), "10.0.0.1-10.0.0.6");
	assert_string_equal(rtrip(&v4i, "10.0.0.1/32"), "10.0.0.1");
	assert_string_equal(rtrip(&v4i, "0.0.0.0/0"), "0.0.0.0/0");
	/* a /32 is one value: fine without `interval` */
	assert_string_equal(rtrip(&v4, "10.0.0.1/32"), "10.0.0.1");
}

static void test_errors(void **state)
{
	struct sl_set_elem e;

	assert_int_equal(parse(&v4, "192.0.2.0/24", &e), -EINVAL);
	assert_non_null(strstr(why, "no `flags interval`"));
	assert_int_equal(parse(&v4, "2001:db8::1", &e), -EINVAL);
	assert_non_null(strstr(why, "IPv6 address, but the set holds ipv4_addr"));
	assert_int_equal(parse(&v6i, "192.0.2.1", &e), -EINVAL);
	assert_non_null(strstr(why, "IPv4 address, but the set holds ipv6_addr"));
	assert_int_equal(parse(&v4, "192.0.2", &e), -EINVAL);
	assert_non_null(strstr(why, "not an IPv4 address"));
	assert_int_equal(parse(&v4i, "192.0.2.1/24", &e), -EINVAL);
	assert_non_null(strstr(why, "did you mean 192.0.2.0/24?"));
	assert_int_equal(parse(&v4i, "192.0.2.0/33", &e), -EINVAL);
	assert_non_null(strstr(why, "prefix length must be 0-32"));
	assert_int_equal(parse(&v4i, "10.0.0.9-10.0.0.1", &e), -EINVAL);
	assert_non_null(strstr(why, "above its last"));
	assert_int_equal(parse(&v4i, "10.0.0.1-bogus", &e), -EINVAL);
	assert_non_null(strstr(why, "'bogus' is not an IPv4 address"));
	assert_int_equal(parse(&v4, "10.0.0.1 10.0.0.2", &e), -EINVAL);
	assert_non_null(strstr(why, "unexpected '10.0.0.2'"));
	assert_int_equal(parse(&v4port, "10.0.0.1", &e), -EINVAL);
	assert_non_null(strstr(why, "1 of 2 values: the set holds ipv4_addr . inet_service"));
	assert_int_equal(parse(&v4port, "10.0.0.1 . 80 . 81", &e), -EINVAL);
	assert_non_null(strstr(why, "too many values"));
	assert_int_equal(parse(&v4port, "10.0.0.1 .", &e), -EINVAL);
	assert_non_null(strstr(why, "a value is missing"));
	assert_int_equal(parse(&v4, "10.0.0.1 timeout", &e), -EINVAL);
	assert_non_null(strstr(why, "needs a duration"));
	assert_int_equal(parse(&v4, "10.0.0.1 timeout 10x", &e), -EINVAL);
	assert_non_null(strstr(why, "not a duration"));
	assert_int_equal(parse(&v4, "10.0.0.1\x01", &e), -EINVAL);
	assert_non_null(strstr(why, "\\x01"));
	/* a line of only blanks and a comment is no element */
	assert_int_equal(parse(&v4, "   # nothing", &e), 1);
	assert_int_equal(parse(&v4, "", &e), 1);
}

static void test_concat(void **state)
{
	struct sl_set_elem e;

	assert_string_equal(rtrip(&v4port, "10.0.0.1 . 443"), "10.0.0.1 . 443");
	assert_string_equal(rtrip(&v4port, "10.0.0.1 . https"), "10.0.0.1 . 443");
	assert_string_equal(rtrip(&v4porti, "10.0.0.1 . 1000-2000"), "10.0.0.1 . 1000-2000");
	assert_int_equal(parse(&v4porti, "10.0.0.0/8 . 1000-2000", &e), -EINVAL);
	assert_non_null(strstr(why, "only one value"));
	/* the wide field of this set is the port: a prefix in the address is refused */
	assert_int_equal(parse(&v4porti, "10.0.0.0/8 . 80", &e), -EINVAL);
	assert_non_null(strstr(why, "only the last value of a concatenation may be a prefix or "
				    "range (here value 1 is)"));
	assert_string_equal(keys(&v4porti, "10.0.0.1 . 80-83"), "10.0.0.1 . 80-83");
	assert_string_equal(keys(&v4porti, "10.0.0.1 . 80-84"), "10.0.0.1 . 80-83, 10.0.0.1 . 84");
}

static void test_other_types(void **state)
{
	struct sl_set_elem e;

	assert_string_equal(rtrip(&mac, "02:00:5E:10:00:01"), "02:00:5e:10:00:01");
	assert_int_equal(parse(&mac, "02:00:5e:10:00", &e), -EINVAL);
	assert_non_null(strstr(why, "not a MAC address"));
	assert_string_equal(rtrip(&proto, "tcp"), "tcp");
	assert_string_equal(rtrip(&proto, "6"), "tcp");
	assert_string_equal(rtrip(&proto, "ipv6-route"), "ipv6-route");
	assert_string_equal(rtrip(&proto, "250"), "250");
	assert_string_equal(rtrip(&proto, "tcp-udp"), "tcp-udp");
	assert_int_equal(parse(&proto, "256", &e), -EINVAL);
	assert_non_null(strstr(why, "not a protocol"));
	assert_int_equal(parse(&proto, "6/4", &e), -EINVAL);
	assert_non_null(strstr(why, "has no prefixes"));
	assert_string_equal(rtrip(&v6i, "2001:db8::/32"), "2001:db8::/32");
	/* a range that is a prefix is written as one */
	assert_string_equal(rtrip(&v6i, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "::/0");
	assert_string_equal(rtrip(&v4i, "10.0.0.0-10.0.0.255"), "10.0.0.0/24");
}

static void test_keys(void **state)
{
	assert_string_equal(keys(&v4i, "10.0.0.1-10.0.0.6"),
			    "10.0.0.1, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6");
	assert_string_equal(keys(&v4i, "0.0.0.0-255.255.255.255"), "0.0.0.0/0");
	assert_string_equal(keys(&v4i, "0.0.0.1-255.255.255.255"),
			    "0.0.0.1, 0.0.0.2/31, 0.0.0.4/30, 0.0.0.8/29, 0.0.0.16/28, "
			    "0.0.0.32/27, 0.0.0.64/26, 0.0.0.128/25, 0.0.1.0/24, 0.0.2.0/23, "
			    "0.0.4.0/22, 0.0.8.0/21, 0.0.16.0/20, 0.0.32.0/19, 0.0.64.0/18, "
			    "0.0.128.0/17, 0.1.0.0/16, 0.2.0.0/15, 0.4.0.0/14, 0.8.0.0/13, "
			    "0.16.0.0/12, 0.32.0.0/11, 0.64.0.0/10, 0.128.0.0/9, 1.0.0.0/8, "
			    "2.0.0.0/7, 4.0.0.0/6, 8.0.0.0/5, 16.0.0.0/4, 32.0.0.0/3, 64.0.0.0/2, "
			    "128.0.0.0/1");
	assert_string_equal(keys(&v6i, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "::/0");
	assert_string_equal(keys(&v6i, "::1-::2"), "::1, ::2");
	assert_string_equal(keys(&v4, "192.0.2.7"), "192.0.2.7");
}

static void test_timeout(void **state)
{
	struct sl_set_elem e;
	uint64_t ns;
	char buf[32];

	assert_int_equal(sl_set_text_parse(&v4, "10.0.0.1 timeout 10m", 20, &e, &ns, why, 100), 0);
	assert_true(ns == 600000000000ull);
	assert_int_equal(
	    sl_set_text_parse(&v4port, "10.0.0.1 . 22 timeout 1h30m", 27, &e, &ns, why, 100), 0);
	assert_true(ns == 5400000000000ull);
	assert_int_equal(sl_set_text_parse(&v4, "10.0.0.1", 8, &e, &ns, why, 100), 0);
	assert_true(ns == 0);
	assert_int_equal(sl_set_text_duration("45", 2, &ns), 0);
	assert_true(ns == 45000000000ull);
	assert_int_equal(sl_set_text_duration("500ms", 5, &ns), 0);
	assert_true(ns == 500000000ull);
	assert_int_equal(sl_set_text_duration("1h5", 3, &ns), -EINVAL);
	assert_int_equal(sl_set_text_duration("99999999999999999999d", 21, &ns), -EINVAL);
	assert_int_equal(sl_set_text_duration("4294967295d", 11, &ns), -EINVAL);
	assert_int_equal(parse(&v4, "10.0.0.1 timeout 0s", &e), -EINVAL);
	sl_set_text_format_duration(5400000000000ull, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m");
	sl_set_text_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	sl_set_text_format_duration(90061500000000ull, buf, sizeof(buf));
	assert_string_equal(buf, "1d1h1m1s500ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4),   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_concat), cmocka_unit_test(test_other_types),
	    cmocka_unit_test(test_keys),   cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
