// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_opt_lint never claims wrongly: random policies over small domains
 * (source addresses 10.0.0.0-7, ports 0-15), and for every rule it reports
 * as shadowed or redundant, the policy without that rule gives every packet
 * of the domain (plus one value outside every set per field, and a non-IP
 * packet) the same verdict and the same counters as the reference
 * interpreter gives with it. The search is exhaustive over the domain, so a
 * wrong finding cannot slip through; the test also asserts findings happen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "opt/opt.h"
#include "parser/parser.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* "FIELD V" or "FIELD V-V" with V = value prefix (like "10.0.0.") and a number up to max. */
static void range(char *buf, size_t size, const char *field, const char *vp, uint64_t *s,
		  unsigned max)
{
	unsigned lo = rnd(s) % (max + 1), hi = lo + rnd(s) % (max + 1 - lo);

	if (lo == hi)
		snprintf(buf, size, "%s %s%u ", field, vp, lo);
	else
		snprintf(buf, size, "%s %s%u-%s%u ", field, vp, lo, vp, hi);
}

static void random_rule(char *out, size_t size, bool in_chain, bool has_chain, uint64_t *s)
{
	char a[64] = "", b[64] = "";
	const char *action;
	unsigned k = rnd(s) % 16;

	if (rnd(s) % 3)
		range(a, sizeof(a), "ip saddr", "10.0.0.", s, 7);
	if (rnd(s) % 4)
		range(b, sizeof(b), rnd(s) % 4 ? "tcp dport" : "udp dport", "", s, 15);
	if (k < 6)
		action = "accept";
	else if (k < 12)
		action = "drop";
	else if (k == 12)
		action = "counter";
	else if (k == 13)
		action = "counter accept";
	else if (k == 14 && has_chain && !in_chain)
		action = rnd(s) % 2 ? "jump c" : "goto c";
	else if (k == 14 && in_chain)
		action = "return";
	else
		action = "drop";
	snprintf(out, size, "    %s%s%s\n", a, b, action);
}

static char *random_policy(uint64_t *s)
{
	static char text[8192];
	bool has_chain = rnd(s) % 3 == 0;
	unsigned n = 2 + rnd(s) % 8;
	size_t len;
	char rule[160];

	len = (size_t)snprintf(text, sizeof(text), "table t {\n    hook xdp\n    policy %s\n",
			       rnd(s) % 2 ? "accept" : "drop");
	for (unsigned i = 0; i < n; i++) {
		random_rule(rule, sizeof(rule), false, has_chain, s);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s", rule);
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "}\n");
	if (has_chain) {
		len += (size_t)snprintf(text + len, sizeof(text) - len, "chain c {\n");
		for (unsigned i = 0, m = 1 + rnd(s) % 5; i < m; i++) {
			random_rule(rule, sizeof(rule), true, true, s);
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s", rule);
		}
		snprintf(text + len, sizeof(text) - len, "}\n");
	}
	return text;
}

/* Every distinct packet of the domain, as fields. */
static uint32_t domain(struct sl_interp_fields *out)
{
	uint32_t n = 0;

	memset(&out[n], 0, sizeof(out[n]));
	out[n].present[SL_FIELD_META_PROTOCOL] = true;
	out[n++].value[SL_FIELD_META_PROTOCOL] = 0x0806;
	for (unsigned a = 0; a <= 8; a++) {
		for (unsigned p = 0; p < 3; p++) {
			for (unsigned port = 0; port <= (p < 2 ? 16u : 0u); port++) {
				struct sl_interp_fields *f = &out[n++];
				enum sl_field dport = p ? SL_FIELD_UDP_DPORT : SL_FIELD_TCP_DPORT;

				memset(f, 0, sizeof(*f));
				f->present[SL_FIELD_META_PROTOCOL] = true;
				f->value[SL_FIELD_META_PROTOCOL] = 0x0800;
				f->present[SL_FIELD_IP_SADDR] = true;
				f->value[SL_FIELD_IP_SADDR] = 0x0a000000u + a;
				f->present[SL_FIELD_META_L4PROTO] = true;
				f->value[SL_FIELD_META_L4PROTO] = p == 0 ? 6 : p == 1 ? 17 : 1;
				if (p < 2) {
					f->present[dport] = true;
					f->value[dport] = port;
					f->present[SL_FIELD_TH_DPORT] = true;
					f->value[SL_FIELD_TH_DPORT] = port;
				}
			}
		}
	}
	return n;
}

/* `ir` without rule `id` (a copy in `arena`). */
static struct sl_ir *without(const struct sl_ir *ir, uint32_t id, struct sl_arena *arena)
{
	struct sl_ir *copy = sl_ir_clone(ir, arena);

	for (uint32_t c = 0; c < copy->nchains; c++) {
		struct sl_ir_chain *chain = &copy->chains[c];

		for (uint32_t i = 0; i < chain->nrules; i++) {
			if (chain->rules[i].id != id)
				continue;
			memmove(&chain->rules[i], &chain->rules[i + 1],
				(chain->nrules - i - 1) * sizeof(*chain->rules));
			chain->nrules--;
			return copy;
		}
	}
	fail_msg("rule %u not found", id);
	return NULL;
}

static void assert_same(const struct sl_ir *a, const struct sl_ir *b, const char *text, uint32_t id)
{
	static struct sl_interp_fields pkts[1 + 9 * 35];
	uint32_t n = domain(pkts);
	struct sl_interp_counter *ca = calloc(a->nrules, sizeof(*ca)),
				 *cb = calloc(a->nrules, sizeof(*cb));

	assert_non_null(ca);
	assert_non_null(cb);
	for (uint32_t i = 0; i < n; i++) {
		struct sl_interp_result ra, rb;

		assert_int_equal(sl_interp_run_fields(a, 0, &pkts[i], 64, &ra, ca), 0);
		assert_int_equal(sl_interp_run_fields(b, 0, &pkts[i], 64, &rb, cb), 0);
		if (ra.verdict != rb.verdict)
			fail_msg("removing rule %u changes packet %u's verdict in:\n%s", id, i,
				 text);
	}
	if (memcmp(ca, cb, a->nrules * sizeof(*ca)))
		fail_msg("removing rule %u changes counters in:\n%s", id, text);
	free(ca);
	free(cb);
}

static void test_findings_hold(void **state)
{
	uint64_t seed = 0x5eed1234abcdull, found[3] = {0};
	FILE *null = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(null);
	for (int iter = 0; iter < 4000; iter++) {
		_cleanup_arena_ struct sl_arena *arena = sl_arena_new();
		const char *text = random_policy(&seed);
		enum sl_opt_finding *findings;
		struct sl_sources srcs;
		struct sl_diag diag;
		struct sl_ast *ast = NULL;
		struct sl_ir *ir = NULL;

		sl_sources_init(&srcs);
		sl_diag_init(&diag, &srcs, null);
		if (sl_parse_text("random.sluice", text, strlen(text), &srcs, arena, &diag, &ast) ||
		    sl_check(ast, &diag) || sl_ir_lower(ast, arena, &diag, &ir))
			fail_msg("random policy does not compile:\n%s", text);
		findings = calloc(ir->nrules, sizeof(*findings));
		assert_non_null(findings);
		assert_int_equal(sl_opt_lint(ir, &diag, findings), 0);
		for (uint32_t id = 0; id < ir->nrules; id++) {
			found[findings[id]]++;
			if (findings[id] != SL_OPT_FINE)
				assert_same(ir, without(ir, id, arena), text, id);
		}
		free(findings);
		sl_sources_fini(&srcs);
	}
	fclose(null);
	print_message("fine %llu, shadowed %llu, redundant %llu\n", (unsigned long long)found[0],
		      (unsigned long long)found[1], (unsigned long long)found[2]);
	assert_true(found[SL_OPT_SHADOWED] > 100);
	assert_true(found[SL_OPT_REDUNDANT] > 100);
}

/* The union case by hand: neither earlier rule covers the third alone. */
static void test_union(void **state)
{
	static const char text[] = "table t {\n    hook xdp\n    policy accept\n"
				   "    tcp dport 1-100 accept\n"
				   "    tcp dport 101-200 drop\n"
				   "    tcp dport 50-150 drop\n"
				   "    tcp dport 50-250 drop\n}\n";
	_cleanup_arena_ struct sl_arena *arena = sl_arena_new();
	enum sl_opt_finding findings[4];
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_ast *ast = NULL;
	struct sl_ir *ir = NULL;
	FILE *null = fopen("/dev/null", "w");

	(void)state;
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, null);
	assert_int_equal(sl_parse_text("u.sluice", text, strlen(text), &srcs, arena, &diag, &ast),
			 0);
	assert_int_equal(sl_check(ast, &diag), 0);
	assert_int_equal(sl_ir_lower(ast, arena, &diag, &ir), 0);
	assert_int_equal(sl_opt_lint(ir, &diag, findings), 0);
	assert_int_equal(findings[0], SL_OPT_FINE);
	assert_int_equal(findings[1], SL_OPT_REDUNDANT); /* 50-250 drops its packets too */
	assert_int_equal(findings[2], SL_OPT_SHADOWED);
	assert_int_equal(findings[3], SL_OPT_FINE); /* 201-250 still match it */
	sl_sources_fini(&srcs);
	fclose(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_union),
	    cmocka_unit_test(test_findings_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
