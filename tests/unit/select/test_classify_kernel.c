// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: ClassBench rule sets written as sluice policies, compiled with
 * the table walk forced (and with the default cost model at -O2), serialised,
 * loaded by libbpf and run by the kernel on the sets' trace headers as
 * Ethernet/IPv4/TCP/UDP frames, and the same over IPv6 addresses. Every
 * verdict and recorded deciding rule must be the reference interpreter's;
 * counters must agree too. Exits 77 without BPF unless SLUICE_REQUIRE_KERNEL=1.
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
#include <time.h>

#include "emit/bpf_object.h"
#include "lib/compile.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "kern.h"
#include "parser/parser.h"
#include "pkt.h"
#include "test_cb_policy.h"

struct compiled {
	struct sl_result *r;
	const struct sl_ir *ir; /* as written: the interpreter's */
	const void *image;
	size_t size;
	uint32_t walks;	     /* table-walk segments in the object */
	bool inline_trees;   /* some segment became inline code */
	uint32_t code_trees; /* trees of the largest inline-code segment */
	size_t rodata;	     /* bytes of read-only tables */
};

static char *policy_text(const struct cb_set *set, uint32_t n, bool counters, enum cb_family fam)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "table cb {\n\thook xdp\n\tpolicy drop\n");
	for (uint32_t i = 0; i < n; i++) {
		fputc('\t', f);
		cb_print_preds(f, set, i, fam);
		fprintf(f, "%s%s\n", counters && i % 3 == 0 ? "counter " : "",
			i % 2 ? "drop" : "accept");
	}
	fprintf(f, "}\n");
	fclose(f);
	return buf;
}

static int compile_max(const char *text, enum sl_classifier_mode mode, int level, size_t table_max,
		       struct compiled *c)
{
	/* ClassBench sets have shadowed rules: warnings, kept in the result */
	struct sl_compile_opts co = {.opt_level = level,
				     .record_decisions = true,
				     .classifier = mode,
				     .table_max = table_max,
				     .compiler = "sluice test"};
	const struct sl_bpf_object *obj;
	int err;

	memset(c, 0, sizeof(*c));
	err = sl_compile("cb.sluice", text, strlen(text), &co, &c->r) ? -EINVAL : 0;
	if (!c->r)
		return -ENOMEM;
	obj = c->r->obj;
	c->ir = c->r->written;
	c->image = sl_result_object(c->r, &c->size);
	for (uint32_t i = 0; !err && i < obj->nmaps; i++) {
		c->walks += !strncmp(obj->maps[i].name, "sluice_dt_", 10) &&
			    strstr(obj->maps[i].name, "_boxes");
		if (obj->maps[i].init)
			c->rodata += (size_t)obj->maps[i].value_size * obj->maps[i].max_entries;
	}
	for (uint32_t i = 0; !err && i < obj->nsegments; i++) {
		if (obj->segments[i].kind != SL_BPF_SEG_CODE_TREE)
			continue;
		c->inline_trees = true;
		c->code_trees = sl_max(c->code_trees, obj->segments[i].trees);
	}
	if (err)
		fprintf(stderr, "%s", sl_result_diagnostics(c->r));
	return err;
}

static int compile(const char *text, enum sl_classifier_mode mode, int level, struct compiled *c)
{
	return compile_max(text, mode, level, 0, c);
}

static void compiled_fini(struct compiled *c)
{
	sl_result_free(c->r);
}

/* One frame per call of next(i, &frame) until it returns false: kernel against interpreter. */
static void run_frames(const struct compiled *c, bool (*next)(void *, uint32_t, struct sl_pkt *),
		       void *arg, const char *what)
{
	struct sl_kern_prog prog;
	char *log = NULL;
	_cleanup_free_ struct sl_interp_counter *counters =
	    calloc(c->ir->nrules + 1, sizeof(*counters));
	static struct sl_pkt p;

	if (sl_kern_load_elf(c->image, c->size, NULL, &prog, &log)) {
		fprintf(stderr, "%s: load failed:\n%s\n", what,
			log && strlen(log) > 3000 ? log + strlen(log) - 3000 : log);
		fail();
	}
	free(log);
	printf("%-22s walks %u insns %6u verifier processed %7u\n", what, c->walks,
	       prog.xlated_insns, prog.verified_insns);
	for (uint32_t i = 0; next(arg, i, &p); i++) {
		struct sl_interp_packet ip = {.hook = SL_HOOK_XDP};
		struct sl_interp_result want;
		uint32_t retval, rule;

		ip.data = p.data;
		ip.len = p.len;
		assert_int_equal(sl_interp_run(c->ir, 0, &ip, &want, counters), 0);
		assert_int_equal(sl_kern_decision_set(&prog, 0xdeadbeef), 0);
		assert_int_equal(sl_kern_run(&prog, p.data, p.len, &retval), 0);
		assert_int_equal(sl_kern_decision(&prog, &rule), 0);
		if (sl_kern_retval_verdict(SL_HOOK_XDP, retval) !=
			(want.verdict == SL_VERDICT_ACCEPT) ||
		    rule != want.rule)
			fail_msg("%s packet %u: kernel rule %u retval %u, interpreter rule %u %s",
				 what, i, rule, retval, want.rule, sl_verdict_name(want.verdict));
	}
	for (uint32_t id = 0; prog.counter_fd >= 0 && id < c->ir->nrules; id++) {
		struct sluice_counter k;

		assert_int_equal(sl_kern_counter(&prog, id, &k), 0);
		if (k.packets != counters[id].packets || k.bytes != counters[id].bytes)
			fail_msg("%s rule %u: kernel counted %lu/%lu, interpreter %lu/%lu", what,
				 id, (unsigned long)k.packets, (unsigned long)k.bytes,
				 (unsigned long)counters[id].packets,
				 (unsigned long)counters[id].bytes);
	}
	sl_kern_prog_close(&prog);
}

struct trace_frames {
	const struct cb_trace *trace;
	enum cb_family fam;
};

static bool next_trace_frame(void *arg, uint32_t i, struct sl_pkt *p)
{
	const struct trace_frames *t = arg;

	if (i >= t->trace->n)
		return false;
	assert_int_equal(cb_frame(t->trace->value[i], t->fam, p), 0);
	return true;
}

static void run_trace(const struct compiled *c, const struct cb_trace *trace, enum cb_family fam,
		      const char *what)
{
	struct trace_frames t = {trace, fam};

	run_frames(c, next_trace_frame, &t, what);
}

/* A ClassBench set and the first 3,000 headers of its trace. */
static void load_set_and_trace(const char *name, struct cb_set *set, struct cb_trace *trace)
{
	assert_int_equal(cb_load_set(name, set), 0);
	assert_int_equal(cb_load_trace(name, set, 3000, 5, trace), 0);
	if (trace->n > 3000)
		trace->n = 3000;
}

/* Returns the object's bytes of read-only tables; *walks (if not NULL): its table walks. */
static size_t run_set_as(const char *name, uint32_t rules, bool counters, enum cb_family fam,
			 enum sl_classifier_mode mode, uint32_t *walks)
{
	size_t rodata;
	struct cb_set set;
	struct cb_trace trace;
	struct compiled c;
	char what[64];
	_cleanup_free_ char *text = NULL;
	struct timespec t0, t1;

	load_set_and_trace(name, &set, &trace);
	text = policy_text(&set, sl_min(rules, set.nrules), counters, fam);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(compile(text, mode, 2, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mode == SL_CLASSIFIER_CODE &&
	    rules <= 1000) /* beyond, a walk where code does not fit */
		assert_true(c.inline_trees && !c.walks);
	else if (mode == SL_CLASSIFIER_TREE)
		assert_true(c.walks >= 1 && !c.inline_trees);
	else
		assert_true(c.walks >= 1 || c.inline_trees);
	snprintf(what, sizeof(what), "%s%s %s", name,
		 fam == CB_IP4	     ? ""
		 : fam == CB_IP6_LOW ? " ip6 low"
				     : " ip6 high",
		 mode == SL_CLASSIFIER_AUTO   ? "auto"
		 : mode == SL_CLASSIFIER_CODE ? "code"
					      : "tree");
	printf("%s: compiled in %.2f s, object %zu bytes\n", what,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, c.size);
	run_trace(&c, &trace, fam, what);
	rodata = c.rodata;
	if (walks)
		*walks = c.walks;
	compiled_fini(&c);
	cb_trace_fini(&trace);
	cb_set_fini(&set);
	return rodata;
}

static size_t run_set(const char *name, uint32_t rules, bool counters, enum sl_classifier_mode mode)
{
	return run_set_as(name, rules, counters, CB_IP4, mode, NULL);
}

static void classbench_walks_match_interpreter(void **state)
{
	static const struct {
		const char *set;
		uint32_t rules;
		bool counters;
	} cases[] = {
	    {"acl1_1000", 913, true},	 {"fw1_1000", 855, false},  {"ipc1_1000", 980, true},
	    {"acl1_10000", 9782, false}, {"fw1_10000", 4000, true}, {"ipc1_10000", 9520, false},
	};

	if (!cb_dir())
		skip();
	if (getenv("SLUICE_CB_KERNEL_SETS")) { /* measurements: e.g. acl1_100000,fw1_100000 */
		char buf[256], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", getenv("SLUICE_CB_KERNEL_SETS"));
		for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			run_set(tok, UINT32_MAX, false, SL_CLASSIFIER_AUTO);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_set(cases[i].set, cases[i].rules, cases[i].counters, SL_CLASSIFIER_TREE);
		run_set(cases[i].set, cases[i].rules, cases[i].counters, SL_CLASSIFIER_CODE);
		run_set(cases[i].set, cases[i].rules, cases[i].counters, SL_CLASSIFIER_AUTO);
	}
	/* Tables beyond one 4 MiB map value: the object has .rodata and .rodata.1. */
	assert_true(run_set("acl1_100000", UINT32_MAX, true, SL_CLASSIFIER_AUTO) > (4u << 20));
	/*
	 * Trees packed into several nodes/lists tables: one pack holds at most
	 * 4 + 4 MiB and the records 4 MiB, so over 12 MiB means two packs or more.
	 */
	assert_true(run_set("fw1_100000", UINT32_MAX, false, SL_CLASSIFIER_TREE) > (12u << 20));
}

/* Segments around rules a classifier cannot answer: counter-only, jumps, IPv6. */
static void mixed_chains_match_interpreter(void **state)
{
	static const char text[] = "chain side {\n"
				   "\ttcp dport 22 drop\n"
				   "\treturn\n"
				   "}\n"
				   "table mix {\n"
				   "\thook xdp\n"
				   "\tpolicy accept\n"
				   "\tip saddr 10.0.0.0/8 tcp dport { 1-100, 200 } accept\n"
				   "\tip saddr 10.1.0.0/16 counter drop\n"
				   "\tudp dport 53 accept\n"
				   "\tip daddr 192.168.0.0/16 counter\n"
				   "\tip saddr 172.16.0.0/12 tcp dport 22 accept\n"
				   "\tip saddr 172.16.0.0/12 jump side\n"
				   "\tip6 saddr 2001:db8::/32 drop\n"
				   "\ttcp sport 1000-2000 drop\n"
				   "\tudp sport 1000-2000 counter accept\n"
				   "\tip daddr 10.0.0.1 drop\n"
				   "}\n";
	static const uint32_t addrs[] = {0x0a000001, 0x0a010203, 0xc0a80101, 0xac100005,
					 0x08080808};
	static const uint16_t ports[] = {1, 22, 53, 100, 101, 200, 1500, 2001};
	struct cb_trace trace = {0};
	struct compiled c;
	uint32_t n = 0;

	trace.value = calloc(2 * 5 * 5 * 8 * 2, sizeof(*trace.value));
	for (int s = 0; s < 5; s++)
		for (int d = 0; d < 5; d++)
			for (int pt = 0; pt < 8; pt++)
				for (int proto = 0; proto < 2; proto++) {
					uint64_t *h = trace.value[n++];

					h[CB_SIP] = addrs[s];
					h[CB_DIP] = addrs[d];
					h[CB_SPORT] = ports[(pt + s) % 8];
					h[CB_DPORT] = ports[pt];
					h[CB_PROTO] = proto ? 17 : 6;
				}
	trace.n = n;
	assert_int_equal(compile(text, SL_CLASSIFIER_TREE, 2, &c), 0);
	assert_int_equal(c.walks, 2); /* rules 0-2 and 7-9; one-rule runs stay straight */
	run_trace(&c, &trace, CB_IP4, "mixed tree");
	compiled_fini(&c);
	assert_int_equal(compile(text, SL_CLASSIFIER_CODE, 2, &c), 0);
	assert_true(c.inline_trees && !c.walks);
	run_trace(&c, &trace, CB_IP4, "mixed code");
	compiled_fini(&c);
	cb_trace_fini(&trace);
}

/*
 * IPv6 addresses are four word dimensions: the same sets over IPv6 addresses
 * (test_cb_policy.h) are walks and inline trees like their IPv4 originals.
 */
static void classbench_ip6_match_interpreter(void **state)
{
	uint32_t walks = 0;

	(void)state;
	if (!cb_dir())
		skip();
	run_set_as("acl1_1000", 913, true, CB_IP6_LOW, SL_CLASSIFIER_TREE, NULL);
	run_set_as("fw1_1000", 855, false, CB_IP6_LOW, SL_CLASSIFIER_TREE, NULL);
	run_set_as("acl1_10000", 9782, false, CB_IP6_LOW, SL_CLASSIFIER_AUTO, NULL);
	run_set_as("fw1_1000", 855, true, CB_IP6_HIGH, SL_CLASSIFIER_CODE, NULL);
	run_set_as("ipc1_10000", 9520, false, CB_IP6_HIGH, SL_CLASSIFIER_AUTO, NULL);
	run_set_as("acl1_10000", 9782, true, CB_IP6_HIGH, SL_CLASSIFIER_CODE, NULL);
	/*
	 * 96k boxes: with 2001:db8 (every destination's first word) a dimension,
	 * 44-byte records, over 4 MiB, and two walks; pinned, 36 bytes and one.
	 */
	run_set_as("fw1_100000", UINT32_MAX, false, CB_IP6_HIGH, SL_CLASSIFIER_AUTO, &walks);
	assert_int_equal(walks, 1);
}

/*
 * Host pairs over IPv6: every word of both addresses tells rules apart, nine
 * dimensions with the port, more than the key registers of inline trees, so
 * a walk. Rules of /128 pairs, some with a /64 source or no destination; each
 * rule's own packet and packets one word, the port or the protocol away.
 */
#define HOST_RULES 600

struct host_pairs {
	uint8_t src[HOST_RULES][16], dst[HOST_RULES][16];
	uint16_t dport[HOST_RULES];
};

static void print_ip6(FILE *f, const uint8_t *a, unsigned len)
{
	for (unsigned g = 0; g < 8; g++)
		fprintf(f, "%s%x", g ? ":" : "", (unsigned)a[2 * g] << 8 | a[2 * g + 1]);
	fprintf(f, "/%u", len);
}

static char *host_pairs_policy(struct host_pairs *h)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "table hosts {\n\thook xdp\n\tpolicy drop\n");
	for (uint32_t i = 0; i < HOST_RULES; i++) {
		for (unsigned b = 0; b < 16; b++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			h->src[i][b] = (uint8_t)x;
			h->dst[i][b] = (uint8_t)(x >> 8);
		}
		h->dport[i] = (uint16_t)(1 + x % 4000);
		if (i % 7 == 3) /* a /64 source: the low words are free */
			memset(h->src[i] + 8, 0, 8);
		fprintf(f, "\tip6 saddr ");
		print_ip6(f, h->src[i], i % 7 == 3 ? 64 : 128);
		if (i % 11 != 5) {
			fprintf(f, " ip6 daddr ");
			print_ip6(f, h->dst[i], 128);
		}
		fprintf(f, " tcp dport %u %s%s\n", h->dport[i], i % 5 ? "" : "counter ",
			i % 2 ? "drop" : "accept");
	}
	fprintf(f, "}\n");
	fclose(f);
	return buf;
}

/* Packet i: rule i / 5's own, or one word of an address, the port or the protocol off. */
static bool next_host_frame(void *arg, uint32_t i, struct sl_pkt *p)
{
	const struct host_pairs *h = arg;
	uint32_t r = i / 5;
	struct sl_pkt_spec s;

	if (r >= HOST_RULES)
		return false;
	sl_pkt_spec_init(&s);
	s.l3 = SL_PKT_IPV6;
	s.ip6.upper = 6;
	memcpy(s.ip6.saddr, h->src[r], 16);
	memcpy(s.ip6.daddr, h->dst[r], 16);
	s.l4 = SL_PKT_TCP;
	s.tcp.sport = (uint16_t)(1024 + r);
	s.tcp.dport = h->dport[r];
	switch (i % 5) {
	case 1:
		s.ip6.saddr[4 * (r % 4) + 3] ^= 1;
		break;
	case 2:
		s.ip6.daddr[4 * (r % 4)] ^= 0x80;
		break;
	case 3:
		s.tcp.dport++;
		break;
	case 4:
		s.l4 = SL_PKT_UDP, s.ip6.upper = 17, s.udp.dport = h->dport[r];
		break;
	}
	assert_int_equal(sl_pkt_build(&s, p), 0);
	return true;
}

static void ip6_host_pairs_match_the_interpreter(void **state)
{
	static struct host_pairs h;
	_cleanup_free_ char *text = host_pairs_policy(&h);
	struct compiled c;

	(void)state;
	assert_int_equal(compile(text, SL_CLASSIFIER_AUTO, 2, &c), 0);
	assert_true(c.walks == 1 && !c.inline_trees); /* nine dimensions: more than key registers */
	run_frames(&c, next_host_frame, &h, "ip6 host pairs");
	compiled_fini(&c);
}

/*
 * Short runs stay early-exit code; where their rules all test the source
 * address for one value first, the chunk opens with a binary search over
 * the values (codegen_linear.c). Groups of 12 such rules (values repeated,
 * so the first of several rules with one value must win), each ended by a
 * jump; packets of every rule, one port off, of a value no rule has, and
 * without an IPv4 source.
 */
#define DISPATCH_GROUPS	     4
#define DISPATCH_GROUP_RULES 12

static char *dispatch_policy(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "table t {\n\thook xdp\n\tpolicy drop\n");
	for (unsigned g = 0; g < DISPATCH_GROUPS; g++) {
		for (unsigned i = 0; i < DISPATCH_GROUP_RULES; i++) {
			unsigned r = g * DISPATCH_GROUP_RULES + i;

			fprintf(f, "\tip saddr 10.0.%u.%u tcp dport %u %s%s\n", g, 1 + (i * 7) % 5,
				1000 + r % 3, i % 4 ? "" : "counter ", r % 2 ? "drop" : "accept");
		}
		fprintf(f, "\tip daddr 192.168.%u.0/24 jump c\n", g);
	}
	fprintf(f, "}\nchain c {\n\ttcp sport 7 accept\n}\n");
	fclose(f);
	return buf;
}

/* Packet i: group, source value (6: none has it), port, IPv4 or IPv6 (no IPv4 source). */
static bool next_dispatch_frame(void *arg, uint32_t i, struct sl_pkt *p)
{
	struct sl_pkt_spec s;
	uint32_t g = i / 48, v = 1 + i % 6, port = 1000 + (i / 6) % 4, ip6 = (i / 24) % 2;

	(void)arg;
	if (g >= DISPATCH_GROUPS + 1)
		return false;
	sl_pkt_spec_init(&s);
	s.ip.saddr = 0x0a000000 | g << 8 | v;
	s.ip.daddr = 0xc0a80000 | (g + 1) << 8;
	s.tcp.sport = 7;
	s.tcp.dport = (uint16_t)port;
	if (ip6) {
		s.l3 = SL_PKT_IPV6;
		s.ip6.upper = 6;
		s.ip6.saddr[15] = (uint8_t)v;
	}
	assert_int_equal(sl_pkt_build(&s, p), 0);
	return true;
}

static void value_dispatch_keeps_the_first_match(void **state)
{
	_cleanup_free_ char *text = dispatch_policy();
	struct compiled c;

	(void)state;
	assert_int_equal(compile(text, SL_CLASSIFIER_AUTO, 2, &c), 0);
	assert_true(!c.walks && !c.inline_trees);
	run_frames(&c, next_dispatch_frame, NULL, "value dispatch -O2");
	compiled_fini(&c);
	assert_int_equal(compile(text, SL_CLASSIFIER_AUTO, 0, &c), 0);
	run_frames(&c, next_dispatch_frame, NULL, "value dispatch -O0");
	compiled_fini(&c);
}

/*
 * A run whose tables do not fit is cut at a deciding rule into walks of about
 * half its rules, each answering only for the packets the ones before leave
 * undecided: fw1 10k with tables of at most 128 KiB (its records alone are
 * 313 KB) becomes several walks, and every answer must stay the first match.
 */
static void oversized_runs_are_cut_into_walks(void **state)
{
	struct cb_set set;
	struct cb_trace trace;
	struct compiled c;
	_cleanup_free_ char *text = NULL;

	(void)state;
	if (!cb_dir())
		skip();
	load_set_and_trace("fw1_10000", &set, &trace);
	text = policy_text(&set, set.nrules, true, CB_IP4);
	assert_int_equal(compile_max(text, SL_CLASSIFIER_TREE, 2, 128u << 10, &c), 0);
	assert_true(c.walks >= 3);
	run_trace(&c, &trace, CB_IP4, "fw1_10000 cut");
	compiled_fini(&c);
	cb_trace_fini(&trace);
	cb_set_fini(&set);
}

/*
 * All of fw1_10000 at -O2: 8 trees of equal cuts need 460k-690k
 * instructions and 16 of them ran slower than a few trees of binary splits,
 * so the cost model takes at most 8 split trees as inline code (not the walk,
 * not 16 cut trees), and the verifier must take them.
 */
static void fw1_10k_is_few_inline_split_trees(void **state)
{
	struct cb_set set;
	struct compiled c;
	struct sl_kern_prog prog;
	_cleanup_free_ char *text = NULL;
	char *log = NULL;

	(void)state;
	if (!cb_dir())
		skip();
	assert_int_equal(cb_load_set("fw1_10000", &set), 0);
	text = policy_text(&set, set.nrules, false, CB_IP4);
	assert_int_equal(compile(text, SL_CLASSIFIER_AUTO, 2, &c), 0);
	printf("fw1_10000 auto: %u inline trees, %u walks\n", c.code_trees, c.walks);
	assert_true(c.inline_trees && !c.walks);
	assert_true(c.code_trees <= 8);
	if (sl_kern_load_elf(c.image, c.size, NULL, &prog, &log))
		fail_msg("load failed: %s",
			 log && strlen(log) > 2000 ? log + strlen(log) - 2000 : log);
	free(log);
	sl_kern_prog_close(&prog);
	compiled_fini(&c);
	cb_set_fini(&set);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mixed_chains_match_interpreter),
	    cmocka_unit_test(classbench_walks_match_interpreter),
	    cmocka_unit_test(classbench_ip6_match_interpreter),
	    cmocka_unit_test(oversized_runs_are_cut_into_walks),
	    cmocka_unit_test(ip6_host_pairs_match_the_interpreter),
	    cmocka_unit_test(value_dispatch_keeps_the_first_match),
	    cmocka_unit_test(fw1_10k_is_few_inline_split_trees),
	};
	char why[256];

	if (!sl_kern_usable(why, sizeof(why)))
		return sl_kern_skip(argv[0], why);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
