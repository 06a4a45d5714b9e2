// SPDX-License-Identifier: GPL-2.0-only
/* The grammar and AST building: shapes, locations, includes, hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "front.h"

static void parses_tables_chains_consts(void **state)
{
	struct front f;
	const struct sl_ast_rule *r;

	front_run(&f,
		  "const ports = { 22, 80-89 }\n"
		  "table edge {\n"
		  "    hook tc ingress; policy drop\n"
		  "    ip saddr 10.0.0.0/8   tcp dport $ports   counter accept # ssh\n"
		  "    jump q\n"
		  "}\n"
		  "chain q { tcp dport != 25 return }\n",
		  false);
	assert_int_equal(f.parse_rc, 0);
	assert_string_equal(f.ast->name, "t");
	assert_int_equal(f.ast->ntables, 1);
	assert_int_equal(f.ast->nchains, 1);
	assert_int_equal(f.ast->nconsts, 1);
	assert_int_equal(f.ast->nrules, 3);
	assert_string_equal(f.ast->tables[0]->name, "edge");
	assert_int_equal(f.ast->tables[0]->hook, SL_HOOK_TC_INGRESS);
	assert_int_equal(f.ast->tables[0]->policy, SL_VERDICT_DROP);
	assert_int_equal(f.ast->tables[0]->hook_loc.line, 3);
	assert_int_equal(f.ast->tables[0]->body.nrules, 2);
	assert_ptr_equal(f.ast->tables[0]->body.table, f.ast->tables[0]);

	r = &f.ast->tables[0]->body.rules[0];
	assert_string_equal(r->text, "ip saddr 10.0.0.0/8 tcp dport $ports counter accept");
	assert_int_equal(r->loc.line, 4);
	assert_int_equal(r->loc.col, 5);
	assert_int_equal(r->nmatches, 2);
	assert_int_equal(r->matches[0].field, SL_FIELD_IP_SADDR);
	assert_int_equal(r->matches[0].value->kind, SL_AST_VAL_IPV4);
	assert_int_equal(r->matches[0].value->plen, 8);
	assert_int_equal(r->matches[0].field_loc.col, 5);
	assert_int_equal(r->matches[0].field_loc.len, 8);
	assert_int_equal(r->matches[1].field, SL_FIELD_TCP_DPORT);
	assert_int_equal(r->matches[1].op, SL_AST_OP_IMPLICIT);
	assert_int_equal(r->matches[1].value->kind, SL_AST_VAL_REF);
	assert_string_equal(r->matches[1].value->name, "ports");
	assert_true(r->counter);
	assert_int_equal(r->action, SL_AST_ACCEPT);

	r = &f.ast->tables[0]->body.rules[1];
	assert_int_equal(r->action, SL_AST_JUMP);
	assert_string_equal(r->target, "q");
	assert_null(r->target_chain); /* resolved by the checker only */

	r = &f.ast->chains[0]->rules[0];
	assert_int_equal(r->matches[0].op, SL_AST_OP_NE);
	assert_int_equal(r->action, SL_AST_RETURN);
	assert_null(f.ast->chains[0]->table);

	assert_int_equal(f.ast->consts[0]->value->kind, SL_AST_VAL_SET);
	assert_int_equal(f.ast->consts[0]->value->nitems, 2);
	assert_int_equal(f.ast->consts[0]->value->items[1]->kind, SL_AST_VAL_RANGE);
	front_free(&f);
}

static void values_and_operators(void **state)
{
	struct front f;
	const struct sl_ast_match *m;

	front_run(
	    &f,
	    "table t { hook xdp\n"
	    "  tcp flags & (syn|ack) == syn tcp flags == syn|ack ether saddr 0:1:2:3:4:5 accept\n"
	    "  udp dport {\n     53,   # dns\n     123,\n  } ip6 saddr ::1 drop\n"
	    "}\n",
	    false);
	assert_int_equal(f.parse_rc, 0);
	m = f.ast->tables[0]->body.rules[0].matches;
	assert_non_null(m[0].mask);
	assert_int_equal(m[0].mask->kind, SL_AST_VAL_FLAGS);
	assert_int_equal(m[0].mask->nitems, 2);
	assert_int_equal(m[0].op, SL_AST_OP_EQ);
	assert_int_equal(m[0].value->kind, SL_AST_VAL_NAME);
	assert_int_equal(m[1].value->kind, SL_AST_VAL_FLAGS);
	assert_int_equal(m[2].value->kind, SL_AST_VAL_MAC);
	assert_true(m[2].value->num == 0x000102030405ull);

	/* a set over several lines is one rule; its text is on one line, without comments */
	assert_int_equal(f.ast->tables[0]->body.nrules, 2);
	assert_string_equal(f.ast->tables[0]->body.rules[1].text,
			    "udp dport { 53, 123, } ip6 saddr ::1 drop");
	m = f.ast->tables[0]->body.rules[1].matches;
	assert_int_equal(m[0].value->nitems, 2);
	assert_int_equal(m[1].value->kind, SL_AST_VAL_IPV6);
	front_free(&f);
}

static void syntax_errors_recover(void **state)
{
	struct front f;

	front_run(&f,
		  "table t {\n"
		  "  hook xdp\n"
		  "  tcp dport accept\n"
		  "  udp dport 53 accept\n"
		  "  ip saddr , drop\n"
		  "  tcp dport 1 accept accept\n"
		  "}\n"
		  "table u { hook xdp }\n",
		  true);
	assert_int_equal(f.parse_rc, -EINVAL);
	assert_int_equal(f.diag.nerrors, 3);
	/* the good rules around the bad ones are kept, the bad ones left out */
	assert_int_equal(f.ast->ntables, 2);
	assert_int_equal(f.ast->tables[0]->body.nrules, 1);
	assert_string_equal(f.ast->tables[0]->body.rules[0].text, "udp dport 53 accept");
	assert_non_null(strstr(f.out, "t.sluice:3:13: error: unexpected 'accept'"));
	assert_non_null(strstr(f.out, "t.sluice:5:12: error: unexpected ','"));
	front_free(&f);
}

static void includes(void **state)
{
	char dir[] = "/tmp/sluice-test-XXXXXX";
	char path[256], main_text[512];
	struct front f;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lib.sluice", dir);
	fp = fopen(path, "w");
	fputs("const web = { 80, 443 }\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/mid.sluice", dir);
	fp = fopen(path, "w");
	fputs("include \"lib.sluice\"\nchain c { tcp dport $web accept }\n", fp);
	fclose(fp);
	/* lib.sluice reached twice: parsed once (no duplicate constant) */
	snprintf(main_text, sizeof(main_text),
		 "include \"%s/lib.sluice\"\ninclude \"%s/mid.sluice\"\n"
		 "table t { hook xdp; tcp dport $web jump c }\n",
		 dir, dir);
	front_run(&f, main_text, true);
	assert_int_equal(f.parse_rc, 0);
	assert_int_equal(f.check_rc, 0);
	assert_int_equal(f.ast->nconsts, 1);
	assert_int_equal(f.ast->nchains, 1);
	assert_int_equal(f.srcs.nfiles, 3);
	assert_int_equal(f.ast->chains[0]->loc.file, 2);
	assert_int_equal(f.srcs.files[2].included_from.line, 2);
	front_free(&f);

	/* a file including itself */
	snprintf(path, sizeof(path), "%s/self.sluice", dir);
	fp = fopen(path, "w");
	fputs("include \"self.sluice\"\n", fp);
	fclose(fp);
	snprintf(main_text, sizeof(main_text), "include \"%s\"\n", path);
	front_run(&f, main_text, false);
	assert_int_equal(f.parse_rc, -EINVAL);
	assert_int_equal(f.diag.nerrors, 1);
	assert_non_null(strstr(f.out, "include cycle"));
	front_free(&f);

	front_run(&f, "include \"/nonexistent/x.sluice\"\n", false);
	assert_int_equal(f.parse_rc, -EINVAL);
	assert_non_null(strstr(f.out, "No such file"));
	front_free(&f);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void include_depth_is_bounded(void **state)
{
	char dir[] = "/tmp/sluice-test-XXXXXX";
	char path[256], text[128];
	struct front f;

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 40; i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/f%d.sluice", dir, i);
		fp = fopen(path, "w");
		fprintf(fp, "include \"f%d.sluice\"\n", i + 1);
		fclose(fp);
	}
	snprintf(text, sizeof(text), "include \"%s/f0.sluice\"\n", dir);
	front_run(&f, text, false);
	assert_int_equal(f.parse_rc, -EINVAL);
	assert_non_null(strstr(f.out, "includes nest more than 16 deep"));
	front_free(&f);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void hostile_input(void **state)
{
	size_t big = 1 << 20;
	char *text = malloc(big + 64);
	struct front f;

	/* deep nesting is a syntax error at the second level, not a stack overflow */
	memset(text, '(', big);
	text[big] = '\0';
	front_run(&f, text, true);
	assert_int_equal(f.parse_rc, -EINVAL);
	front_free(&f);
	memset(text, '{', big);
	front_run(&f, text, true);
	assert_int_equal(f.parse_rc, -EINVAL);
	front_free(&f);

	/* a 1 MB line of one rule with a huge set */
	strcpy(text, "table t { hook xdp; tcp dport { 1");
	for (size_t n = strlen(text); n < big - 20; n += 3)
		memcpy(text + n, ",22", 4);
	strcat(text, " } accept }");
	front_run(&f, text, true);
	assert_int_equal(f.parse_rc, 0);
	assert_int_equal(f.check_rc, 0);
	assert_true(f.ast->tables[0]->body.rules[0].matches[0].nranges > 300000);
	front_free(&f);

	/* huge numbers: one error, the rule still parses */
	strcpy(text, "table t { hook xdp; tcp dport ");
	memset(text + strlen(text), '9', big - 40);
	strcpy(text + big - 40, " accept }");
	front_run(&f, text, true);
	assert_int_equal(f.parse_rc, -EINVAL);
	assert_int_equal(f.diag.nerrors, 1);
	front_free(&f);

	/* binary garbage: errors, never a crash */
	srand(42);
	for (size_t i = 0; i < big; i++)
		text[i] = (char)(rand() & 0xff);
	front_run_n(&f, text, big, true);
	assert_int_equal(f.parse_rc, -EINVAL);
	front_free(&f);

	/* a byte order mark is skipped; columns count from after it */
	front_run(&f, "\xef\xbb\xbftable t { hook xdp; tcp dport 70000 }", true);
	assert_int_equal(f.parse_rc, 0);
	assert_int_equal(f.check_rc, -EINVAL);
	assert_non_null(strstr(f.out, "t.sluice:1:31: error: 70000"));
	front_free(&f);

	/* empty input is an empty policy */
	front_run_n(&f, "", 0, true);
	assert_int_equal(f.parse_rc, 0);
	assert_int_equal(f.check_rc, 0);
	assert_int_equal(f.ast->ntables, 0);
	front_free(&f);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_tables_chains_consts), cmocka_unit_test(values_and_operators),
	    cmocka_unit_test(syntax_errors_recover),	   cmocka_unit_test(includes),
	    cmocka_unit_test(include_depth_is_bounded),	   cmocka_unit_test(hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
