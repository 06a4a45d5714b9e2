// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end for rule reordering: a ClassBench set with rules the classifier
 * cannot take (IPv6 counter rules, counter-only rules, jumps) sprinkled
 * through it is optimised at -O2 like `sluice build` does, compiled with the
 * default cost model, loaded by libbpf and run by the kernel on the set's
 * trace plus IPv6 frames aimed at the sprinkled rules. Verdicts, recorded
 * deciding rules and every counter must be the reference interpreter's on
 * the policy as written, and reordering must have left one table walk.
 * Then the same with IPv4 rules that only count and overlap their
 * neighbours (reorder cannot move them): the classified run takes them, and
 * counts each packet that reaches one (classify.h: struct sl_cls_post).
 * Exits 77 without BPF unless SLUICE_REQUIRE_KERNEL=1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/bpf_object.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "kern.h"
#include "opt/opt.h"
#include "lib/compile.h"
#include "parser/parser.h"
#include "pkt.h"
#include "test_cb_policy.h"

#define SET   "acl1_10000"
#define EVERY 400 /* a sprinkled rule after every EVERY ClassBench rules */

struct compiled {
	struct sl_result *r;
	const struct sl_ir *written; /* as lowered: the interpreter's */
	struct sl_opt_stats st;
	const void *image;
	size_t size;
	uint32_t walks, straight;
};

static void cb_rule(FILE *f, const struct cb_set *set, uint32_t i)
{
	fputc('\t', f);
	cb_print_preds(f, set, i, CB_IP4);
	/* ClassBench-only IPv4 policy: every rule tests it, as the IPv6 ones do IPv6 */
	fprintf(f, "meta protocol ip %s\n", i % 2 ? "drop" : "accept");
}

/* The k-th sprinkled rule: each kind ends a run of accept/drop rules. */
static void breaker(FILE *f, uint32_t k)
{
	switch (k % 3) {
	case 0:
		fprintf(f, "\tip6 saddr 2001:db8::%x counter drop\n", k);
		break;
	case 1:
		fprintf(f, "\tip6 daddr 2001:db8:1::/48 meta l4proto tcp th dport %u counter\n", k);
		break;
	default:
		fprintf(f, "\tip6 hoplimit %u jump v6\n", k % 256);
		break;
	}
}

/* The k-th counting rule: overlaps many ClassBench rules, so it stays where it is. */
static void counting(FILE *f, uint32_t k)
{
	switch (k % 3) {
	case 0:
		fprintf(f, "\tip saddr %u.0.0.0/2 counter\n", (k * 64) % 256);
		break;
	case 1:
		fprintf(f, "\tmeta l4proto tcp counter\n");
		break;
	default:
		fprintf(f, "\tip daddr 128.0.0.0/1 th dport 0-32767 counter\n");
		break;
	}
}

static char *policy_text(const struct cb_set *set, void (*sprinkle)(FILE *, uint32_t),
			 uint32_t *nbreakers)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*nbreakers = 0;
	fprintf(f, "chain v6 {\n\tip6 saddr 2001:db8::/120 counter drop\n\treturn\n}\n");
	fprintf(f, "table cb {\n\thook xdp\n\tpolicy drop\n");
	for (uint32_t i = 0; i < set->nrules; i++) {
		cb_rule(f, set, i);
		if (i % EVERY == EVERY / 2)
			sprinkle(f, (*nbreakers)++);
	}
	fprintf(f, "}\n");
	fclose(f);
	return buf;
}

static int compile(const char *text, struct compiled *c)
{
	/* ClassBench sets have shadowed rules: warnings, kept in the result */
	struct sl_compile_opts co = {
	    .opt_level = 2, .record_decisions = true, .compiler = "sluice test"};
	const struct sl_bpf_object *obj;
	int err;

	memset(c, 0, sizeof(*c));
	err = sl_compile("cb.sluice", text, strlen(text), &co, &c->r) ? -EINVAL : 0;
	if (!c->r)
		return -ENOMEM;
	obj = c->r->obj;
	c->written = c->r->written;
	c->st = c->r->opt_stats;
	c->image = sl_result_object(c->r, &c->size);
	for (uint32_t i = 0; !err && i < obj->nsegments; i++) {
		c->walks += obj->segments[i].kind != SL_BPF_SEG_STRAIGHT;
		c->straight += obj->segments[i].kind == SL_BPF_SEG_STRAIGHT;
	}
	if (err)
		fprintf(stderr, "%s", sl_result_diagnostics(c->r));
	return err;
}

/* IPv6/TCP frames aimed at the sprinkled rules: their addresses, ports and hop limits. */
static void v6_frame(uint32_t i, struct sl_pkt *p)
{
	struct sl_pkt_spec s;
	char addr[64];

	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	s.l4 = SL_PKT_TCP;
	snprintf(addr, sizeof(addr), "2001:db8::%x", i % 40);
	assert_int_equal(sl_pkt_ip6_addr(addr, s.ip6.saddr), 0);
	snprintf(addr, sizeof(addr), "2001:db8:%x::5", i % 3);
	assert_int_equal(sl_pkt_ip6_addr(addr, s.ip6.daddr), 0);
	s.ip6.hoplimit = (uint8_t)(i % 30);
	s.tcp.dport = (uint16_t)(i % 37);
	assert_int_equal(sl_pkt_build(&s, p), 0);
}

static void check_packet(const struct compiled *c, const struct sl_kern_prog *prog,
			 const struct sl_pkt *p, struct sl_interp_counter *counters, uint32_t i)
{
	struct sl_interp_packet ip = {.hook = SL_HOOK_XDP, .data = p->data, .len = p->len};
	struct sl_interp_result want;
	uint32_t retval, rule;

	assert_int_equal(sl_interp_run(c->written, 0, &ip, &want, counters), 0);
	assert_int_equal(sl_kern_decision_set(prog, 0xdeadbeef), 0);
	assert_int_equal(sl_kern_run(prog, p->data, p->len, &retval), 0);
	assert_int_equal(sl_kern_decision(prog, &rule), 0);
	if (sl_kern_retval_verdict(SL_HOOK_XDP, retval) != (want.verdict == SL_VERDICT_ACCEPT) ||
	    rule != want.rule)
		fail_msg("packet %u: kernel rule %u retval %u, interpreter rule %u %s", i, rule,
			 retval, want.rule, sl_verdict_name(want.verdict));
}

static void load_prog(const struct compiled *c, struct sl_kern_prog *prog)
{
	char *log = NULL;

	if (sl_kern_load_elf(c->image, c->size, NULL, prog, &log)) {
		fprintf(stderr, "load failed:\n%s\n",
			log && strlen(log) > 3000 ? log + strlen(log) - 3000 : log);
		fail();
	}
	free(log);
}

/* The trace's IPv4 frames, then `v6` IPv6 frames, through kernel and interpreter. */
static struct sl_interp_counter *run_frames(const struct compiled *c,
					    const struct sl_kern_prog *prog,
					    const struct cb_trace *trace, uint32_t v6)
{
	struct sl_interp_counter *counters = calloc(c->written->nrules, sizeof(*counters));
	static struct sl_pkt p;

	assert_non_null(counters);
	for (uint32_t i = 0; i < trace->n; i++) {
		assert_int_equal(cb_frame(trace->value[i], CB_IP4, &p), 0);
		check_packet(c, prog, &p, counters, i);
	}
	for (uint32_t i = 0; i < v6; i++) {
		v6_frame(i, &p);
		check_packet(c, prog, &p, counters, trace->n + i);
	}
	return counters;
}

/* Every counter equals the interpreter's; returns how many rules counted packets. */
static uint32_t rules_counting(const struct compiled *c, const struct sl_kern_prog *prog,
			       const struct sl_interp_counter *counters)
{
	uint32_t counted = 0;

	for (uint32_t id = 0; id < c->written->nrules; id++) {
		struct sluice_counter k;

		assert_int_equal(sl_kern_counter(prog, id, &k), 0);
		if (k.packets != counters[id].packets || k.bytes != counters[id].bytes)
			fail_msg("rule %u: kernel counted %lu/%lu, interpreter %lu/%lu", id,
				 (unsigned long)k.packets, (unsigned long)k.bytes,
				 (unsigned long)counters[id].packets,
				 (unsigned long)counters[id].bytes);
		counted += k.packets > 0;
	}
	printf("%u rules counted packets\n", counted);
	return counted;
}

static void compiled_fini(struct compiled *c)
{
	sl_result_free(c->r);
}

static void load_classbench(struct cb_set *set, struct cb_trace *trace, uint64_t seed)
{
	if (!cb_dir())
		skip();
	assert_int_equal(cb_load_set(SET, set), 0);
	assert_int_equal(cb_load_trace(SET, set, 3000, seed, trace), 0);
	if (trace->n > 3000)
		trace->n = 3000;
}

static void reordered_classbench_matches_interpreter(void **state)
{
	struct cb_set set;
	struct cb_trace trace;
	struct compiled c;
	struct sl_kern_prog prog;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ struct sl_interp_counter *counters = NULL;
	uint32_t nbreakers;

	(void)state;
	load_classbench(&set, &trace, 7);
	text = policy_text(&set, breaker, &nbreakers);
	assert_int_equal(compile(text, &c), 0);
	printf("%s + %u sprinkled rules: moved %u, %u walk(s), %u straight segment(s)\n", SET,
	       nbreakers, c.st.moved, c.walks, c.straight);
	assert_true(c.st.moved >= nbreakers);
	assert_int_equal(c.walks, 1);
	load_prog(&c, &prog);
	counters = run_frames(&c, &prog, &trace, 600);
	/* the IPv6 frames do reach the sprinkled rules */
	assert_true(rules_counting(&c, &prog, counters) > 10);
	sl_kern_prog_close(&prog);
	compiled_fini(&c);
	cb_trace_fini(&trace);
	cb_set_fini(&set);
}

static void counting_rules_join_the_walk(void **state)
{
	struct cb_set set;
	struct cb_trace trace;
	struct compiled c;
	struct sl_kern_prog prog;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ struct sl_interp_counter *counters = NULL;
	uint32_t nsprinkled;

	(void)state;
	load_classbench(&set, &trace, 11);
	text = policy_text(&set, counting, &nsprinkled);
	assert_int_equal(compile(text, &c), 0);
	printf("%s + %u counting rules: %u classified, %u straight segment(s)\n", SET, nsprinkled,
	       c.walks, c.straight);
	assert_int_equal(c.walks, 1);
	assert_int_equal(c.straight, 0);
	load_prog(&c, &prog);
	counters = run_frames(&c, &prog, &trace, 0);
	/* most counting rules are reached */
	assert_true(rules_counting(&c, &prog, counters) > nsprinkled / 2);
	sl_kern_prog_close(&prog);
	compiled_fini(&c);
	cb_trace_fini(&trace);
	cb_set_fini(&set);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reordered_classbench_matches_interpreter),
	    cmocka_unit_test(counting_rules_join_the_walk),
	};
	char why[256];

	if (!sl_kern_usable(why, sizeof(why)))
		return sl_kern_skip(argv[0], why);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
