// SPDX-License-Identifier: GPL-2.0-only
/* abi/meta.c: interface names (version 2, header ifaces_off) read as abi.h describes, and
 * every damage to them refused without reading outside the section. */
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
    {"t", "meta iifname \"t\" drop", 3, 5, SLUICE_NO_COUNTER},
};

static struct sluice_meta_header *hdr(struct metabuf *b)
{
	return (struct sluice_meta_header *)b->data;
}

/*
 * A section with `n` interface names appended after the strings, each named by
 * string offset `name` (the table's name "t" unless told otherwise).
 */
static void build(struct metabuf *b, uint32_t n, uint32_t name)
{
	struct sluice_meta_ifaces ih = {n, sizeof(struct sluice_meta_iface)};
	struct sluice_meta_table t;

	memset(b, 0, sizeof(*b));
	metabuf_build(b, rules, 1, 0);
	memcpy(&t, b->data + hdr(b)->tables_off, sizeof(t));
	hdr(b)->ifaces_off = (uint32_t)b->size;
	memcpy(b->data + b->size, &ih, sizeof(ih));
	b->size += sizeof(ih);
	for (uint32_t i = 0; i < n; i++) {
		struct sluice_meta_iface f = {name == UINT32_MAX ? t.name_str : name,
					      i ? 0 : SLUICE_IFACE_F_REQUIRED, 3, 18};

		memcpy(b->data + b->size, &f, sizeof(f));
		b->size += sizeof(f);
	}
}

static int parse(struct metabuf *b, struct sl_meta **m)
{
	char why[160] = "";
	int err = sl_meta_parse(b->data, b->size, m, why, sizeof(why));

	assert_true(!err || why[0]);
	return err;
}

static void test_read(void **state)
{
	struct metabuf b;
	struct sl_meta *m = NULL;

	build(&b, 1, UINT32_MAX);
	assert_int_equal(parse(&b, &m), 0);
	assert_int_equal(m->nifaces, 1);
	assert_string_equal(sl_meta_str(m, m->ifaces[0].name_str), "t");
	assert_int_equal(m->ifaces[0].flags, SLUICE_IFACE_F_REQUIRED);
	assert_int_equal(m->ifaces[0].line, 3);
	sl_meta_free(m);
	/* none: offset 0 */
	build(&b, 1, UINT32_MAX);
	hdr(&b)->ifaces_off = 0;
	assert_int_equal(parse(&b, &m), 0);
	assert_int_equal(m->nifaces, 0);
	sl_meta_free(m);
}

static void test_damage(void **state)
{
	struct metabuf b;
	struct sl_meta *m = NULL;

	build(&b, 1, UINT32_MAX);
	hdr(&b)->ifaces_off = (uint32_t)b.size - 4; /* the count header past the end */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 1, UINT32_MAX);
	b.size -= 1; /* the record cut short */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 1, UINT32_MAX);
	memcpy(b.data + hdr(&b)->ifaces_off, &(uint32_t){0x7fffffffu}, 4); /* count */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 1, UINT32_MAX);
	memcpy(b.data + hdr(&b)->ifaces_off + 4, &(uint32_t){4}, 4); /* record size */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 1, 0x10000); /* name outside the strings */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 1, 0); /* empty name */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 2, UINT32_MAX); /* the same name twice */
	assert_int_equal(parse(&b, &m), -EINVAL);
	build(&b, 256, UINT32_MAX); /* more than a policy can name */
	assert_int_equal(parse(&b, &m), -EINVAL);
	assert_null(m);
}

/* A version 1 header has no ifaces_off: whatever follows it is not read as one. */
static void test_version1(void **state)
{
	struct metabuf b = {.v1 = 1};
	struct sl_meta *m = NULL;

	metabuf_build(&b, rules, 1, 0);
	assert_int_equal(parse(&b, &m), 0);
	assert_int_equal(m->nifaces, 0);
	assert_null(m->ifaces);
	sl_meta_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read),
	    cmocka_unit_test(test_damage),
	    cmocka_unit_test(test_version1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
