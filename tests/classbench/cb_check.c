// SPDX-License-Identifier: GPL-2.0-only
/*
 * ClassBench cross-check: a ClassBench rule set converted to a sluice policy
 * (bench's classbench2sluice), evaluated over its trace by three parties
 * that must agree on every packet:
 *   1. a naive first-match scan over the ClassBench file itself (below,
 *      independent of the compiler, the converter and the interpreter),
 *   2. the reference interpreter on the converted policy,
 *   3. the compiled object in the kernel (BPF_PROG_TEST_RUN), at each level
 *      asked for and with each forced classifier mode at -O2, with decision
 *      recording so the deciding rule is compared too.
 * Rule i (0-based) accepts when i is even, drops when odd; default drop.
 *
 * The kernel is held to the naive scan on every packet. The interpreter, a
 * linear walk that costs milliseconds per packet at 100,000 rules, is run on
 * every --interp-every'th packet, and the kernel is held to it there too.
 *
 * usage: cb_check [--levels 0,1,2] [--if-fits 0,1] [--classifiers tree,code]
 *                 [--interp-every K] CLASSBENCH2SLUICE RULES TRACE
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "kern.h"

/* Lines before the first rule in classbench2sluice's output. */
#define FIRST_RULE_LINE 6
#define NO_MATCH	UINT32_MAX

struct cb_rule {
	uint32_t src, src_mask, dst, dst_mask;
	uint32_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint32_t proto, proto_mask;
};

struct cb_header {
	uint32_t src, dst, sport, dport, proto;
};

static uint32_t prefix_mask(unsigned len)
{
	return len ? ~0u << (32 - len) : 0;
}

static int load_rules(const char *path, struct cb_rule **out, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t cap = 0;

	if (!f)
		return -errno;
	*out = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned s[4], d[4], sl, dl, splo, sphi, dplo, dphi, proto, pmask;
		if (sscanf(line, "@%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x", &s[0],
			   &s[1], &s[2], &s[3], &sl, &d[0], &d[1], &d[2], &d[3], &dl, &splo, &sphi,
			   &dplo, &dphi, &proto, &pmask) != 16) {
			fprintf(stderr, "cb_check: %s:%zu: cannot read the rule\n", path, *n + 1);
			fclose(f);
			return -EINVAL;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof(**out));
			if (!*out)
				abort();
		}
		struct cb_rule *r = &(*out)[(*n)++];
		r->src_mask = prefix_mask(sl);
		r->dst_mask = prefix_mask(dl);
		r->src = (s[0] << 24 | s[1] << 16 | s[2] << 8 | s[3]) & r->src_mask;
		r->dst = (d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]) & r->dst_mask;
		r->sport_lo = splo, r->sport_hi = sphi, r->dport_lo = dplo, r->dport_hi = dphi;
		r->proto = proto, r->proto_mask = pmask;
	}
	fclose(f);
	return 0;
}

static int load_trace(const char *path, struct cb_header **out, size_t *n)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	unsigned long long v[7];

	if (!f)
		return -errno;
	*out = NULL;
	*n = 0;
	while (fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		      &v[5], &v[6]) == 7) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof(**out));
			if (!*out)
				abort();
		}
		(*out)[(*n)++] = (struct cb_header){v[0], v[1], v[2], v[3], v[4]};
	}
	/*
	 * Every header twice more: as ICMP (no ports: port rules cannot match it)
	 * and with a few address bits flipped (to reach prefix edges and the
	 * default verdict). Deterministic.
	 */
	size_t orig = *n;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	*out = realloc(*out, 3 * (orig ? orig : 1) * sizeof(**out));
	if (!*out)
		abort();
	for (size_t i = 0; i < orig; i++) {
		struct cb_header h = (*out)[i];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		(*out)[orig + 2 * i] = (struct cb_header){h.src, h.dst, 0, 0, 1};
		h.src ^= 1u << (x % 32);
		h.dst ^= 1u << ((x >> 8) % 32);
		(*out)[orig + 2 * i + 1] = h;
	}
	*n = 3 * orig;
	fclose(f);
	return 0;
}

static bool has_ports(uint32_t proto)
{
	return proto == 6 || proto == 17;
}

/*
 * The naive scan. A header has ports only as TCP or UDP; a rule whose port
 * ranges are not the whole 0-65535 needs them.
 */
static uint32_t naive_first_match(const struct cb_rule *rules, size_t n, const struct cb_header *h)
{
	for (size_t i = 0; i < n; i++) {
		const struct cb_rule *r = &rules[i];
		bool any_ports = r->sport_lo == 0 && r->sport_hi == 65535 && r->dport_lo == 0 &&
				 r->dport_hi == 65535;

		if ((h->src & r->src_mask) != r->src || (h->dst & r->dst_mask) != r->dst)
			continue;
		if ((h->proto & r->proto_mask) != (r->proto & r->proto_mask))
			continue;
		if (!any_ports) {
			if (!has_ports(h->proto))
				continue;
			if (h->sport < r->sport_lo || h->sport > r->sport_hi ||
			    h->dport < r->dport_lo || h->dport > r->dport_hi)
				continue;
		}
		return i;
	}
	return NO_MATCH;
}

/* Ethernet + IPv4 + TCP (20 bytes) or UDP (8 bytes) or nothing for other protocols. */
static size_t build_frame(const struct cb_header *h, uint8_t *b)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
	size_t l4 = h->proto == 6 ? 20 : h->proto == 17 ? 8 : 0;
	size_t len = 14 + 20 + l4;

	memset(b, 0, len);
	memcpy(b, eth, 14);
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	ip[2] = (20 + l4) >> 8, ip[3] = (20 + l4) & 0xff;
	ip[8] = 64;
	ip[9] = h->proto;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = h->src >> (24 - 8 * i);
		ip[16 + i] = h->dst >> (24 - 8 * i);
	}
	if (l4) {
		uint8_t *th = ip + 20;
		th[0] = h->sport >> 8, th[1] = h->sport & 0xff;
		th[2] = h->dport >> 8, th[3] = h->dport & 0xff;
		if (h->proto == 6)
			th[12] = 0x50;
		else
			th[5] = 8;
	}
	return len;
}

/* Rule id -> ClassBench index, from the rule's line in the converted policy. */
static uint32_t *cb_index_table(const struct sl_ir *ir)
{
	uint32_t *index = malloc((ir->nrules + 1) * sizeof(*index));

	if (!index)
		abort();
	for (uint32_t id = 0; id < ir->nrules; id++)
		index[id] = NO_MATCH - 1;
	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			const struct sl_ir_rule *r = &ir->chains[c].rules[i];
			if (r->id < ir->nrules)
				index[r->id] = r->loc.line - FIRST_RULE_LINE;
		}
	}
	return index;
}

static uint32_t cb_index(const uint32_t *index, const struct sl_ir *ir, uint32_t id)
{
	if (id == SL_INTERP_POLICY)
		return NO_MATCH;
	return id < ir->nrules ? index[id] : NO_MATCH - 1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

static int convert(const char *tool, const char *rules, const char *out)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl(tool, tool, "-o", out, rules, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}

struct options {
	unsigned levels;  /* bit L: -OL must compile and load */
	unsigned if_fits; /* bit L: -OL is tried; "too large" is reported, not a failure */
	const char *classifiers[8]; /* forced at -O2, besides the cost model's choice */
	unsigned nclassifiers;
	unsigned interp_every;
	const char *tool, *rules_path, *trace_path;
};

struct check {
	const struct options *o;
	struct front f;
	const struct cb_rule *rules;
	size_t nrules;
	const struct cb_header *trace;
	size_t npkts;
	uint32_t *want;		       /* the naive scan's rule per packet */
	uint32_t *index;	       /* rule id -> ClassBench index */
	struct sl_interp_result *ires; /* on every interp_every'th packet */
	unsigned failures;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static enum sl_verdict verdict_of(uint32_t cb_rule)
{
	return cb_rule == NO_MATCH || cb_rule % 2 ? SL_VERDICT_DROP : SL_VERDICT_ACCEPT;
}

static void fail(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failures++ >= 10)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "cb_check: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* 1 vs 2: the naive scan on every packet, the interpreter on a sample. */
static void check_interpreter(struct check *c, unsigned *matched, size_t *interpreted)
{
	const struct sl_ir *ir = c->f.ir;
	uint8_t frame[64];

	for (size_t i = 0; i < c->npkts; i++) {
		c->want[i] = naive_first_match(c->rules, c->nrules, &c->trace[i]);
		*matched += c->want[i] != NO_MATCH;
		if (i % c->o->interp_every)
			continue;
		size_t len = build_frame(&c->trace[i], frame);
		struct sl_interp_packet p = {
		    .hook = ir->tables[0].hook, .data = frame, .len = len, .ifindex = 1};
		struct sl_interp_result *res = &c->ires[i];

		if (sl_interp_run(ir, 0, &p, res, NULL))
			abort();
		++*interpreted;
		if (res->verdict != verdict_of(c->want[i]) ||
		    cb_index(c->index, ir, res->rule) != c->want[i])
			fail(c, "%s packet %zu: naive scan: rule %d, interpreter: rule %d (%s)",
			     c->o->trace_path, i + 1, (int)c->want[i],
			     (int)cb_index(c->index, ir, res->rule), sl_verdict_name(res->verdict));
	}
}

/* Does the failure say "this program does not fit" (compiler or verifier)? */
static bool too_large(const char *text)
{
	return text && (strstr(text, "needs more than") || strstr(text, "program is too large"));
}

/*
 * 3 vs 1 and 2: compile at `level` with classifier `mode` (NULL: the cost
 * model's choice), load, run every packet. An `optional` level that does not
 * fit (compiler or verifier says so) is reported, not counted as a failure.
 */
static void check_kernel(struct check *c, int level, const char *mode, bool optional)
{
	const struct sl_ir *ir = c->f.ir;
	char name[48];
	struct back b;
	struct sl_kern_prog prog;
	char *log = NULL;
	uint8_t frame[64];
	size_t wrong = 0;
	double t0 = now_s(), t1, t2;
	int err;

	snprintf(name, sizeof(name), "-O%d%s%s", level, mode ? " --classifier=" : "",
		 mode ? mode : "");
	setenv("SLUICE_CLASSIFIER", mode ? mode : "auto", 1);
	if (!back_classifier_known()) {
		fail(c, "%s: this build does not know the classifier mode", name);
		return;
	}
	if (back_compile(&c->f, level, &b)) {
		if (optional && too_large(b.diag))
			printf("cb_check: %s: does not fit (the compiler says so)\n", name);
		else
			fail(c, "%s: compiling failed:\n%s", name, b.diag ? b.diag : "");
		back_free(&b);
		return;
	}
	t1 = now_s();
	if ((err = sl_kern_load_elf(b.image, b.size, b.prog_names[0], &prog, &log))) {
		size_t n = log ? strlen(log) : 0;
		if (optional && too_large(log))
			printf("cb_check: %s: does not fit (the verifier says so)\n", name);
		else
			fail(c, "%s: loading failed: %s\n%s", name, strerror(-err),
			     log ? log + (n > 3000 ? n - 3000 : 0) : "");
		free(log);
		back_free(&b);
		return;
	}
	free(log);
	t2 = now_s();
	for (size_t i = 0; i < c->npkts; i++) {
		size_t len = build_frame(&c->trace[i], frame);
		uint32_t ret, rule = 0;

		sl_kern_decision_set(&prog, 0xfeedf00d);
		if (sl_kern_run(&prog, frame, len, &ret) || sl_kern_decision(&prog, &rule)) {
			fprintf(stderr, "cb_check: test run failed: %s\n", strerror(errno));
			exit(1);
		}
		int v = sl_kern_retval_verdict(ir->tables[0].hook, ret);
		bool interpreted = i % c->o->interp_every == 0;
		uint32_t got = cb_index(c->index, ir, rule);

		if (v != (verdict_of(c->want[i]) == SL_VERDICT_ACCEPT) || got != c->want[i] ||
		    (interpreted && rule != c->ires[i].rule)) {
			wrong++;
			fail(
			    c,
			    "%s %s packet %zu: naive scan: rule %d, kernel: return code %u by rule "
			    "%d%s",
			    name, c->o->trace_path, i + 1, (int)c->want[i], ret, (int)got,
			    interpreted && rule != c->ires[i].rule ? " (not the interpreter's)"
								   : "");
		}
	}
	printf("cb_check: %s: %u insns verified, compile %.2f s, load %.2f s, %zu packets, %zu "
	       "wrong\n",
	       name, prog.verified_insns, t1 - t0, t2 - t1, c->npkts, wrong);
	fflush(stdout);
	sl_kern_prog_close(&prog);
	back_free(&b);
}

static unsigned parse_levels(const char *s)
{
	unsigned bits = 0;

	for (char *end; *s; s = end + (*end == ',')) {
		long l = strtol(s, &end, 10);
		if (end == s || l < 0 || l > 2 || (*end && *end != ','))
			return 0;
		bits |= 1u << l;
	}
	return bits;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"levels", required_argument, NULL, 'l'},
	    {"if-fits", required_argument, NULL, 'f'},
	    {"classifiers", required_argument, NULL, 'c'},
	    {"interp-every", required_argument, NULL, 'i'},
	    {0},
	};
	int opt;

	*o = (struct options){.levels = 7, .interp_every = 1};
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (!(o->levels = parse_levels(optarg)))
				return -EINVAL;
			break;
		case 'f':
			if (!(o->if_fits = parse_levels(optarg)))
				return -EINVAL;
			break;
		case 'c':
			for (char *m = strtok(optarg, ","); m; m = strtok(NULL, ",")) {
				if (o->nclassifiers == SL_ARRAY_SIZE(o->classifiers))
					return -EINVAL;
				o->classifiers[o->nclassifiers++] = m;
			}
			break;
		case 'i':
			o->interp_every = strtoul(optarg, NULL, 10);
			if (!o->interp_every)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	if (argc - optind != 3)
		return -EINVAL;
	o->levels &= ~o->if_fits;
	o->tool = argv[optind];
	o->rules_path = argv[optind + 1];
	o->trace_path = argv[optind + 2];
	return 0;
}

int main(int argc, char **argv)
{
	struct cb_rule *rules = NULL;
	struct cb_header *trace = NULL;
	size_t nrules = 0, npkts = 0, interpreted = 0;
	char why[256], tmp[] = "/tmp/sluice-cb-interp-XXXXXX";
	struct options o;
	struct check c;
	unsigned matched = 0;
	int err;

	if (parse_options(argc, argv, &o)) {
		fprintf(stderr, "usage: cb_check [--levels 0,1,2] [--if-fits 0,1] [--classifiers "
				"tree,code] [--interp-every K] CLASSBENCH2SLUICE RULES TRACE\n");
		return 2;
	}
	if ((err = load_rules(o.rules_path, &rules, &nrules)) ||
	    (err = load_trace(o.trace_path, &trace, &npkts))) {
		fprintf(stderr, "cb_check: cannot load %s / %s: %s\n", o.rules_path, o.trace_path,
			strerror(-err));
		return 1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return 1;
	close(fd);
	err = convert(o.tool, o.rules_path, tmp);
	char *text = err ? NULL : slurp(tmp);
	unlink(tmp);
	if (!text) {
		fprintf(stderr, "cb_check: converting %s with %s failed\n", o.rules_path, o.tool);
		return 1;
	}

	c = (struct check){
	    .o = &o, .rules = rules, .nrules = nrules, .trace = trace, .npkts = npkts};
	if (front_compile("classbench.sluice", text, &c.f)) {
		fprintf(stderr, "cb_check: the converted policy does not compile:\n%s", c.f.diag);
		return 1;
	}
	c.want = calloc(npkts, sizeof(*c.want));
	c.ires = calloc(npkts, sizeof(*c.ires));
	c.index = cb_index_table(c.f.ir);
	if (!c.want || !c.ires)
		abort();
	double t0 = now_s();
	check_interpreter(&c, &matched, &interpreted);
	printf("cb_check: %s: %zu rules, %zu packets (%u match a rule); the interpreter ran %zu of "
	       "them in %.1f s: %s with the naive scan\n",
	       o.rules_path, nrules, npkts, matched, interpreted, now_s() - t0,
	       c.failures ? "DISAGREES" : "agrees");
	fflush(stdout);

	if (!sl_kern_usable(why, sizeof(why)))
		return c.failures ? 1 : sl_kern_skip("cb_check", why);

	for (int l = 0; l <= 2; l++) {
		if ((o.levels | o.if_fits) & (1u << l))
			check_kernel(&c, l, NULL, o.if_fits & (1u << l));
	}
	for (unsigned m = 0; m < o.nclassifiers; m++)
		check_kernel(&c, 2, o.classifiers[m], false);
	printf("cb_check: %s: naive scan, interpreter and kernel: %u disagreements\n", o.rules_path,
	       c.failures);
	unsigned failures = c.failures;
	front_free(&c.f);
	free(text);
	free(c.want);
	free(c.ires);
	free(c.index);
	free(rules);
	free(trace);
	return failures ? 1 : 0;
}
