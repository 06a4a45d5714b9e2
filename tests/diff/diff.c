// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice-diff: differential fuzzing of the compiler against the reference
 * interpreter. For each seeded random policy (as text) and boundary-seeking
 * packets, the interpreter's verdict, deciding rule and counters must equal
 * those of the compiled object run in the kernel (BPF_PROG_TEST_RUN) at
 * every optimisation level. Any policy the front end accepts must compile
 * and pass the verifier. A failure prints a minimised reproducer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "gen_packet.h"
#include "gen_policy.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "kern.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sluice/log.h>

struct config {
	uint64_t seed;
	unsigned policies;    /* 0 = until --seconds (or --min-packets) */
	uint64_t min_packets; /* go on past --policies until this many packets */
	unsigned packets;     /* per table */
	unsigned seconds;     /* 0 = no time limit */
	int levels[4];
	unsigned nlevels;
	struct gen_policy_opts gen;
	unsigned max_failures;
	unsigned jobs; /* worker processes */
	bool verbose;
	bool print_policy;	 /* print each policy (debugging the generator) */
	unsigned policy_seconds; /* a policy that takes longer is a failure (0: no limit) */
};

/* What one optimisation level saw: only policies it checked with no difference count. */
struct level_stats {
	uint64_t policies, packets, verdicts;
	uint64_t objects,
	    same_objects; /* loaded and run; identical to a lower level's (not rerun) */
	unsigned mismatches, broken;
};

struct stats {
	uint64_t policies, tables, verdicts, packets, rejected;
	uint64_t refused; /* frames the kernel's test run refuses: held to the AST only */
	uint64_t objects, same_objects; /* objects tested; levels that built an identical one */
	unsigned failures;
	unsigned mismatches, broken, invalid; /* failures by kind */
	struct level_stats level[4];	      /* by position in config.levels */
};

static const char *const POLICY_NAME = "fuzz.sluice";

/* One packet as the hook's program and the interpreter see it. */
static struct sl_interp_packet view_of(const struct gen_packet *p, enum sl_hook hook)
{
	return gen_packet_view(p, hook);
}

static void print_decider(FILE *out, const struct sl_ir *ir, uint32_t rule)
{
	if (rule == SL_INTERP_POLICY) {
		fprintf(out, "policy");
		return;
	}
	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			const struct sl_ir_rule *r = &ir->chains[c].rules[i];
			if (r->id == rule) {
				fprintf(out, "rule %u (line %u: %s)", rule, r->loc.line, r->text);
				return;
			}
		}
	}
	fprintf(out, "rule %u (no such rule)", rule);
}

enum outcome {
	SAME,
	DIFFERENT, /* verdict, decision or counters differ */
	BROKEN,	   /* accepted policy that does not compile or load */
	INVALID,   /* the front end rejects the policy */
};

struct finding {
	enum outcome what;
	int level;
	uint32_t table;
	struct gen_packet pkt;
	struct sl_interp_result want;
	uint32_t got_retval, got_rule;
	int got_verdict;
	char *detail; /* malloc'd */
};

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static bool counters_differ(const struct sl_kern_prog *prog, const struct sl_interp_counter *want,
			    uint32_t nrules, struct finding *fd)
{
	for (uint32_t id = 0; id < nrules; id++) {
		struct sluice_counter c = {0};

		if (prog->counter_fd >= 0 && id < prog->ncounters && sl_kern_counter(prog, id, &c))
			continue;
		if (c.packets != want[id].packets || c.bytes != want[id].bytes) {
			fd->detail =
			    xasprintf("counter of rule %u: interpreter %llu packets %llu "
				      "bytes, kernel %llu packets %llu bytes",
				      id, (unsigned long long)want[id].packets,
				      (unsigned long long)want[id].bytes,
				      (unsigned long long)c.packets, (unsigned long long)c.bytes);
			return true;
		}
	}
	return false;
}

/*
 * Load the object of one level once (libbpf loads every program in it) and
 * run each table's packets through its program and the interpreter. Stops
 * at the first difference. `only` selects one table (UINT32_MAX: all).
 */
static bool policy_limited(const struct sl_ir *ir)
{
	for (uint32_t c = 0; c < ir->nchains; c++)
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++)
			if (ir->chains[c].rules[i].limit)
				return true;
	return false;
}

/* The clock between packet i-1 and i: from 1 us to 300 ms, a function of i only. */
static uint64_t packet_gap(size_t i)
{
	static const uint64_t gaps[] = {1000, 100000, 5000000, 50000000, 300000000};
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull;

	return gaps[(h >> 59) % 5];
}

static enum outcome check_level(const struct front *f, const struct back *b, int level,
				const struct gen_packet *const *pkts, const size_t *npkts,
				uint32_t only, struct finding *fd, struct stats *st)
{
	const struct sl_ir *ir = f->ir;
	uint32_t first = only == UINT32_MAX ? 0 : only;
	struct sl_interp_counter *want = calloc(ir->nrules + 1, sizeof(*want));
	/* limits and meters: one state per object (its maps start empty), one clock */
	struct sl_interp_state *state = sl_interp_state_new(ir);
	bool limited = policy_limited(ir);
	struct sl_kern_prog prog;
	char *log = NULL;
	enum outcome res = SAME;
	int err;

	err = sl_kern_load_elf(b->image, b->size, b->prog_names[first], &prog, &log);
	if (err) {
		size_t n = log ? strlen(log) : 0;
		fd->what = BROKEN;
		fd->level = level;
		fd->table = first;
		fd->detail = xasprintf("loading program %s failed: %s\n%s", b->prog_names[first],
				       strerror(-err), log ? log + (n > 4000 ? n - 4000 : 0) : "");
		free(log);
		free(want);
		sl_interp_state_free(state);
		return BROKEN;
	}
	free(log);
	struct bpf_map *clock = bpf_object__find_map_by_name(prog.obj, SLUICE_CLOCK_MAP);
	uint64_t now = 1000000000ull;
	/* the named sets: the policy's elements, or the text's run-time contents */
	for (uint32_t i = 0; i < ir->nsets && !err; i++)
		err = f->set_replaced[i]
			  ? sl_kern_set_fill(&prog, i, f->set_keys[i], f->set_nkeys[i], NULL)
			  : sl_kern_set_fill(&prog, i, ir->sets[i].keys, ir->sets[i].nkeys, NULL);
	if (err) {
		fd->what = BROKEN;
		fd->level = level;
		fd->table = first;
		fd->detail = xasprintf("filling the named sets failed: %s", strerror(-err));
		sl_kern_prog_close(&prog);
		free(want);
		sl_interp_state_free(state);
		return BROKEN;
	}

	for (uint32_t t = 0; t < ir->ntables && res == SAME; t++) {
		const struct sl_ir_table *table = &ir->tables[t];
		struct sl_kern_prog view = prog;
		struct bpf_program *bp;

		if (only != UINT32_MAX && t != only)
			continue;
		bp = bpf_object__find_program_by_name(prog.obj, b->prog_names[t]);
		if (!bp || bpf_program__fd(bp) < 0) {
			fd->what = res = BROKEN;
			fd->level = level;
			fd->table = t;
			fd->detail = xasprintf("the object has no loaded program %s for table %s",
					       b->prog_names[t], table->name);
			break;
		}
		view.fd = bpf_program__fd(bp);
		view.hook = table->hook;
		for (size_t i = 0; i < npkts[t] && res == SAME; i++) {
			const struct gen_packet *pk = &pkts[t][i];
			struct sl_interp_packet v = view_of(pk, table->hook);
			struct sl_interp_result ir_res;
			uint32_t retval = 0, rule = 0;

			struct sl_interp_fields fields;
			char *why = NULL;
			/* runts and, on skb hooks, cut IP headers: the kernel will not run them */
			bool runnable = sl_kern_runnable(table->hook, pk->data, pk->len);
			sl_interp_parse(&v, &fields);
			now += packet_gap(i);
			/* a packet the kernel does not run must not change the state either */
			if (sl_interp_run_state(ir, t, &fields, v.len, now, runnable ? state : NULL,
						&ir_res, runnable ? want : NULL))
				abort();
			if (runnable && clock) {
				uint32_t zero = 0;

				if (bpf_map_update_elem(bpf_map__fd(clock), &zero, &now, BPF_ANY))
					abort();
			}
			/* the AST's evaluation knows no limits: it checks lowering of the rest */
			if (!limited && !ast_agrees(f, t, &fields, &ir_res, &why)) {
				*fd = (struct finding){DIFFERENT, level, t,  *pk, ir_res,
						       0,	  0,	 -1, NULL};
				fd->detail = xasprintf("lowering changed the meaning: %s", why);
				free(why);
				res = DIFFERENT;
				break;
			}
			if (!runnable) {
				st->refused++;
				continue;
			}
			sl_kern_decision_set(&view, 0xfeedf00d);
			err = sl_kern_run(&view, pk->data, pk->len, &retval);
			if (!err)
				err = sl_kern_decision(&view, &rule);
			if (err) {
				fprintf(stderr,
					"sluice-diff: error: test run (%s, %zu bytes) failed: %s\n",
					sl_hook_name(table->hook), pk->len, strerror(-err));
				exit(2);
			}
			st->verdicts++;
			int verdict = sl_kern_retval_verdict(table->hook, retval);
			int want_verdict = ir_res.verdict == SL_VERDICT_ACCEPT;
			if (verdict != want_verdict || rule != ir_res.rule) {
				*fd = (struct finding){DIFFERENT, level, t,	  *pk, ir_res,
						       retval,	  rule,	 verdict, NULL};
				res = DIFFERENT;
			}
		}
		/* counters so far: the object's totals equal the interpreter's */
		if (res == SAME && counters_differ(&prog, want, ir->nrules, fd)) {
			fd->what = res = DIFFERENT;
			fd->level = level;
			fd->table = t;
			fd->pkt.len = 0;
		}
	}
	sl_kern_prog_close(&prog);
	free(want);
	sl_interp_state_free(state);
	return res;
}

/* Everything about one policy text: the first difference found, if any. */
static enum outcome check_policy(const char *text, const struct config *cfg,
				 const struct gen_packet *const *pkts, const size_t *npkts,
				 uint32_t only_table, struct finding *fd, struct stats *st)
{
	struct front f;
	enum outcome res = SAME;

	memset(fd, 0, sizeof(*fd));
	if (front_compile(POLICY_NAME, text, &f)) {
		fd->what = INVALID;
		fd->detail = f.diag ? strdup(f.diag) : NULL;
		front_free(&f);
		return INVALID;
	}
	void *seen[4] = {0};
	size_t seen_size[4] = {0};
	uint64_t packets = 0;
	for (uint32_t t = 0; t < f.ir->ntables; t++)
		packets += only_table == UINT32_MAX || only_table == t ? npkts[t] : 0;
	for (unsigned l = 0; l < cfg->nlevels && res == SAME; l++) {
		struct level_stats *ls = &st->level[l];
		uint64_t verdicts = st->verdicts;
		struct back b;
		bool same_object = false;

		if (back_compile(&f, cfg->levels[l], &b)) {
			fd->what = res = BROKEN;
			fd->level = cfg->levels[l];
			fd->detail = xasprintf("compiling at -O%d failed:\n%s", cfg->levels[l],
					       b.diag ? b.diag : "");
			back_free(&b);
			break;
		}
		/* a level that generates the very same code was tested already */
		for (unsigned k = 0; k < l; k++)
			same_object |= seen[k] && seen_size[k] == b.code_size &&
				       !memcmp(seen[k], b.code, b.code_size);
		if (same_object) {
			st->same_objects++;
			ls->same_objects++;
		} else {
			res = check_level(&f, &b, cfg->levels[l], pkts, npkts, only_table, fd, st);
			st->objects++;
			ls->objects++;
		}
		ls->verdicts += st->verdicts - verdicts;
		if (res == SAME) {
			ls->policies++;
			ls->packets += packets;
		}
		seen[l] = TAKE_PTR(b.code);
		seen_size[l] = b.code_size;
		back_free(&b);
	}
	for (unsigned l = 0; l < 4; l++)
		free(seen[l]);
	front_free(&f);
	return res;
}

/* Does the policy still show the same kind of failure on the same packet? */
static bool still_fails(const struct gen_policy *p, const struct config *cfg,
			const struct finding *orig, const struct gen_packet *pkts, size_t npkts)
{
	struct config one = *cfg;
	struct finding fd;
	struct stats st = {0};
	char *text = gen_policy_text(p);
	const struct gen_packet *pp[16] = {0};
	size_t np[16] = {0};

	one.levels[0] = orig->level;
	one.nlevels = 1;
	for (unsigned i = 0; i < 16; i++) {
		pp[i] = pkts;
		np[i] = npkts;
	}
	enum outcome r = check_policy(text, &one, pp, np, orig->table, &fd, &st);
	free(fd.detail);
	free(text);
	return r == orig->what;
}

/*
 * Shrink rule by rule, then match by match, keeping every step that still
 * fails the same way. The model is edited in place.
 */
static void shrink(struct gen_policy *p, const struct config *cfg, const struct finding *orig,
		   const struct gen_packet *pkts, size_t npkts)
{
	bool progress = true;

	while (progress) {
		progress = false;
		for (size_t bi = 0; bi < p->nblocks; bi++) {
			struct gen_block *blk = &p->blocks[bi];
			for (size_t k = blk->nrules; k-- > 0;) {
				struct gen_rule saved = blk->rules[k];
				memmove(&blk->rules[k], &blk->rules[k + 1],
					(blk->nrules - k - 1) * sizeof(*blk->rules));
				blk->nrules--;
				if (still_fails(p, cfg, orig, pkts, npkts)) {
					for (size_t m = 0; m < saved.nmatches; m++)
						free(saved.matches[m]);
					free(saved.matches);
					free(saved.action);
					free(saved.stateful);
					progress = true;
					continue;
				}
				memmove(&blk->rules[k + 1], &blk->rules[k],
					(blk->nrules - k) * sizeof(*blk->rules));
				blk->rules[k] = saved;
				blk->nrules++;
			}
			for (size_t k = 0; k < blk->nrules; k++) {
				struct gen_rule *r = &blk->rules[k];
				for (size_t m = r->nmatches; m-- > 0;) {
					char *saved = r->matches[m];
					memmove(&r->matches[m], &r->matches[m + 1],
						(r->nmatches - m - 1) * sizeof(char *));
					r->nmatches--;
					if (still_fails(p, cfg, orig, pkts, npkts)) {
						free(saved);
						progress = true;
						continue;
					}
					memmove(&r->matches[m + 1], &r->matches[m],
						(r->nmatches - m) * sizeof(char *));
					r->matches[m] = saved;
					r->nmatches++;
				}
			}
		}
		/* chains left empty and unreferenced */
		for (size_t bi = p->nblocks; bi-- > 0;) {
			struct gen_block saved = p->blocks[bi];
			if (saved.is_table || saved.nrules)
				continue;
			memmove(&p->blocks[bi], &p->blocks[bi + 1],
				(p->nblocks - bi - 1) * sizeof(*p->blocks));
			p->nblocks--;
			if (still_fails(p, cfg, orig, pkts, npkts)) {
				free(saved.rules);
				free(saved.header);
				continue;
			}
			memmove(&p->blocks[bi + 1], &p->blocks[bi],
				(p->nblocks - bi) * sizeof(*p->blocks));
			p->blocks[bi] = saved;
			p->nblocks++;
		}
		for (size_t c = p->nconsts; c-- > 0;) {
			char *saved = p->consts[c];
			memmove(&p->consts[c], &p->consts[c + 1],
				(p->nconsts - c - 1) * sizeof(char *));
			p->nconsts--;
			if (still_fails(p, cfg, orig, pkts, npkts)) {
				free(saved);
				progress = true;
				continue;
			}
			memmove(&p->consts[c + 1], &p->consts[c],
				(p->nconsts - c) * sizeof(char *));
			p->consts[c] = saved;
			p->nconsts++;
		}
	}
}

static void hexdump(FILE *out, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x%s", d[i], (i + 1) % 16 == 0 || i + 1 == n ? "\n" : " ");
}

static size_t count_rules(const struct gen_policy *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nblocks; i++)
		n += p->blocks[i].nrules;
	return n;
}

static void report(struct gen_policy *p, const struct config *cfg, uint64_t seed,
		   struct finding *fd, const struct gen_packet *pkts, size_t npkts)
{
	static const char *const kinds[] = {"same", "MISMATCH", "COMPILE/LOAD FAILURE",
					    "REJECTED BY THE FRONT END"};
	size_t before = count_rules(p);
	FILE *out = stderr;

	/* a single packet reproduces a verdict mismatch; counters need them all */
	const struct gen_packet *sp = pkts;
	size_t sn = npkts;
	if (fd->what == DIFFERENT && fd->pkt.len && !cfg->gen.limit_pct) {
		sp = &fd->pkt;
		sn = 1;
	}
	if (fd->what != INVALID)
		shrink(p, cfg, fd, sp, sn);

	char *text = gen_policy_text(p);
	struct front f;
	int ferr = front_compile(POLICY_NAME, text, &f);

	/* rule ids change as rules go: describe the shrunk policy's own run */
	if (fd->what == DIFFERENT && fd->pkt.len && !ferr) {
		struct config one = *cfg;
		struct finding now;
		struct stats st = {0};
		const struct gen_packet *pp[16];
		size_t np[16];

		one.levels[0] = fd->level;
		one.nlevels = 1;
		for (unsigned i = 0; i < 16; i++)
			pp[i] = &fd->pkt, np[i] = 1;
		if (check_policy(text, &one, pp, np, fd->table, &now, &st) == DIFFERENT &&
		    now.pkt.len) {
			free(now.detail);
			now.detail = fd->detail;
			*fd = now;
		} else {
			free(now.detail);
		}
	}

	fprintf(out, "\n=== %s: seed %llu, -O%d, table %u ===\n", kinds[fd->what],
		(unsigned long long)seed, fd->level, fd->table);
	if (fd->detail)
		fprintf(out, "%s\n", fd->detail);
	if (fd->what == DIFFERENT && fd->pkt.len && !ferr) {
		fprintf(out, "packet (%zu bytes, frame as given to BPF_PROG_TEST_RUN):\n",
			fd->pkt.len);
		hexdump(out, fd->pkt.data, fd->pkt.len);
		fprintf(out, "interpreter: %s by ", sl_verdict_name(fd->want.verdict));
		print_decider(out, f.ir, fd->want.rule);
		fprintf(out, "\nkernel:      %s (return code %u) by ",
			fd->got_verdict == 1   ? "accept"
			: fd->got_verdict == 0 ? "drop"
					       : "?",
			fd->got_retval);
		print_decider(out, f.ir, fd->got_rule);
		fprintf(out, "\n");
	}
	fprintf(out, "policy (shrunk from %zu to %zu rules):\n%s", before, count_rules(p), text);
	fprintf(out, "replay: sluice-diff --seed %llu --policies 1 --packets %u\n",
		(unsigned long long)seed, cfg->packets);
	if (!ferr)
		front_free(&f);
	else
		front_free(&f);
	free(text);
}

static uint64_t policy_seed(uint64_t seed, uint64_t i)
{
	return seed + i;
}

/*
 * A worker is done at policy i when it has done its share of --policies and
 * of --min-packets (each of `jobs` workers a 1/jobs share, so that the run
 * as a whole reaches both). Neither given: only --seconds ends the run.
 */
static bool done(const struct config *cfg, const struct stats *st, uint64_t i, unsigned jobs)
{
	if (!cfg->policies && !cfg->min_packets)
		return false;
	return i >= cfg->policies && st->packets * jobs >= cfg->min_packets;
}

/*
 * The watchdog: a policy whose compile, loads and checks outlast
 * --policy-seconds (a verifier walking a million instructions, over and over
 * while a failure is minimised) ends the worker with a message that names it,
 * rather than stall the run. The message is formatted before the alarm can
 * ring; the handler only writes it.
 */
static char watchdog_msg[256];
static size_t watchdog_len;

static void watchdog_ring(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, watchdog_msg, watchdog_len) < 0)
		_exit(3);
	_exit(3);
}

static void watchdog_arm(const struct config *cfg, uint64_t seed)
{
	int n;

	if (!cfg->policy_seconds)
		return;
	n = snprintf(
	    watchdog_msg, sizeof(watchdog_msg),
	    "sluice-diff: FAILURE: policy seed %llu took more than %u s (--policy-seconds); "
	    "reproduce with: sluice-diff --seed %llu --policies 1 --print-policy\n",
	    (unsigned long long)seed, cfg->policy_seconds, (unsigned long long)seed);
	watchdog_len = n > 0 && (size_t)n < sizeof(watchdog_msg) ? (size_t)n : 0;
	alarm(cfg->policy_seconds);
}

/* Policies worker, worker + jobs, ... of the run. */
static int run(const struct config *cfg, unsigned worker, unsigned jobs, struct stats *st)
{
	time_t start = time(NULL);

	if (cfg->policy_seconds)
		signal(SIGALRM, watchdog_ring);

	for (uint64_t i = worker; !done(cfg, st, i, jobs); i += jobs) {
		if (cfg->seconds && time(NULL) - start >= (time_t)cfg->seconds)
			break;

		uint64_t seed = policy_seed(cfg->seed, i);
		struct rng r = {seed};

		watchdog_arm(cfg, seed);
		/* the watchdog's own test (tests/diff/CMakeLists.txt): a policy that stalls */
		if (getenv("SLUICE_DIFF_TEST_STALL"))
			sleep(cfg->policy_seconds + 2);
		struct gen_policy p;
		gen_policy(&r, &cfg->gen, &p);
		char *text = gen_policy_text(&p);
		if (cfg->print_policy)
			printf("# seed %llu\n%s\n", (unsigned long long)seed, text);

		/* packets per table, for its hook */
		struct gen_packet *pkts[16] = {0};
		size_t npkts[16] = {0};
		size_t t = 0;
		for (size_t bi = 0; bi < p.nblocks && t < 16; bi++) {
			if (!p.blocks[bi].is_table)
				continue;
			pkts[t] = calloc(cfg->packets, sizeof(struct gen_packet));
			for (unsigned k = 0; k < cfg->packets; k++)
				gen_packet(&r, &p.values, p.blocks[bi].hook, &pkts[t][k]);
			npkts[t++] = cfg->packets;
			st->packets += cfg->packets;
		}

		struct finding fd;
		enum outcome res = check_policy(text, cfg, (const struct gen_packet *const *)pkts,
						npkts, UINT32_MAX, &fd, st);
		st->policies++;
		st->tables += t;
		if (res != SAME) {
			st->failures++;
			st->mismatches += res == DIFFERENT;
			st->broken += res == BROKEN;
			st->invalid += res == INVALID;
			for (unsigned l = 0; l < cfg->nlevels; l++) {
				if (res != INVALID && cfg->levels[l] == fd.level) {
					st->level[l].mismatches += res == DIFFERENT;
					st->level[l].broken += res == BROKEN;
				}
			}
			report(&p, cfg, seed, &fd, pkts[fd.table], npkts[fd.table]);
			free(fd.detail);
		}
		alarm(0);
		for (size_t k = 0; k < t; k++)
			free(pkts[k]);
		free(text);
		gen_policy_free(&p);
		if (cfg->verbose && st->policies % 100 == 0)
			fprintf(stderr, "sluice-diff: %llu policies, %llu verdicts, %u failures\n",
				(unsigned long long)st->policies, (unsigned long long)st->verdicts,
				st->failures);
		if (st->failures >= cfg->max_failures)
			break;
	}
	return st->failures ? 1 : 0;
}

/* Fork `jobs` workers; each reports its stats through a pipe. */
static int run_jobs(const struct config *cfg, struct stats *st)
{
	pid_t pids[64];
	int fds[64];
	int rc = 0;

	if (cfg->jobs <= 1)
		return run(cfg, 0, 1, st);
	for (unsigned k = 0; k < cfg->jobs; k++) {
		int p[2];

		if (pipe(p) || (pids[k] = fork()) < 0) {
			perror("sluice-diff: fork");
			exit(2);
		}
		if (pids[k] == 0) {
			struct stats mine = {0};
			close(p[0]);
			int r = run(cfg, k, cfg->jobs, &mine);
			if (write(p[1], &mine, sizeof(mine)) != sizeof(mine))
				r = 2;
			_exit(r);
		}
		close(p[1]);
		fds[k] = p[0];
	}
	for (unsigned k = 0; k < cfg->jobs; k++) {
		struct stats w = {0};
		int status;

		if (read(fds[k], &w, sizeof(w)) != sizeof(w))
			rc = 2;
		close(fds[k]);
		waitpid(pids[k], &status, 0);
		if (!WIFEXITED(status) || (WEXITSTATUS(status) && !w.failures))
			rc = 2;
		st->policies += w.policies, st->tables += w.tables, st->verdicts += w.verdicts;
		st->refused += w.refused;
		st->packets += w.packets, st->objects += w.objects;
		st->same_objects += w.same_objects, st->failures += w.failures;
		st->mismatches += w.mismatches, st->broken += w.broken, st->invalid += w.invalid;
		for (unsigned l = 0; l < 4; l++) {
			struct level_stats *a = &st->level[l], *b = &w.level[l];
			a->policies += b->policies, a->packets += b->packets;
			a->verdicts += b->verdicts, a->objects += b->objects;
			a->same_objects += b->same_objects;
			a->mismatches += b->mismatches, a->broken += b->broken;
		}
	}
	return rc ? rc : st->failures ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: sluice-diff [--seed S] [--policies N] [--packets M] [--seconds T]\n"
	    "                   [--min-packets P] [--levels 0,1,2] [--max-rules R]\n"
	    "                   [--long-tables PCT[:RULES]] [--limits PCT] [--sets PCT] "
	    "[--max-failures F]\n"
	    "                   [--jobs J] [--policy-seconds T] [--print-policy] [-v]\n"
	    "Differential fuzzing: the reference interpreter against compiled objects in the\n"
	    "kernel. Policy i uses seed S+i; a failure prints a minimised reproducer.\n"
	    "--packets is per table; --min-packets goes on past --policies until that many\n"
	    "packets were generated. --long-tables: PCT %% of tables hold 100..RULES (1000)\n"
	    "accept/drop rules on the 5-tuple (deep decision trees). --sets: PCT %% of policies\n"
	    "declare named sets (some given other contents at run time: \"#@set\" lines).\n"
	    "SLUICE_CLASSIFIER=MODE\n"
	    "forces a classifier mode, SLUICE_SET_LOOKUP=table|inline a set lookup mode\n"
	    "(tests/diff/compile_back.c). A policy that takes more than --policy-seconds\n"
	    "(default 120, 0: no limit) to compile, load and check is a failure.\n"
	    "--limits: PCT %% of rules get a limit, meter and/or log; packets then carry\n"
	    "times (the objects' test clock, the interpreter's clock) and state carries over.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"seed", required_argument, NULL, 's'},
	    {"policies", required_argument, NULL, 'n'},
	    {"packets", required_argument, NULL, 'p'},
	    {"seconds", required_argument, NULL, 't'},
	    {"levels", required_argument, NULL, 'l'},
	    {"max-rules", required_argument, NULL, 'r'},
	    {"print-policy", no_argument, NULL, 'P'},
	    {"max-failures", required_argument, NULL, 'F'},
	    {"min-packets", required_argument, NULL, 'M'},
	    {"long-tables", required_argument, NULL, 'L'},
	    {"limits", required_argument, NULL, 'I'},
	    {"sets", required_argument, NULL, 'S'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"policy-seconds", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct config cfg = {
	    .seed = (uint64_t)time(NULL),
	    .policies = 100,
	    .packets = 500,
	    .max_failures = 5,
	    .levels = {0, 1, 2},
	    .nlevels = 3,
	    .gen = {.max_tables = 2, .max_chains = 3, .max_rules = 12, .max_matches = 4},
	    .policy_seconds = 120,
	};
	struct stats st = {0};
	char why[256];
	int c;

	while ((c = getopt_long(argc, argv, "s:n:p:t:l:r:F:j:M:L:I:S:T:Pvh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			cfg.policies = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			cfg.packets = strtoul(optarg, NULL, 0);
			break;
		case 't':
			cfg.seconds = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			cfg.gen.max_rules = strtoul(optarg, NULL, 0);
			break;
		case 'l': {
			cfg.nlevels = 0;
			for (char *s = optarg; *s && cfg.nlevels < 4;) {
				cfg.levels[cfg.nlevels++] = strtol(s, &s, 10);
				if (*s == ',')
					s++;
			}
			break;
		}
		case 'j':
			cfg.jobs = strtoul(optarg, NULL, 0);
			if (cfg.jobs > 64)
				cfg.jobs = 64;
			break;
		case 'F':
			cfg.max_failures = strtoul(optarg, NULL, 0);
			break;
		case 'M':
			cfg.min_packets = strtoull(optarg, NULL, 0);
			break;
		case 'L': {
			char *end;
			cfg.gen.long_pct = strtoul(optarg, &end, 10);
			cfg.gen.long_rules = *end == ':' ? strtoul(end + 1, &end, 10) : 1000;
			if (*end || cfg.gen.long_pct > 100 || !cfg.gen.long_rules) {
				usage(stderr);
				return 2;
			}
			break;
		}
		case 'I':
			cfg.gen.limit_pct = strtoul(optarg, NULL, 10);
			if (cfg.gen.limit_pct > 100) {
				usage(stderr);
				return 2;
			}
			break;
		case 'S':
			cfg.gen.sets_pct = strtoul(optarg, NULL, 10);
			if (cfg.gen.sets_pct > 100) {
				usage(stderr);
				return 2;
			}
			break;
		case 'P':
			cfg.print_policy = true;
			break;
		case 'T':
			cfg.policy_seconds = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!cfg.packets || !cfg.nlevels || cfg.gen.max_rules < 1) {
		usage(stderr);
		return 2;
	}
	const char *mode = getenv("SLUICE_CLASSIFIER");
	if (!back_classifier_known()) {
		fprintf(stderr,
			"sluice-diff: error: SLUICE_CLASSIFIER=%s is not a classifier mode "
			"this build knows (see tests/diff/compile_back.c)\n",
			mode);
		return 2;
	}
	if (!sl_kern_usable(why, sizeof(why)))
		return sl_kern_skip("sluice-diff", why);

	const char *sets = getenv("SLUICE_SET_LOOKUP");
	printf("sluice-diff: seed %llu, classifier %s, set lookup %s\n",
	       (unsigned long long)cfg.seed, mode && *mode ? mode : "auto",
	       sets && *sets ? sets : "auto");
	fflush(stdout);
	time_t start = time(NULL);
	int rc = run_jobs(&cfg, &st);
	printf("sluice-diff: seed %llu: %llu policies (%llu tables), %llu packets; %llu objects "
	       "tested over %u optimisation levels (%llu levels built an identical object), "
	       "%llu verdicts compared in %llds (%llu frames the kernel cannot test-run, "
	       "held to the policy's meaning only): %u failures\n",
	       (unsigned long long)cfg.seed, (unsigned long long)st.policies,
	       (unsigned long long)st.tables, (unsigned long long)st.packets,
	       (unsigned long long)st.objects, cfg.nlevels, (unsigned long long)st.same_objects,
	       (unsigned long long)st.verdicts, (long long)(time(NULL) - start),
	       (unsigned long long)st.refused, st.failures);
	/* one line per level, for scripts (tests/diff/full-campaign) */
	for (unsigned l = 0; l < cfg.nlevels; l++) {
		const struct level_stats *ls = &st.level[l];
		printf("sluice-diff: level -O%d classifier=%s policies=%llu packets=%llu "
		       "verdicts=%llu objects=%llu identical=%llu mismatches=%u broken=%u\n",
		       cfg.levels[l], mode && *mode ? mode : "auto",
		       (unsigned long long)ls->policies, (unsigned long long)ls->packets,
		       (unsigned long long)ls->verdicts, (unsigned long long)ls->objects,
		       (unsigned long long)ls->same_objects, ls->mismatches, ls->broken);
	}
	printf("sluice-diff: totals policies=%llu tables=%llu packets=%llu mismatches=%u "
	       "broken=%u invalid=%u\n",
	       (unsigned long long)st.policies, (unsigned long long)st.tables,
	       (unsigned long long)st.packets, st.mismatches, st.broken, st.invalid);
	return rc;
}
