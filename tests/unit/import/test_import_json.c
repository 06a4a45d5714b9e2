// SPDX-License-Identifier: GPL-2.0-only
/* The strict JSON reader (compiler/import/json.c): what it accepts, where it says no. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "import/json.h"

static struct sl_json *ok(const char *text)
{
	struct sl_json *j = NULL;
	uint32_t line = 0, col = 0;
	char err[160] = "";

	assert_int_equal(sl_json_parse(text, strlen(text), &j, &line, &col, err, sizeof(err)), 0);
	assert_non_null(j);
	return j;
}

/* Rejected, at line:col, with a message containing `what`. */
static void bad(const char *text, size_t len, uint32_t eline, uint32_t ecol, const char *what)
{
	struct sl_json *j = (struct sl_json *)1;
	uint32_t line = 0, col = 0;
	char err[160] = "";

	assert_int_equal(sl_json_parse(text, len, &j, &line, &col, err, sizeof(err)), -EINVAL);
	assert_null(j);
	if (line != eline || col != ecol)
		print_message("%s: at %u:%u: %s\n", text, line, col, err);
	assert_int_equal(line, eline);
	assert_int_equal(col, ecol);
	if (!strstr(err, what))
		fail_msg("'%s' does not say '%s'", err, what);
}

#define BAD(text, line, col, what) bad(text, sizeof(text) - 1, line, col, what)

static void test_values(void **state)
{
	struct sl_json *j =
	    ok(" {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],\n"
	       "  \"b\": {}}\n");
	const struct sl_json *a = sl_json_get(j, "a"), *b = sl_json_get(j, "b");
	int64_t v;

	assert_int_equal(j->type, SL_JSON_OBJECT);
	assert_int_equal(a->n, 6);
	assert_true(sl_json_int(a->v[0], &v));
	assert_int_equal(v, 1);
	assert_false(sl_json_int(a->v[1], &v)); /* not an integer */
	assert_int_equal(a->v[2]->type, SL_JSON_BOOL);
	assert_true(a->v[2]->b);
	assert_int_equal(a->v[4]->type, SL_JSON_NULL);
	assert_string_equal(a->v[5]->s, "x\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(b->type, SL_JSON_OBJECT);
	assert_int_equal(b->n, 0);
	/* positions: "b"'s value starts on line 2 */
	assert_int_equal(b->line, 2);
	assert_int_equal(b->col, 8);
	assert_null(sl_json_get(j, "c"));
	sl_json_free(j);
}

static void test_strict(void **state)
{
	BAD("[1,]", 1, 4, "trailing comma");
	BAD("{\"a\": 1,}", 1, 9, "trailing comma");
	BAD("[01]", 1, 3, "leading zero");
	BAD("[1.]", 1, 4, "decimal point");
	BAD("[1e]", 1, 4, "exponent");
	BAD("[-]", 1, 3, "digits");
	BAD("{\"a\": 1, \"a\": 2}", 1, 13, "duplicate");
	BAD("{a: 1}", 1, 2, "member name");
	BAD("[\"\\x\"]", 1, 4, "unknown escape");
	BAD("[\"\\u12\"]", 1, 7, "four hex digits");
	BAD("[\"\\ud800\"]", 1, 9, "high surrogate");
	BAD("[\"\\udc00\"]", 1, 9, "low surrogate");
	BAD("[\"\\u0000\"]", 1, 9, "NUL");
	BAD("[\"a\tb\"]", 1, 4, "control byte");
	BAD("[\"\xff\"]", 1, 3, "UTF-8");
	BAD("[\"abc", 1, 6, "unterminated");
	BAD("[1] [2]", 1, 5, "more after");
	BAD("// c\n[]", 1, 1, "expected a value");
	BAD("\xef\xbb\xbf[]", 1, 1, "expected a value"); /* no byte order mark */
	BAD("[tru]", 1, 2, "expected a value");
	BAD("", 1, 1, "end of the input");
	BAD("[1\n,\n", 3, 1, "end of the input");
	bad("[\"a\0b\"]", 7, 1, 4, "control byte");
}

static void test_depth(void **state)
{
	char deep[2 * SL_JSON_MAX_DEPTH + 8];
	size_t n = 0;

	for (int i = 0; i < SL_JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < SL_JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	sl_json_free(ok(deep));
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	deep[n + 1] = ']';
	deep[n + 2] = '\0';
	bad(deep, n + 2, 1, SL_JSON_MAX_DEPTH + 1, "deeper");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
