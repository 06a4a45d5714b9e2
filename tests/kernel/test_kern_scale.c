// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scale: the first N rules of a ClassBench set, compiled at -O0, must load
 * (verifier cost linear in N, jumps beyond 16 bits relaxed), and the kernel's
 * decision for trace headers must be the naive first match's.
 *
 *   test_kern_scale RULE-FILE N [TRACE-FILE [HEADERS]]
 *
 * Prints instructions, verifier-processed instructions, codegen and load time.
 * A missing rule file skips (77): the sets live outside the repository
 * (the build's SLUICE_SHARED_DIR/classbench, ../shared/classbench by default).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classbench.h"
#include "kt.h"
#include "packet.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void add_prefix(struct sl_ir *ir, uint32_t r, enum sl_field f, uint32_t v, unsigned len)
{
	uint32_t mask = cb_prefix_mask(len);

	if (len)
		sl_irb_pred(ir, r, f, v & mask, (v & mask) | ~mask);
}

static void add_ports(struct sl_ir *ir, uint32_t r, enum sl_field f, uint16_t lo, uint16_t hi)
{
	if (!cb_ports_wild(lo, hi))
		sl_irb_pred(ir, r, f, lo, hi);
}

/* Rule i as classbench2sluice writes it; ids[k] = index in the file of IR rule k. */
static struct sl_ir *build(struct sl_arena *a, const struct cb_rules *rules, uint32_t *ids)
{
	struct sl_ir *ir = sl_irb_new(a, "classbench");
	uint32_t t = sl_irb_table(ir, "cb", SL_HOOK_XDP, SL_VERDICT_DROP);
	uint32_t c = sl_irb_entry(ir, t);

	for (size_t i = 0; i < rules->n; i++) {
		const struct cb_rule *cr = &rules->v[i];
		bool ports = !cb_ports_wild(cr->sport_lo, cr->sport_hi) ||
			     !cb_ports_wild(cr->dport_lo, cr->dport_hi);

		if (!cb_rule_satisfiable(cr))
			continue;
		uint32_t r =
		    sl_irb_rule(ir, c, cb_rule_drops(i) ? SL_IR_DROP : SL_IR_ACCEPT, 0, false);

		ids[r] = (uint32_t)i;
		sl_irb_pred(ir, r, SL_FIELD_META_PROTOCOL, SL_ETH_P_IP, SL_ETH_P_IP);
		add_prefix(ir, r, SL_FIELD_IP_SADDR, cr->src, cr->src_len);
		add_prefix(ir, r, SL_FIELD_IP_DADDR, cr->dst, cr->dst_len);
		if (!cr->proto_any) {
			enum sl_field sp =
			    cr->proto == CB_PROTO_TCP ? SL_FIELD_TCP_SPORT : SL_FIELD_UDP_SPORT;
			enum sl_field dp =
			    cr->proto == CB_PROTO_TCP ? SL_FIELD_TCP_DPORT : SL_FIELD_UDP_DPORT;

			sl_irb_pred(ir, r, SL_FIELD_META_L4PROTO, cr->proto, cr->proto);
			add_ports(ir, r, sp, cr->sport_lo, cr->sport_hi);
			add_ports(ir, r, dp, cr->dport_lo, cr->dport_hi);
		} else if (ports) {
			sl_irb_pred(ir, r, SL_FIELD_META_L4PROTO, CB_PROTO_TCP, CB_PROTO_TCP);
			sl_irb_pred(ir, r, SL_FIELD_META_L4PROTO, CB_PROTO_UDP, CB_PROTO_UDP);
			add_ports(ir, r, SL_FIELD_TH_SPORT, cr->sport_lo, cr->sport_hi);
			add_ports(ir, r, SL_FIELD_TH_DPORT, cr->dport_lo, cr->dport_hi);
		}
	}
	return ir;
}

static void check_trace(struct kt *kt, struct sl_kern_prog *prog, const struct cb_rules *rules,
			const char *path, size_t max, const uint32_t *ids, uint32_t nids)
{
	struct sl_sources srcs;
	struct sl_diag diag;
	struct cb_trace trace = {0};
	struct sl_pkt p;
	size_t done = 0;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	if (cb_trace_load(path, &srcs, &diag, &trace)) {
		kt_expect(kt, false, "cannot load trace %s", path);
		sl_sources_fini(&srcs);
		return;
	}
	for (size_t i = 0; i < trace.n && done < max; i++, done++) {
		long want = cb_first_match_hinted(rules, &trace.v[i]);
		uint32_t rule = SLUICE_DECISION_POLICY;

		for (uint32_t k = 0; want >= 0 && k < nids; k++) {
			if (ids[k] == (uint32_t)want) {
				rule = k;
				break;
			}
		}
		p.len = cb_packet_build(&trace.v[i], CB_IP4, p.data);
		kt_decision(kt, prog, &p, p.len, rule, "trace header %zu (file rule %ld)", i, want);
	}
	cb_trace_free(&trace);
	sl_sources_fini(&srcs);
}

int main(int argc, char **argv)
{
	struct sl_sources srcs;
	struct sl_diag diag;
	struct cb_rules rules = {0};
	struct sl_codegen_opts opts = {.record_decisions = true};
	struct sl_bpf_object *obj;
	struct sl_kern_prog prog;
	struct kt kt;
	char *log = NULL;
	int code, err;

	if (argc < 3) {
		fprintf(stderr, "usage: %s RULE-FILE N [TRACE-FILE [HEADERS]]\n", argv[0]);
		return 2;
	}
	if (!kt_begin(&kt, "test_kern_scale", &code))
		return code;
	if (access(argv[1], R_OK)) {
		fprintf(stderr, "test_kern_scale: skipped: no rule set %s\n", argv[1]);
		return SL_KERN_SKIP;
	}
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	if (cb_rules_load(argv[1], strtoul(argv[2], NULL, 10), &srcs, &diag, &rules))
		return 1;

	/* SLUICE_SCALE_NO_DECISIONS=1: measure the object as shipped (no decision map). */
	opts.record_decisions = !getenv("SLUICE_SCALE_NO_DECISIONS");

	_cleanup_arena_ struct sl_arena *a = sl_arena_new();
	uint32_t *ids = calloc(rules.n + 1, sizeof(*ids));
	struct sl_ir *ir = build(a, &rules, ids);
	double t0 = now_ms();

	err = sl_codegen(ir, &opts, a, &diag, &obj);
	double t1 = now_ms();

	if (err) {
		fprintf(stderr, "codegen failed: %d\n", err);
		return 1;
	}
	err = sl_kern_load_raw(obj, 0, &prog, &log);
	double t2 = now_ms();

	if (err) {
		size_t n = log ? strlen(log) : 0;

		fprintf(stderr, "load failed: %s\n%s\n", strerror(-err),
			log ? log + (n > 4000 ? n - 4000 : 0) : "");
		return 1;
	}
	free(log);
	printf("%s: %u rules: %u insns, verifier processed %u insns (%.2f per insn), "
	       "codegen %.1f ms, load %.1f ms\n",
	       argv[1], ir->nrules, obj->progs[0].ninsns, prog.verified_insns,
	       (double)prog.verified_insns / obj->progs[0].ninsns, t1 - t0, t2 - t1);
	/*
	 * Linear: each instruction is verified a bounded number of times (parse
	 * paths aside). Early-exit code walks about 2.3 times its size: a rule
	 * whose later test fails walks a few first tests again up to a stored state.
	 */
	kt_expect(&kt, prog.verified_insns < 3 * obj->progs[0].ninsns + 20000,
		  "verifier cost %u not linear in %u insns", prog.verified_insns,
		  obj->progs[0].ninsns);
	if (argc > 3 && !access(argv[3], R_OK) && opts.record_decisions)
		check_trace(&kt, &prog, &rules, argv[3],
			    argc > 4 ? strtoul(argv[4], NULL, 10) : 1000, ids, ir->nrules);
	sl_kern_prog_close(&prog);
	free(ids);
	cb_rules_free(&rules);
	sl_sources_fini(&srcs);
	return kt_end(&kt);
}
