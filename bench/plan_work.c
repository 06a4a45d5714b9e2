// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice-plan-work: what the classifier sluice -O2 chose does per packet.
 *
 * Compiles a policy as `sluice build -q -O2` does, through libsluice
 * (sl_compile_observed: the whole pipeline, codegen's plan_seen hook on), and
 * keeps the plan of every run that became a table walk or inline code trees:
 * the very trees whose tables or code go into the object.
 * Every trace header is then built into the bench's packet, parsed by the
 * reference interpreter's packet parser, and walked through the plans in
 * program order with sl_dt_lookup(), which walks the serialised trees
 * exactly as the emitted BPF does and counts its work: trees walked (not
 * skipped by their min_box), node visits (inner nodes and the leaf) and box
 * checks (leaf entries tested in full). A packet that no plan decides falls
 * to the next plan, then to the policy. The verdict each packet gets this
 * way is held against the naive first-match scan of the ClassBench file, so
 * the counts are those of a correct classification.
 *
 * With --times FILE (sluice-bench measure --per-packet: variant,index,ns),
 * it also fits ns = c0 + c_tree * trees + c_node * visits + c_box * checks
 * by least squares over the packets timed for --variant (fit_*), and
 * ns = c0 + c_step * (visits + checks) (fit2_*); the same file's --probe
 * variant (probe-hash) gives the one-lookup yardstick per packet.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classbench.h"
#include "lib/compile.h"
#include "interp/interp.h"
#include "ir/iset.h"
#include "packet.h"
#include "select/select.h"

#define MAX_PLANS 64

/* plan_seen: copy what the lookups need; emit frees the plan afterwards. */
struct kept_plan {
	struct sl_cls_problem p; /* field, word, hoisted, pins; prob not used */
	struct sl_dt *dt;
	bool code;
	uint32_t first, n;
};

struct kept {
	struct kept_plan v[MAX_PLANS];
	size_t n;
	bool overflow;
};

static void keep_plan(void *ctx, struct sl_sel_plan *plan)
{
	struct kept *k = ctx;
	struct kept_plan *kp;

	if (k->n == MAX_PLANS) {
		k->overflow = true;
		return;
	}
	kp = &k->v[k->n++];
	kp->p = plan->p;
	kp->code = plan->code;
	kp->first = plan->first;
	kp->n = plan->n;
	/* The tree and the problem's arrays die with the plan: steal the tree, copy the rest. */
	kp->dt = plan->dt;
	plan->dt = NULL;
	kp->p.hoisted = malloc((plan->p.nhoisted + 1) * sizeof(*kp->p.hoisted));
	if (kp->p.hoisted)
		memcpy(kp->p.hoisted, plan->p.hoisted, plan->p.nhoisted * sizeof(*kp->p.hoisted));
	kp->p.posts = NULL;
	kp->p.lo = kp->p.hi = NULL;
	kp->p.need = kp->p.payload = NULL;
}

/* The walk's key of dimension d, or false when the packet lacks the field. */
static bool dim_value(const struct sl_cls_problem *p, unsigned d, const struct sl_interp_fields *f,
		      uint64_t *out)
{
	enum sl_field fld = p->field[d];
	sl_u128 v;

	if (fld == SL_FIELD_TH_SPORT || fld == SL_FIELD_TH_DPORT) {
		/* classify.h: whichever of the th, tcp and udp ports the packet has */
		bool s = fld == SL_FIELD_TH_SPORT;
		enum sl_field alt[3] = {fld, s ? SL_FIELD_TCP_SPORT : SL_FIELD_TCP_DPORT,
					s ? SL_FIELD_UDP_SPORT : SL_FIELD_UDP_DPORT};

		for (unsigned i = 0; i < 3; i++)
			if (f->present[alt[i]]) {
				*out = (uint64_t)f->value[alt[i]];
				return true;
			}
		return false;
	}
	if (!f->present[fld])
		return false;
	v = f->value[fld];
	if (sl_field_info(fld)->bits == 128)
		v = (v >> (32 * (3 - p->word[d]))) & 0xffffffffu;
	*out = (uint64_t)v;
	return true;
}

struct work {
	uint32_t plans, trees, visits, checks;
	bool decided;
	uint32_t payload;
};

/* Walk one plan; false when a hoisted test fails (no walk) or nothing matches. */
static bool walk_plan(const struct kept_plan *kp, const struct sl_interp_fields *f, struct work *w)
{
	const struct sl_cls_problem *p = &kp->p;
	uint64_t value[SL_DT_MAX_DIMS] = {0};
	uint32_t absent = 0, box;
	struct sl_dt_trace t = {0};

	for (uint32_t k = 0; k < p->nhoisted; k++) {
		const struct sl_ir_pred *h = p->hoisted[k];

		if (!f->present[h->field] || !sl_iset_contains(h->set, f->value[h->field]))
			return false;
	}
	for (unsigned d = 0; d < p->prob.ndims; d++)
		if (!dim_value(p, d, f, &value[d]))
			absent |= 1u << d;
	for (uint32_t i = 0; i < p->npins; i++) {
		const struct sl_cls_pin *pin = &p->pin[i];
		enum sl_field fld = p->field[pin->carrier];

		for (unsigned wd = 0; wd < pin->nwords; wd++)
			if (!f->present[fld] ||
			    ((f->value[fld] >> (32 * (3 - wd))) & 0xffffffffu) != pin->value[wd])
				absent |= 1u << pin->carrier;
	}
	w->plans++;
	box = sl_dt_lookup(kp->dt, value, absent, &t);
	w->trees += t.trees;
	w->visits += t.node_visits;
	w->checks += t.box_checks;
	if (box == SL_DT_NONE)
		return false;
	w->payload = sl_dt_payload(kp->dt, box);
	return true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(uint32_t *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	return n ? v[(size_t)(q * (double)(n - 1) + 0.5)] : 0;
}

/* Solve the k x k normal equations a x = b (Gaussian elimination, partial pivoting). */
static int solve(double a[4][4], double b[4], unsigned k, double x[4])
{
	for (unsigned c = 0; c < k; c++) {
		unsigned piv = c;

		for (unsigned r = c + 1; r < k; r++)
			if (fabs(a[r][c]) > fabs(a[piv][c]))
				piv = r;
		if (fabs(a[piv][c]) < 1e-9)
			return -1;
		for (unsigned j = 0; j < k; j++) {
			double t = a[c][j];

			a[c][j] = a[piv][j];
			a[piv][j] = t;
		}
		double t = b[c];

		b[c] = b[piv];
		b[piv] = t;
		for (unsigned r = 0; r < k; r++) {
			double m;

			if (r == c)
				continue;
			m = a[r][c] / a[c][c];
			for (unsigned j = 0; j < k; j++)
				a[r][j] -= m * a[c][j];
			b[r] -= m * b[c];
		}
	}
	for (unsigned c = 0; c < k; c++)
		x[c] = b[c] / a[c][c];
	return 0;
}

struct opts {
	const char *rules, *trace, *policy, *out, *times, *variant, *probe, *label;
	size_t limit;
};

static void usage(FILE *f)
{
	fputs("usage: sluice-plan-work --rules FILE [-n N] --trace FILE [--out CSV]\n"
	      "         [--times CSV --variant NAME --probe NAME] [--label TEXT] POLICY\n"
	      "  POLICY is classbench2sluice's policy of the same rules (ip4).\n"
	      "  Prints one summary line (key=value); --out writes per packet:\n"
	      "  index,plans,trees,visits,checks. --times: sluice-bench measure\n"
	      "  --per-packet's file; fits ns per tree, node visit and box check.\n",
	      f);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"rules", required_argument, NULL, 'r'}, {"limit", required_argument, NULL, 'n'},
	    {"trace", required_argument, NULL, 't'}, {"out", required_argument, NULL, 'o'},
	    {"times", required_argument, NULL, 'T'}, {"variant", required_argument, NULL, 'V'},
	    {"probe", required_argument, NULL, 'P'}, {"label", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},	     {0}};
	int c;

	while ((c = getopt_long(argc, argv, "n:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->rules = optarg;
			break;
		case 'n':
			o->limit = strtoul(optarg, NULL, 10);
			break;
		case 't':
			o->trace = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'T':
			o->times = optarg;
			break;
		case 'V':
			o->variant = optarg;
			break;
		case 'P':
			o->probe = optarg;
			break;
		case 'L':
			o->label = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind + 1 != argc || !o->rules || !o->trace ||
	    (o->times && (!o->variant || !o->probe))) {
		usage(stderr);
		return -EINVAL;
	}
	o->policy = argv[optind];
	return 0;
}

/* Per packet ns of two variants from a --per-packet file (NaN: not timed). */
static int load_times(const struct opts *o, size_t n, double *ns, double *probe)
{
	FILE *f = fopen(o->times, "r");
	char line[512];
	size_t idx;
	double v;

	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		ns[i] = probe[i] = NAN;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ','), *c2;

		if (!c1)
			continue;
		*c1 = 0;
		c2 = strchr(c1 + 1, ',');
		if (!c2 || sscanf(c1 + 1, "%zu", &idx) != 1 || sscanf(c2 + 1, "%lf", &v) != 1 ||
		    idx >= n)
			continue;
		if (!strcmp(line, o->variant))
			ns[idx] = v;
		else if (!strcmp(line, o->probe))
			probe[idx] = v;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct sl_sources srcs;
	struct sl_diag diag;
	struct cb_rules rules = {0};
	struct cb_trace trace = {0};
	struct sl_compile_opts copts = {.opt_level = 2};
	struct sl_result *res = NULL;
	struct kept kept = {0};
	uint32_t *trees, *visits, *checks, *steps;
	double sum_t = 0, sum_v = 0, sum_c = 0;
	size_t wrong = 0, nplans_walk = 0, nplans_code = 0, ntrees = 0;
	FILE *out = NULL;
	int r;

	if (parse_args(argc, argv, &o))
		return 2;
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	if (cb_rules_load(o.rules, o.limit, &srcs, &diag, &rules) ||
	    cb_trace_load(o.trace, &srcs, &diag, &trace))
		return 1;
	copts.quiet_warnings = true;
	/* `sluice build -q -O2`, keeping each plan as codegen emits it */
	r = sl_compile_observed(o.policy, NULL, 0, &copts, keep_plan, &kept, &res);
	if (r != SL_COMPILE_OK || !res || kept.overflow) {
		fprintf(stderr,
			"sluice-plan-work: %s does not compile (or has more than %d plans)\n",
			o.policy, MAX_PLANS);
		return 1;
	}
	for (size_t i = 0; i < kept.n; i++) {
		*(kept.v[i].code ? &nplans_code : &nplans_walk) += 1;
		ntrees += kept.v[i].dt->ntrees;
	}
	trees = calloc(trace.n + 1, sizeof(*trees));
	visits = calloc(trace.n + 1, sizeof(*visits));
	checks = calloc(trace.n + 1, sizeof(*checks));
	steps = calloc(trace.n + 1, sizeof(*steps));
	if (!trees || !visits || !checks || !steps)
		return 1;
	if (o.out && !(out = fopen(o.out, "w"))) {
		perror(o.out);
		return 1;
	}
	if (out)
		fputs("index,plans,trees,visits,checks\n", out);
	for (size_t i = 0; i < trace.n; i++) {
		uint8_t buf[CB_PACKET_MAX];
		struct sl_interp_packet pkt = {.hook = SL_HOOK_XDP, .data = buf};
		struct sl_interp_fields f;
		struct work w = {0};
		long want = cb_first_match(&rules, &trace.v[i]);
		bool drop;

		pkt.len = cb_packet_build(&trace.v[i], CB_IP4, buf);
		sl_interp_parse(&pkt, &f);
		for (size_t k = 0; k < kept.n && !w.decided; k++)
			w.decided = walk_plan(&kept.v[k], &f, &w);
		/* the policy is drop (classbench2sluice); a box's payload says its verdict */
		drop = !w.decided || (w.payload & SL_CLS_PAYLOAD_DROP);
		if (drop != (want < 0 || cb_rule_drops((size_t)want)))
			wrong++;
		trees[i] = w.trees;
		visits[i] = w.visits;
		checks[i] = w.checks;
		sum_t += w.trees;
		sum_v += w.visits;
		sum_c += w.checks;
		if (out)
			fprintf(out, "%zu,%u,%u,%u,%u\n", i, w.plans, w.trees, w.visits, w.checks);
	}
	if (out)
		fclose(out);
	printf("label=%s rules=%zu packets=%zu walk_plans=%zu code_plans=%zu trees=%zu "
	       "wrong_verdicts=%zu",
	       o.label ? o.label : o.policy, rules.n, trace.n, nplans_walk, nplans_code, ntrees,
	       wrong);
	printf(" trees_mean=%.2f visits_mean=%.2f checks_mean=%.2f", sum_t / trace.n,
	       sum_v / trace.n, sum_c / trace.n);
	printf(" trees_median=%.0f visits_median=%.0f visits_p90=%.0f checks_median=%.0f "
	       "checks_p90=%.0f",
	       pct(trees, trace.n, 0.5), pct(visits, trace.n, 0.5), pct(visits, trace.n, 0.9),
	       pct(checks, trace.n, 0.5), pct(checks, trace.n, 0.9));
	if (o.times) {
		double *ns = calloc(trace.n + 1, sizeof(*ns)),
		       *pr = calloc(trace.n + 1, sizeof(*pr));
		double a[4][4] = {{0}}, b[4] = {0}, x[4] = {0}, sum_ns = 0, sum_pr = 0;
		double a2[4][4] = {{0}}, b2[4] = {0}, x2[4] = {0};
		size_t m = 0, mp = 0;

		if (!ns || !pr || load_times(&o, trace.n, ns, pr)) {
			fprintf(stderr, "sluice-plan-work: cannot read %s\n", o.times);
			return 1;
		}
		/* the per-packet counts were sorted by pct(): recount from the CSV-free path */
		for (size_t i = 0; i < trace.n; i++) {
			uint8_t buf[CB_PACKET_MAX];
			struct sl_interp_packet pkt = {.hook = SL_HOOK_XDP, .data = buf};
			struct sl_interp_fields f;
			struct work w = {0};
			double row[4];

			if (!isnan(pr[i])) {
				sum_pr += pr[i];
				mp++;
			}
			if (isnan(ns[i]))
				continue;
			pkt.len = cb_packet_build(&trace.v[i], CB_IP4, buf);
			sl_interp_parse(&pkt, &f);
			for (size_t k = 0; k < kept.n && !w.decided; k++)
				w.decided = walk_plan(&kept.v[k], &f, &w);
			row[0] = 1;
			row[1] = w.trees;
			row[2] = w.visits;
			row[3] = w.checks;
			for (unsigned p = 0; p < 4; p++) {
				for (unsigned q = 0; q < 4; q++)
					a[p][q] += row[p] * row[q];
				b[p] += row[p] * ns[i];
			}
			/* one step = a node visit or a box check */
			row[1] = w.visits + w.checks;
			for (unsigned p = 0; p < 2; p++) {
				for (unsigned q = 0; q < 2; q++)
					a2[p][q] += row[p] * row[q];
				b2[p] += row[p] * ns[i];
			}
			sum_ns += ns[i];
			m++;
		}
		printf(" timed=%zu ns_mean=%.1f probe_ns_mean=%.1f", m, m ? sum_ns / m : 0,
		       mp ? sum_pr / mp : 0);
		if (m >= 8 && !solve(a, b, 4, x))
			printf(" fit_c0=%.2f fit_tree=%.2f fit_visit=%.2f fit_check=%.2f", x[0],
			       x[1], x[2], x[3]);
		else
			printf(" fit=none");
		if (m >= 8 && !solve(a2, b2, 2, x2))
			printf(" fit2_c0=%.2f fit2_step=%.2f", x2[0], x2[1]);
		free(ns);
		free(pr);
	}
	printf("\n");
	for (size_t i = 0; i < kept.n; i++) {
		sl_dt_free(kept.v[i].dt);
		free(kept.v[i].p.hoisted);
	}
	free(trees);
	free(visits);
	free(checks);
	free(steps);
	sl_result_free(res);
	cb_trace_free(&trace);
	cb_rules_free(&rules);
	sl_sources_fini(&srcs);
	return wrong ? 3 : 0;
}
