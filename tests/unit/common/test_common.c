// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/field.h"
#include "common/util.h"

static char *diag_to_string(const char *text, struct sl_loc loc, const char *msg)
{
	struct sl_sources srcs;
	struct sl_diag d;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sl_sources_init(&srcs);
	assert_int_equal(sl_sources_add(&srcs, "p.sluice", text, strlen(text)), 0);
	sl_diag_init(&d, &srcs, out);
	sl_error(&d, loc, "%s", msg);
	fclose(out);
	assert_int_equal(d.nerrors, 1);
	sl_sources_fini(&srcs);
	return buf;
}

static void diag_prints_line_and_caret(void **state)
{
	char *s = diag_to_string("table t {\n    tcp dport 70000 accept\n}\n",
				 (struct sl_loc){0, 2, 15, 5}, "port out of range");

	assert_string_equal(s, "p.sluice:2:15: error: port out of range\n"
			       " 2 |     tcp dport 70000 accept\n"
			       "   |               ^~~~~\n");
	free(s);
}

/* Held diagnostics come out in source order, include positions expanded, with their notes. */
static void diag_hold_sorts_by_position(void **state)
{
	static const char main_text[] = "include \"lib\"\nb\nc\nd\n";
	struct sl_sources srcs;
	struct sl_diag d;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sl_sources_init(&srcs);
	assert_int_equal(sl_sources_add(&srcs, "m", main_text, strlen(main_text)), 0);
	assert_int_equal(sl_sources_add(&srcs, "lib", "x\ny\n", 4), 1);
	srcs.files[1].included_from = (struct sl_loc){0, 1, 9, 5};
	sl_diag_init(&d, &srcs, out);
	sl_diag_hold(&d);
	sl_warning(&d, ((struct sl_loc){0, 4, 1, 1}), "four");
	sl_error(&d, ((struct sl_loc){0, 2, 1, 1}), "two");
	sl_note(&d, ((struct sl_loc){0, 4, 1, 1}), "note of two");
	sl_error(&d, ((struct sl_loc){1, 2, 1, 1}), "in lib, line 2");
	sl_diag_hold(&d); /* nested: only the outermost release prints */
	sl_warning(&d, ((struct sl_loc){0, 3, 1, 1}), "three");
	sl_diag_release(&d);
	fflush(out);
	assert_int_equal(len, 0);
	sl_diag_release(&d);
	fclose(out);
	assert_string_equal(buf, "lib:2:1: error: in lib, line 2\n 2 | y\n   | ^\n"
				 "m:2:1: error: two\n 2 | b\n   | ^\n"
				 "m:4:1: note: note of two\n"
				 "m:3:1: warning: three\n 3 | c\n   | ^\n"
				 "m:4:1: warning: four\n 4 | d\n   | ^\n");
	free(buf);
	sl_sources_fini(&srcs);
}

/* Notes of a warning that -w hides are hidden too. */
static void diag_notes_follow_their_warning(void **state)
{
	struct sl_diag d;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sl_diag_init(&d, NULL, out);
	d.quiet_warnings = true;
	sl_warning(&d, SL_LOC_NONE, "hidden");
	sl_note(&d, SL_LOC_NONE, "hidden too");
	sl_error(&d, SL_LOC_NONE, "shown");
	sl_note(&d, SL_LOC_NONE, "shown too");
	fclose(out);
	assert_string_equal(buf, "sluice: error: shown\nsluice: note: shown too\n");
	free(buf);
}

static ssize_t count_write(void *cookie, const char *buf, size_t size)
{
	(void)buf;
	(*(unsigned *)cookie)++;
	return (ssize_t)size;
}

/* On an unbuffered stream (stderr) a diagnostic is one write, held ones a few large ones. */
static void diag_writes_are_few(void **state)
{
	static const char text[] = "table t {\n    tcp dport 1\n}\n";
	cookie_io_functions_t io = {.write = count_write};
	struct sl_sources srcs;
	struct sl_diag d;
	unsigned writes = 0;
	FILE *out = fopencookie(&writes, "w", io);

	setvbuf(out, NULL, _IONBF, 0);
	sl_sources_init(&srcs);
	assert_int_equal(sl_sources_add(&srcs, "p", text, strlen(text)), 0);
	sl_diag_init(&d, &srcs, out);
	for (int i = 0; i < 100; i++) {
		sl_warning(&d, ((struct sl_loc){0, 2, 5, 11}), "rule has no effect");
		sl_note(&d, ((struct sl_loc){0, 2, 5, 11}), "a note");
	}
	assert_int_equal(writes, 200);
	writes = 0;
	sl_diag_hold(&d);
	for (int i = 0; i < 1000; i++)
		sl_warning(&d, ((struct sl_loc){0, 2, 5, 11}), "rule has no effect");
	sl_diag_release(&d);
	assert_true(writes >= 1 && writes <= 3);
	fclose(out);
	sl_sources_fini(&srcs);
}

static void diag_caret_at_end_of_file_without_newline(void **state)
{
	char *s = diag_to_string("table", (struct sl_loc){0, 1, 6, 0}, "expected '{'");

	assert_string_equal(s, "p.sluice:1:6: error: expected '{'\n"
			       " 1 | table\n"
			       "   |      ^\n");
	free(s);
}

static void diag_long_line_is_windowed(void **state)
{
	size_t n = 1 << 20;
	char *text = malloc(n + 1);
	char *s;

	memset(text, 'a', n);
	text[n] = '\0';
	s = diag_to_string(text, (struct sl_loc){0, 1, 500000, 1}, "bad");
	assert_true(strlen(s) < 400);
	free(s);
	free(text);
}

static void suggest_finds_close_words(void **state)
{
	const char *const words[] = {"saddr", "daddr", "sport", "dport"};

	assert_string_equal(sl_suggest("dprt", words, 4), "dport");
	assert_null(sl_suggest("protocol", words, 4));
}

/* A child's memory goes on release (and it stays usable); the parent frees the child. */
static void arena_child_goes_first(void **state)
{
	struct sl_arena *a = sl_arena_new();
	struct sl_arena *c = sl_arena_child(a);
	char *kept = sl_arena_strdup(a, "kept");
	unsigned char *p;

	(void)state;
	sl_arena_alloc(c, 100000); /* larger than a chunk */
	sl_arena_alloc(c, 100);
	assert_true(sl_arena_used(c) >= 100100);
	sl_arena_release(c);
	assert_int_equal(sl_arena_used(c), 0);
	assert_string_equal(kept, "kept");
	p = sl_arena_alloc(c, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(sl_arena_used(c), 64);
	sl_arena_child(a); /* never released: freed with the parent (LeakSanitizer) */
	sl_arena_free(a);
}

static void arena_aligns_and_zeroes(void **state)
{
	struct sl_arena *a = sl_arena_new();

	for (int i = 1; i < 1000; i++) {
		unsigned char *p = sl_arena_alloc(a, (size_t)i * 7);

		assert_int_equal((uintptr_t)p % 16, 0);
		for (int j = 0; j < i * 7; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xff, (size_t)i * 7);
	}
	assert_string_equal(sl_arena_printf(a, "%d-%s", 42, "x"), "42-x");
	sl_arena_free(a);
}

static void fields_lookup_and_domain(void **state)
{
	const struct sl_field_info *f = sl_field_lookup("tcp", "dport");

	assert_non_null(f);
	assert_int_equal(f->id, SL_FIELD_TCP_DPORT);
	assert_int_equal(f->implied_l4, 6);
	assert_true(sl_field_max(SL_FIELD_IP6_SADDR) == ~(sl_u128)0);
	assert_true(sl_field_max(SL_FIELD_VLAN_ID) == 4095);
	assert_null(sl_field_lookup("tcp", "nope"));
	for (int i = 0; i < SL_FIELD_COUNT; i++)
		assert_int_equal(sl_field_info((enum sl_field)i)->id, i);
	assert_false(SL_HOOK_BIT(SL_HOOK_CGROUP_INGRESS) &
		     sl_field_info(SL_FIELD_ETHER_TYPE)->hooks);
}

static void verdict_codes_per_hook(void **state)
{
	assert_int_equal(sl_verdict_retval(SL_HOOK_XDP, SL_VERDICT_ACCEPT), 2);
	assert_int_equal(sl_verdict_retval(SL_HOOK_XDP, SL_VERDICT_DROP), 1);
	assert_int_equal(sl_verdict_retval(SL_HOOK_TC_EGRESS, SL_VERDICT_DROP), 2);
	assert_int_equal(sl_verdict_retval(SL_HOOK_CGROUP_EGRESS, SL_VERDICT_ACCEPT), 1);
}

static void u128_formats_decimal(void **state)
{
	char buf[48];

	assert_string_equal(sl_u128_str(0, buf), "0");
	assert_string_equal(sl_u128_str(~(sl_u128)0, buf),
			    "340282366920938463463374607431768211455");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(diag_prints_line_and_caret),
	    cmocka_unit_test(diag_caret_at_end_of_file_without_newline),
	    cmocka_unit_test(diag_hold_sorts_by_position),
	    cmocka_unit_test(diag_notes_follow_their_warning),
	    cmocka_unit_test(diag_writes_are_few),
	    cmocka_unit_test(diag_long_line_is_windowed),
	    cmocka_unit_test(suggest_finds_close_words),
	    cmocka_unit_test(arena_aligns_and_zeroes),
	    cmocka_unit_test(arena_child_goes_first),
	    cmocka_unit_test(fields_lookup_and_domain),
	    cmocka_unit_test(verdict_codes_per_hook),
	    cmocka_unit_test(u128_formats_decimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
