// SPDX-License-Identifier: GPL-2.0-only
/*
 * ClassBench cross-check: a ClassBench rule set converted to a sluice policy
 * (bench's classbench2sluice), evaluated over its trace by three parties
 * that must agree on every packet:
 *   1. a naive first-match scan over the ClassBench file itself (below,
 *      independent of the compiler, the converter and the interpreter),
 *   2. the reference interpreter on the converted policy,
 *   3. the compiled object in the kernel (BPF_PROG_TEST_RUN), at -O0, -O1, -O2,
 *      with decision recording so the deciding rule is compared too.
 * Rule i (0-based) accepts when i is even, drops when odd; default drop.
 *
 * usage: cb_check CLASSBENCH2SLUICE RULES TRACE
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"
#include "interp.h"
#include "ir.h"
#include "kern.h"

/* Lines before the first rule in classbench2sluice's output. */
#define FIRST_RULE_LINE 6
#define NO_MATCH UINT32_MAX

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
		if (sscanf(line, "@%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x", &s[0], &s[1],
			   &s[2], &s[3], &sl, &d[0], &d[1], &d[2], &d[3], &dl, &splo, &sphi, &dplo,
			   &dphi, &proto, &pmask) != 16) {
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
		(*out)[(*n)++] = (struct cb_header){ v[0], v[1], v[2], v[3], v[4] };
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
		(*out)[orig + 2 * i] = (struct cb_header){ h.src, h.dst, 0, 0, 1 };
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
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
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
static uint32_t cb_index(const struct sl_ir *ir, uint32_t id)
{
	if (id == SL_INTERP_POLICY)
		return NO_MATCH;
	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			if (ir->chains[c].rules[i].id == id)
				return ir->chains[c].rules[i].loc.line - FIRST_RULE_LINE;
		}
	}
	return NO_MATCH - 1;
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

int main(int argc, char **argv)
{
	struct cb_rule *rules = NULL;
	struct cb_header *trace = NULL;
	size_t nrules = 0, npkts = 0;
	char why[256], tmp[] = "/tmp/sluice-cb-interp-XXXXXX";
	unsigned failures = 0;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: cb_check CLASSBENCH2SLUICE RULES TRACE\n");
		return 2;
	}
	if ((err = load_rules(argv[2], &rules, &nrules)) || (err = load_trace(argv[3], &trace, &npkts))) {
		fprintf(stderr, "cb_check: cannot load %s / %s: %s\n", argv[2], argv[3], strerror(-err));
		return 1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return 1;
	close(fd);
	err = convert(argv[1], argv[2], tmp);
	char *text = err ? NULL : slurp(tmp);
	unlink(tmp);
	if (!text) {
		fprintf(stderr, "cb_check: converting %s with %s failed\n", argv[2], argv[1]);
		return 1;
	}

	struct front f;
	if (front_compile("classbench.sluice", text, &f)) {
		fprintf(stderr, "cb_check: the converted policy does not compile:\n%s", f.diag);
		return 1;
	}

	/* 1 vs 2: the naive scan against the interpreter */
	uint32_t *want = calloc(npkts, sizeof(*want));
	struct sl_interp_result *ires = calloc(npkts, sizeof(*ires));
	uint8_t frame[64];
	unsigned matched = 0;
	for (size_t i = 0; i < npkts; i++) {
		size_t len = build_frame(&trace[i], frame);
		struct sl_interp_packet p = { .hook = f.ir->tables[0].hook, .data = frame, .len = len,
					      .ifindex = 1 };

		want[i] = naive_first_match(rules, nrules, &trace[i]);
		matched += want[i] != NO_MATCH;
		if (sl_interp_run(f.ir, 0, &p, &ires[i], NULL))
			abort();
		enum sl_verdict v = want[i] == NO_MATCH ? SL_VERDICT_DROP
				    : want[i] % 2	    ? SL_VERDICT_DROP
							    : SL_VERDICT_ACCEPT;
		if (ires[i].verdict != v || cb_index(f.ir, ires[i].rule) != want[i]) {
			if (failures++ < 10)
				fprintf(stderr,
					"cb_check: %s packet %zu: naive scan: rule %d, interpreter: "
					"rule %d (%s)\n",
					argv[3], i + 1, (int)want[i], (int)cb_index(f.ir, ires[i].rule),
					sl_verdict_name(ires[i].verdict));
		}
	}

	if (!sl_kern_usable(why, sizeof(why))) {
		printf("cb_check: %s: %zu rules, %zu packets (%u match a rule): naive scan and "
		       "interpreter agree: %s\n",
		       argv[2], nrules, npkts, matched, failures ? "NO" : "yes");
		return failures ? 1 : sl_kern_skip("cb_check", why);
	}

	/* 2 vs 3: the interpreter against the object at every level */
	static const int levels[] = { 0, 1, 2 };
	for (size_t l = 0; l < 3; l++) {
		struct back b;
		struct sl_kern_prog prog;
		char *log = NULL;

		if (back_compile(&f, levels[l], &b)) {
			fprintf(stderr, "cb_check: -O%d: compiling failed:\n%s", levels[l], b.diag);
			failures++;
			back_free(&b);
			continue;
		}
		if ((err = sl_kern_load_elf(b.image, b.size, b.prog_names[0], &prog, &log))) {
			size_t n = log ? strlen(log) : 0;
			fprintf(stderr, "cb_check: -O%d: loading failed: %s\n%s\n", levels[l],
				strerror(-err), log ? log + (n > 3000 ? n - 3000 : 0) : "");
			free(log);
			failures++;
			back_free(&b);
			continue;
		}
		free(log);
		for (size_t i = 0; i < npkts; i++) {
			size_t len = build_frame(&trace[i], frame);
			uint32_t ret, rule = 0;

			sl_kern_decision_set(&prog, 0xfeedf00d);
			if (sl_kern_run(&prog, frame, len, &ret) || sl_kern_decision(&prog, &rule)) {
				fprintf(stderr, "cb_check: test run failed: %s\n", strerror(errno));
				return 1;
			}
			int v = sl_kern_retval_verdict(f.ir->tables[0].hook, ret);
			if (v != (ires[i].verdict == SL_VERDICT_ACCEPT) || rule != ires[i].rule) {
				if (failures++ < 10)
					fprintf(stderr,
						"cb_check: -O%d %s packet %zu: interpreter: %s by "
						"rule %d, kernel: return code %u by rule %d\n",
						levels[l], argv[3], i + 1,
						sl_verdict_name(ires[i].verdict),
						(int)cb_index(f.ir, ires[i].rule), ret,
						(int)cb_index(f.ir, rule));
			}
		}
		sl_kern_prog_close(&prog);
		back_free(&b);
	}
	printf("cb_check: %s: %zu rules, %zu packets (%u match a rule), naive scan, interpreter "
	       "and kernel at -O0/-O1/-O2: %u disagreements\n",
	       argv[2], nrules, npkts, matched, failures);
	front_free(&f);
	free(text);
	free(want);
	free(ires);
	free(rules);
	free(trace);
	return failures ? 1 : 0;
}
