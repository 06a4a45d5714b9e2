// SPDX-License-Identifier: GPL-2.0-only
/*
 * loader/record.c and util.c: records read back from bpffs are checked before
 * recovery acts on them; output never carries raw bytes of a damaged input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "intent.h"
#include "state.h"
#include "util.h"

static const char root[] = "/sys/fs/bpf/sluice";

static int decode(const struct sl_intent *r)
{
	static uint8_t val[SL_INTENT_SIZE];
	struct sl_intent out;

	memset(val, 0, sizeof(val));
	memcpy(val, r, sizeof(*r));
	return sl_intent_decode(val, sizeof(val), root, &out);
}

static void test_intent_paths(void **state)
{
	struct sl_intent r = {.magic = SL_INTENT_MAGIC, .op = SL_OP_REPLACE};

	(void)state;
	snprintf(r.dir, sizeof(r.dir), "%s/net-1/2-eth0/xdp", root);
	assert_int_equal(decode(&r), 0);
	/* Recovery removes pins under dir and staging: never outside the root. */
	snprintf(r.dir, sizeof(r.dir), "/sys/fs/bpf/other/xdp");
	assert_int_equal(decode(&r), -EINVAL);
	snprintf(r.dir, sizeof(r.dir), "%sx/net-1/xdp", root); /* a sibling with the same prefix */
	assert_int_equal(decode(&r), -EINVAL);
	snprintf(r.dir, sizeof(r.dir), "%s/../../etc", root);
	assert_int_equal(decode(&r), -EINVAL);
	snprintf(r.dir, sizeof(r.dir), "%s/net-1/2-eth0/xdp", root);
	snprintf(r.staging, sizeof(r.staging), "/tmp/staging-1");
	assert_int_equal(decode(&r), -EINVAL);
	r.staging[0] = '\0';
	r.op = 9;
	assert_int_equal(decode(&r), -EINVAL);
	r.op = SL_OP_DETACH;
	r.st.hook = 77;
	assert_int_equal(decode(&r), -EINVAL);
	r.st.hook = 0;
	r.magic ^= 1;
	assert_int_equal(decode(&r), -EINVAL);
}

static void test_intent_terminates(void **state)
{
	static uint8_t val[SL_INTENT_SIZE];
	struct sl_intent r = {.magic = SL_INTENT_MAGIC, .op = SL_OP_ATTACH}, out;

	(void)state;
	snprintf(r.dir, sizeof(r.dir), "%s/x", root);
	memset(r.step, 'A', sizeof(r.step));
	memset(r.st.ifname, 'B', sizeof(r.st.ifname));
	memcpy(val, &r, sizeof(r));
	assert_int_equal(sl_intent_decode(val, sizeof(val), root, &out), 0);
	assert_int_equal(strlen(out.step), sizeof(out.step) - 1);
	assert_int_equal(strlen(out.st.ifname), sizeof(out.st.ifname) - 1);
}

static void test_state_decode(void **state)
{
	static uint8_t chunk[SL_STATE_CHUNK];
	struct sl_state st = {.magic = SL_STATE_MAGIC, .version = SL_STATE_VERSION}, out;

	(void)state;
	memcpy(chunk, &st, sizeof(st));
	assert_int_equal(sl_state_decode(chunk, sizeof(chunk), 1, &out), 0);
	st.meta_size = 1;
	memcpy(chunk, &st, sizeof(st));
	assert_int_equal(sl_state_decode(chunk, sizeof(chunk), 1, &out), -EINVAL);
	assert_int_equal(sl_state_decode(chunk, sizeof(chunk), 2, &out), 0);
	st.version = 2;
	memcpy(chunk, &st, sizeof(st));
	assert_int_equal(sl_state_decode(chunk, sizeof(chunk), 2, &out), -EPROTO);
	st.version = SL_STATE_VERSION;
	st.attach = 5;
	memcpy(chunk, &st, sizeof(st));
	assert_int_equal(sl_state_decode(chunk, sizeof(chunk), 2, &out), -EINVAL);
}

static char *capture(void (*fn)(FILE *, const char *), const char *in)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	fn(f, in);
	fclose(f);
	return buf;
}

static void json(FILE *f, const char *s)
{
	sl_json_str(f, s);
}

static void sanitized(FILE *f, const char *s)
{
	sl_put_sanitized(f, s, strlen(s));
}

static void test_escaping(void **state)
{
	(void)state;
	/* Not UTF-8: JSON gets text anyway; valid UTF-8 passes through. */
	assert_string_equal(capture(json, "/cg/bad\377name"), "\"/cg/bad\\u00ffname\"");
	assert_string_equal(capture(json, "/cg/caf\303\251"), "\"/cg/caf\303\251\"");
	assert_string_equal(capture(json, "a\"b\\c\x01\x7f"), "\"a\\\"b\\\\c\\u0001\\u007f\"");
	/* An overlong encoding and a surrogate are not UTF-8 either. */
	assert_string_equal(capture(json, "\340\200\200"), "\"\\u00e0\\u0080\\u0080\"");
	assert_string_equal(capture(json, "\355\240\200"), "\"\\u00ed\\u00a0\\u0080\"");
	assert_string_equal(capture(sanitized, "ok\033[2Jx\377\n"), "ok\\x1b[2Jx\\xff\n");
	assert_string_equal(capture(sanitized, "\303\251"), "\303\251");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intent_paths),
	    cmocka_unit_test(test_intent_terminates),
	    cmocka_unit_test(test_state_decode),
	    cmocka_unit_test(test_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
