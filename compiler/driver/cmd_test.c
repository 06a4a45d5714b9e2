// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice test POLICY TESTFILE...`: every case of the test files
 * (lang-spec/test-format.md) through the reference interpreter and, with
 * --kernel, through the compiled object in this kernel (BPF_PROG_TEST_RUN);
 * a case fails when the verdict or the pinned deciding rule is not the one
 * expected, or when the kernel and the interpreter disagree. Packets are
 * seen as `sluice run` and `sluice-load run` show them to a table: a frame
 * from its Ethernet header (taken off on cgroup_skb), `meta ifindex` 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "driver/args.h"
#include "driver/commands.h"
#include "driver/test_kernel.h"
#include "driver/test_report.h"
#include "driver/test_sets.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "lib/compile.h"
#include "sluice/run_output.h"
#include "testcase/testcase.h"

#define ETH_HLEN SL_RUN_ETH_HLEN

static void test_usage(const struct sl_args *a, FILE *out)
{
	fprintf(out,
		"usage: sluice test [OPTIONS] POLICY TESTFILE...\n"
		"\n"
		"Runs every case of the test files, one a line (lang-spec/test-format.md):\n"
		"\n"
		"  tcp 198.51.100.7:40000 -> 192.0.2.10:22 syn   => drop\n"
		"  tcp 10.1.2.3:40000 -> 192.0.2.10:22 syn       => accept @ web.sluice:12\n"
		"  udp [2001:db8::1]:53 -> [2001:db8::2]:5353    => accept\n"
		"  icmp 192.0.2.1 -> 192.0.2.10 echo-request vlan 7 => accept\n"
		"  pcap capture.pcap#3                           => drop @ policy\n"
		"\n"
		"through the reference interpreter and, with --kernel, through the compiled\n"
		"object in this kernel (BPF_PROG_TEST_RUN; needs root or CAP_BPF). A case\n"
		"fails when the verdict (or the deciding rule after `@`) is not the expected\n"
		"one, or when the kernel and the interpreter disagree. Prints one line per\n"
		"failure, `FILE:LINE: expected ..., got ...`, then `N passed, M failed`.\n\n"
		"      --table=NAME       the table of cases without a `table NAME` line\n"
		"                         (needed when the policy has several)\n"
		"      --kernel           also run every case in the kernel: the policy is\n"
		"                         compiled with the options below, decisions recorded\n"
		"      --tap              TAP version 13 on standard output instead\n"
		"      --junit=FILE       also write a JUnit XML report to FILE\n"
		"      --coverage         list the rules no case reaches\n");
	sl_args_help(a, out);
	fprintf(out, "\nexit status: 0 every case passed, 1 a case failed or errors in the policy\n"
		     "             or a test file, 2 usage or system error\n");
}

struct test_args {
	const char *table;
	const char *junit;
	bool kernel, tap, coverage;
};

enum { OPT_TABLE = SL_ARGS_OWN, OPT_KERNEL, OPT_TAP, OPT_JUNIT, OPT_COVERAGE };

static int test_opt(struct sl_args *a, int c, const char *arg)
{
	struct test_args *t = a->ctx;

	switch (c) {
	case OPT_TABLE:
		t->table = arg;
		return 0;
	case OPT_KERNEL:
		t->kernel = true;
		return 0;
	case OPT_TAP:
		t->tap = true;
		return 0;
	case OPT_JUNIT:
		t->junit = arg;
		return 0;
	case OPT_COVERAGE:
		t->coverage = true;
		return 0;
	}
	return -1;
}

/* Everything the cases run against. */
struct runner {
	const struct test_args *args;
	struct sl_result *res;
	const struct sl_ir *ir; /* as written: the interpreter's */
	struct sl_ir *traced;	/* --coverage: a copy whose every rule counts */
	struct sl_interp_counter *hits;
	bool *tested;		     /* per table: a case ran on it */
	struct sl_test_kernel *kern; /* per table, loaded on first use */
	bool *kern_failed;
	struct sl_diag *diag; /* the test files' */
	struct sl_report *report;
	uint8_t *frame; /* SL_RUN_MAX_CAPLEN + ETH_HLEN bytes */
	/* named sets: the policy's contents, and a count of changes the kernel follows */
	struct sl_test_sets sets;
	unsigned sets_gen, *kern_gen; /* per table: the contents its maps hold */
	bool sets_failed;	      /* a `set` line of this file was wrong (said above) */
	/* connection state: one flow table, for the cases of one `flow` block */
	struct sl_interp_ct *ct;
	const struct sl_testcase *ct_prev; /* the case run last, or NULL */
	uint64_t now_ns;		   /* the interpreter's clock: a millisecond a case */
};

static const char *file_of(const struct sl_ir *ir, struct sl_loc loc)
{
	const struct sl_source *src = sl_sources_get(ir->srcs, loc.file);

	return src ? src->path : "?";
}

static const struct sl_ir_rule *rule_by_id(const struct sl_ir *ir, uint32_t id)
{
	for (uint32_t c = 0; c < ir->nchains; c++) {
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++) {
			if (ir->chains[c].rules[i].id == id)
				return &ir->chains[c].rules[i];
		}
	}
	return NULL;
}

/* "accept by web.sluice:12:5 `tcp dport 22 accept`" or "drop by the table's policy". */
static void describe(FILE *f, const struct sl_ir *ir, bool accept, uint32_t rule)
{
	const struct sl_ir_rule *r = rule == SL_INTERP_POLICY ? NULL : rule_by_id(ir, rule);

	fprintf(f, "%s", accept ? "accept" : "drop");
	if (rule == SL_TEST_KERNEL_UNKNOWN)
		fprintf(f, " (deciding rule not recorded)");
	else if (!r)
		fprintf(f, " by the table's policy");
	else
		fprintf(f, " by %s:%u:%u `%s`", file_of(ir, r->loc), r->loc.line, r->loc.col,
			r->text ? r->text : "");
}

static void expected(FILE *f, const struct sl_testcase *c)
{
	fprintf(f, "%s", c->verdict == SL_VERDICT_ACCEPT ? "accept" : "drop");
	if (c->by_policy)
		fprintf(f, " @ policy");
	else if (c->pinned && c->rule_col)
		fprintf(f, " @ %s:%u:%u", c->rule_file, c->rule_line, c->rule_col);
	else if (c->pinned)
		fprintf(f, " @ %s:%u", c->rule_file, c->rule_line);
}

static bool table_exists(const struct sl_ir *ir, const char *name)
{
	for (uint32_t i = 0; i < ir->ntables; i++) {
		if (!strcmp(ir->tables[i].name, name))
			return true;
	}
	return false;
}

static int find_table(const struct runner *r, const struct sl_testcase *c, uint32_t *out)
{
	const struct sl_ir *ir = r->ir;
	const char *name = c->table ? c->table : r->args->table;

	if (!name && ir->ntables == 1) {
		*out = 0;
		return 0;
	}
	for (uint32_t i = 0; name && i < ir->ntables; i++) {
		if (!strcmp(ir->tables[i].name, name)) {
			*out = i;
			return 0;
		}
	}
	if (name)
		sl_error(r->diag, c->table ? c->table_loc : c->loc, "the policy has no table '%s'",
			 name);
	else
		sl_error(r->diag, c->loc,
			 "the policy has %u tables: name this case's with a `table NAME` line "
			 "above it or --table",
			 ir->ntables);
	return -ENOENT;
}

/* Packet `n` (from 1) of a capture, as a frame. 0, or -errno (reported). */
static int pcap_frame(struct runner *r, const struct sl_testcase *c, uint8_t *buf, uint32_t *len)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(c->pcap_path, errbuf);
	uint32_t seen = 0;
	bool raw;
	int rc, err = -EINVAL;

	if (!p) {
		sl_error(r->diag, c->loc, "cannot read pcap '%s': %s", c->pcap_path, errbuf);
		return -ENOENT;
	}
	if (sl_run_link_type(pcap_datalink(p), &raw)) {
		sl_error(r->diag, c->loc, "pcap '%s' is not an Ethernet or raw-IP capture",
			 c->pcap_path);
		goto out;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1 && ++seen < c->pcap_index)
		;
	if (rc != 1) {
		sl_error(r->diag, c->loc, "pcap '%s' has %u packets, not %u", c->pcap_path, seen,
			 c->pcap_index);
		goto out;
	}
	if (sl_run_frame(data, h->caplen, raw, buf, len)) {
		sl_error(r->diag, c->loc, "packet %u of '%s': %s", c->pcap_index, c->pcap_path,
			 SL_RUN_NOT_IP);
		goto out;
	}
	err = 0;
out:
	pcap_close(p);
	return err;
}

/* skb->protocol as eth_type_trans() derives it from a frame's EtherType. */
static uint16_t skb_protocol(const uint8_t *frame, size_t len)
{
	uint16_t type = frame[12] << 8 | frame[13];

	if (type >= 0x600)
		return type;
	if (len >= ETH_HLEN + 2 && frame[14] == 0xff && frame[15] == 0xff)
		return 0x0001; /* ETH_P_802_3 */
	return 0x0004;	       /* ETH_P_802_2 */
}

/*
 * A table that tracks connections: the case's state from the flow table, which
 * the packet then changes (packet-semantics.md section 10); a packet of the
 * other direction goes to the companion, which accepts it.
 */
static int interpret_ct(struct runner *r, uint32_t t, struct sl_interp_packet *pkt, bool companion,
			struct sl_interp_result *res)
{
	struct sl_interp_fields fields;
	struct sl_interp_ct_change change;
	bool out = sl_interp_ct_hook_out(r->ir->tables[t].hook) != companion;
	int err;

	sl_interp_parse(pkt, &fields);
	fields.present[SL_FIELD_CT_STATE] = true;
	fields.value[SL_FIELD_CT_STATE] =
	    sl_interp_ct_state(r->ct, pkt, &fields, out, r->now_ns, &change);
	if (companion) {
		*res = (struct sl_interp_result){.verdict = SL_VERDICT_ACCEPT,
						 .rule = SL_INTERP_POLICY};
		return sl_interp_ct_commit(r->ct, &change);
	}
	err = sl_interp_run_fields(r->traced ? r->traced : r->ir, t, &fields,
				   sl_interp_wire_length(pkt), res, r->hits);
	if (!err && res->verdict == SL_VERDICT_ACCEPT)
		err = sl_interp_ct_commit(r->ct, &change);
	return err;
}

static int interpret(struct runner *r, uint32_t t, const uint8_t *frame, uint32_t len,
		     uint32_t ifindex, bool companion, struct sl_interp_result *res)
{
	enum sl_hook hook = r->ir->tables[t].hook;
	struct sl_interp_packet pkt = {.hook = hook, .data = frame, .len = len, .ifindex = ifindex};

	if (companion)
		pkt.hook = hook = sl_interp_ct_companion_hook(hook);

	if (!sl_hook_has_l2(hook) && len < ETH_HLEN) {
		pkt.len = 0;
	} else if (!sl_hook_has_l2(hook)) {
		pkt.protocol = skb_protocol(frame, len);
		pkt.data += ETH_HLEN;
		pkt.len -= ETH_HLEN;
	}
	if (r->ct)
		return interpret_ct(r, t, &pkt, companion, res);
	return sl_interp_run(r->traced ? r->traced : r->ir, t, &pkt, res, r->hits);
}

/*
 * Before case c on table t: a new flow table unless c continues the `flow`
 * block of the case before it (the interpreter's, and the kernel's map).
 */
static int ct_begin(struct runner *r, const struct sl_testcase *c, uint32_t t)
{
	const struct sl_testcase *prev = r->ct_prev;
	bool same = prev && c->flow && prev->flow == c->flow && prev + 1 == c;
	int err;

	r->ct_prev = c;
	r->now_ns += 1000000;
	if (same && r->ct)
		return 0;
	sl_interp_ct_free(r->ct);
	r->ct = NULL;
	err = sl_interp_ct_new(&r->ct);
	if (err)
		return err;
	if (r->kern[t].obj && sl_test_kernel_flush_flows(&r->kern[t]))
		return -EIO;
	return 0;
}

/* Whether case c's packet leaves the host while the table judges arriving ones (or back). */
static int other_direction(struct runner *r, const struct sl_testcase *c, uint32_t t, uint32_t len,
			   bool *companion)
{
	struct sl_run_local local = {0};
	char buf[512];
	size_t n = 0;

	*companion = false;
	if (!c->local)
		return 0;
	for (const char *p = c->local; *p && n + 1 < sizeof(buf); p++)
		if (*p != ' ' && *p != '\t')
			buf[n++] = *p;
	buf[n] = '\0';
	if (sl_run_local_parse(buf, &local)) {
		sl_error(r->diag, c->local_loc,
			 "'local' takes this host's addresses, IPv4 or IPv6 prefixes separated "
			 "by commas");
		return -EINVAL;
	}
	*companion =
	    sl_run_outgoing(&local, r->frame, len) != sl_interp_ct_hook_out(r->ir->tables[t].hook);
	if (*companion && (c->verdict != SL_VERDICT_ACCEPT || c->pinned)) {
		sl_error(r->diag, c->loc,
			 "this packet goes the other way (from a 'local' address or to one): "
			 "the table's companion tracks it and accepts it; expect '=> accept' "
			 "without '@'");
		return -EINVAL;
	}
	return 0;
}

/* Whether the interpreter's answer is the expected one. */
static bool as_expected(const struct runner *r, const struct sl_testcase *c,
			const struct sl_interp_result *res)
{
	const struct sl_ir_rule *rule;

	if (res->verdict != c->verdict)
		return false;
	if (!c->pinned)
		return true;
	if (c->by_policy || res->rule == SL_INTERP_POLICY)
		return c->by_policy && res->rule == SL_INTERP_POLICY;
	rule = rule_by_id(r->ir, res->rule);
	return rule && rule->loc.line == c->rule_line &&
	       (!c->rule_col || rule->loc.col == c->rule_col) &&
	       sl_tc_file_matches(c->rule_file, file_of(r->ir, rule->loc));
}

static struct sl_test_kernel *kernel_of(struct runner *r, uint32_t t)
{
	const struct sl_bpf_object *obj = r->res->obj;
	size_t size = 0;
	const void *image = sl_result_object(r->res, &size);

	if (r->kern_failed[t])
		return NULL;
	if (r->kern[t].obj)
		return &r->kern[t];
	const char *companion = NULL;
	enum sl_hook ct_hook = r->ir->tables[t].hook;

	for (uint32_t p = 0; p < obj->nprogs; p++)
		if (obj->progs[p].ct_companion && obj->progs[p].table == t) {
			companion = obj->progs[p].name;
			ct_hook = obj->progs[p].hook;
		}
	if (sl_test_kernel_open(image, size, obj->progs[t].name, r->ir->tables[t].hook, companion,
				ct_hook, &r->kern[t])) {
		r->kern_failed[t] = true;
		return NULL;
	}
	return &r->kern[t];
}

/*
 * The kernel's answer must be the interpreter's: what it said otherwise goes
 * to `msg`. `note` says why the kernel did not run the case. 0, or -errno
 * when it could not run the program at all (reported).
 */
static int in_kernel(struct runner *r, uint32_t t, const struct sl_testcase *c, uint32_t len,
		     bool companion, const struct sl_interp_result *want, FILE *msg, char *note,
		     size_t size)
{
	struct sl_test_kernel *k = kernel_of(r, t);
	uint32_t rule;
	bool accept;
	int err;

	if (!k)
		return -EIO;
	if (!c->pcap && c->pkt.ifindex != 1) {
		snprintf(note, size, "not run in the kernel: its test runs see ifindex 1");
		return 0;
	}
	if (r->ir->nsets && r->kern_gen[t] != r->sets_gen) {
		const char **names = calloc(r->ir->nsets, sizeof(*names));

		if (!names)
			return -ENOMEM;
		for (uint32_t i = 0; i < r->ir->nsets; i++)
			names[i] = r->res->obj->maps[r->res->obj->set_maps[i]].name;
		err = sl_test_kernel_fill_sets(k, r->ir, names);
		free(names);
		if (err)
			return -EIO;
		r->kern_gen[t] = r->sets_gen;
	}
	if (companion) {
		err = sl_test_kernel_run_companion(k, r->frame, len, note, size);
		if (err == -EPROTO)
			fprintf(msg, "the kernel's companion program did not accept it");
		return err == -EOPNOTSUPP || err == -EPROTO ? 0 : err;
	}
	err = sl_test_kernel_run(k, r->frame, len, &accept, &rule, note, size);
	if (err == -EOPNOTSUPP)
		return 0; /* the note says why */
	if (err)
		return err;
	if (accept == (want->verdict == SL_VERDICT_ACCEPT) && rule == want->rule)
		return 0;
	fprintf(msg, "the kernel disagrees with the interpreter: kernel ");
	describe(msg, r->ir, accept, rule);
	fprintf(msg, ", interpreter ");
	describe(msg, r->ir, want->verdict == SL_VERDICT_ACCEPT, want->rule);
	return 0;
}

/* The frame of a case for table t: its length, or -errno (reported). */
static int frame_of(struct runner *r, const struct sl_testcase *c, uint32_t t)
{
	uint32_t len;
	int err;

	if (!c->pcap)
		return sl_tc_frame(&c->pkt, r->ir->tables[t].hook, r->diag, r->frame);
	err = pcap_frame(r, c, r->frame, &len);
	return err ? err : (int)len;
}

/*
 * One case: its outcome goes to the report; -errno when it could not be
 * run (reported; the caller reports the case as failed).
 */
static int run_case(struct runner *r, const char *path, const struct sl_testcase *c)
{
	struct sl_interp_result res;
	char note[160] = "";
	bool companion = false;
	_cleanup_free_ char *msg = NULL;
	size_t msglen = 0;
	uint32_t t;
	int len, err;
	FILE *m;

	if (find_table(r, c, &t))
		return -ENOENT;
	len = frame_of(r, c, t);
	if (len < 0)
		return len;
	if (sl_interp_table_tracks(r->ir, t)) {
		err = other_direction(r, c, t, (uint32_t)len, &companion);
		if (!err)
			err = ct_begin(r, c, t);
		if (err)
			return err;
	} else if (r->ct) {
		sl_interp_ct_free(r->ct);
		r->ct = NULL;
	}
	err =
	    interpret(r, t, r->frame, (uint32_t)len, c->pcap ? 1 : c->pkt.ifindex, companion, &res);
	if (err) {
		fprintf(stderr, "sluice: error: the interpreter failed on %s:%u: %s\n", path,
			c->loc.line, strerror(-err));
		return err;
	}
	r->tested[t] = true;
	m = open_memstream(&msg, &msglen);
	if (!m)
		return -ENOMEM;
	if (!as_expected(r, c, &res)) {
		fprintf(m, "expected ");
		expected(m, c);
		fprintf(m, ", got ");
		describe(m, r->ir, res.verdict == SL_VERDICT_ACCEPT, res.rule);
	}
	if (r->args->kernel) {
		char *kmsg = NULL;
		size_t klen = 0;
		FILE *km = open_memstream(&kmsg, &klen);

		err =
		    km ? in_kernel(r, t, c, (uint32_t)len, companion, &res, km, note, sizeof(note))
		       : -ENOMEM;
		if (km)
			fclose(km);
		if (!err && klen)
			fprintf(m, "%s%s", ftell(m) ? "; and " : "", kmsg);
		free(kmsg);
		if (err) {
			fclose(m);
			return err;
		}
	}
	if (fclose(m))
		return -ENOMEM;
	sl_report_case(r->report, path, c, msglen ? msg : NULL, note[0] ? note : NULL);
	return 0;
}

/* --coverage: a copy of the IR whose every rule counts when it matches. */
static struct sl_ir *traced_copy(const struct sl_ir *ir)
{
	struct sl_ir *c = malloc(sizeof(*c));
	struct sl_ir_chain *chains = calloc(ir->nchains ? ir->nchains : 1, sizeof(*chains));

	if (!c || !chains) {
		free(c);
		free(chains);
		return NULL;
	}
	*c = *ir;
	c->chains = chains;
	for (uint32_t i = 0; i < ir->nchains; i++) {
		chains[i] = ir->chains[i];
		chains[i].rules = NULL;
		if (!ir->chains[i].nrules)
			continue;
		chains[i].rules = malloc(ir->chains[i].nrules * sizeof(*chains[i].rules));
		if (!chains[i].rules)
			continue; /* freed below with the rest */
		memcpy(chains[i].rules, ir->chains[i].rules,
		       ir->chains[i].nrules * sizeof(*chains[i].rules));
		for (uint32_t j = 0; j < ir->chains[i].nrules; j++)
			chains[i].rules[j].counter = true;
	}
	for (uint32_t i = 0; i < ir->nchains; i++) {
		if (ir->chains[i].nrules && !chains[i].rules) {
			for (uint32_t j = 0; j < ir->nchains; j++)
				free(chains[j].rules);
			free(chains);
			free(c);
			return NULL;
		}
	}
	return c;
}

static void traced_free(struct sl_ir *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nchains; i++)
		free(c->chains[i].rules);
	free(c->chains);
	free(c);
}

/* The chains table t can evaluate: its body and every chain a jump or goto reaches. */
static void mark_chains(const struct sl_ir *ir, uint32_t chain, bool *seen)
{
	if (seen[chain])
		return;
	seen[chain] = true;
	for (uint32_t i = 0; i < ir->chains[chain].nrules; i++) {
		const struct sl_ir_rule *rule = &ir->chains[chain].rules[i];

		if (rule->action == SL_IR_JUMP || rule->action == SL_IR_GOTO)
			mark_chains(ir, rule->target, seen);
	}
}

/* --coverage: per table a case ran on, the rules no case reached. */
static int coverage(struct runner *r)
{
	const struct sl_ir *ir = r->ir;
	_cleanup_free_ bool *seen = calloc(ir->nchains ? ir->nchains : 1, sizeof(*seen));

	if (!seen)
		return -ENOMEM;
	for (uint32_t t = 0; t < ir->ntables; t++) {
		uint32_t total = 0, reached = 0;

		if (!r->tested[t])
			continue;
		memset(seen, 0, ir->nchains * sizeof(*seen));
		mark_chains(ir, ir->tables[t].entry, seen);
		for (uint32_t ch = 0; ch < ir->nchains; ch++) {
			for (uint32_t i = 0; seen[ch] && i < ir->chains[ch].nrules; i++) {
				const struct sl_ir_rule *rule = &ir->chains[ch].rules[i];

				total++;
				if (r->hits[rule->id].packets) {
					reached++;
					continue;
				}
				sl_report_line(
				    r->report,
				    "%s:%u:%u: coverage: no case reaches `%s` (table %s)",
				    file_of(ir, rule->loc), rule->loc.line, rule->loc.col,
				    rule->text ? rule->text : "", ir->tables[t].name);
			}
		}
		sl_report_line(r->report, "coverage: table %s: %u of %u rules reached",
			       ir->tables[t].name, reached, total);
	}
	return 0;
}

struct testfiles {
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_arena *arena;
	struct sl_testfile *files;
	int n;
	size_t ncases;
};

/* Read and parse every test file. 0; SL_EXIT_POLICY after errors in them; SL_EXIT_USAGE. */
static int load_tests(struct testfiles *tf, char **paths, int n, unsigned max_errors)
{
	sl_sources_init(&tf->srcs);
	sl_diag_init(&tf->diag, &tf->srcs, stderr);
	tf->diag.max_errors = max_errors;
	tf->arena = sl_arena_new();
	tf->files = calloc(n, sizeof(*tf->files));
	if (!tf->arena || !tf->files) {
		fprintf(stderr, "sluice: error: out of memory\n");
		return SL_EXIT_USAGE;
	}
	for (int i = 0; i < n; i++) {
		int file = sl_sources_load(&tf->srcs, paths[i], SL_LOC_NONE);

		if (file < 0) {
			fprintf(stderr, "sluice: error: cannot read test file '%s': %s\n", paths[i],
				strerror(-file));
			return SL_EXIT_USAGE;
		}
		int err = sl_testfile_parse(&tf->diag, (uint32_t)file, tf->arena, &tf->files[i]);

		if (err == -ENOMEM) {
			fprintf(stderr, "sluice: error: out of memory\n");
			return SL_EXIT_USAGE;
		}
		tf->n++;
		tf->ncases += tf->files[i].ncases;
	}
	if (tf->diag.nerrors) {
		fprintf(stderr, "sluice test: %u error%s in the test files; no case was run\n",
			tf->diag.nerrors, tf->diag.nerrors == 1 ? "" : "s");
		return SL_EXIT_POLICY;
	}
	return 0;
}

static void testfiles_fini(struct testfiles *tf)
{
	sl_arena_free(tf->arena);
	free(tf->files);
	sl_sources_fini(&tf->srcs);
}

/* Every case of every file; then --coverage and the summary. Returns the exit code. */
static int run_all(struct runner *r, const struct testfiles *tf)
{
	for (int i = 0; i < tf->n; i++) {
		const struct sl_testfile *f = &tf->files[i];
		const char *path = sl_sources_get(&tf->srcs, f->file)->path;
		uint32_t applied = 0;

		/* each file starts from the policy's set contents */
		sl_test_sets_reset(&r->sets, r->ir);
		r->sets_gen++;
		r->sets_failed = false;
		for (size_t j = 0; j < f->ncases; j++) {
			int err = 0;

			for (; applied < f->cases[j].nsetdefs; applied++) {
				int e = sl_test_sets_apply(r->ir, r->res->arena, r->diag,
							   &f->setdefs[applied]);

				if (e == -ENOMEM)
					err = e;
				r->sets_failed |= e != 0;
				r->sets_gen++;
			}
			if (!err)
				err = r->sets_failed ? -EINVAL : run_case(r, path, &f->cases[j]);

			if (err == -ENOMEM) {
				fprintf(stderr, "sluice: error: out of memory\n");
				return SL_EXIT_USAGE;
			}
			if (err)
				sl_report_case(r->report, path, &f->cases[j],
					       err == -EIO ? "the kernel could not run the table's "
							     "program (said above)"
							   : "error (said above)",
					       NULL);
		}
	}
	if (r->args->coverage && coverage(r))
		return SL_EXIT_USAGE;
	if (sl_report_end(r->report))
		return SL_EXIT_POLICY;
	return SL_EXIT_OK;
}

static void runner_fini(struct runner *r)
{
	for (uint32_t t = 0; r->kern && r->ir && t < r->ir->ntables; t++)
		sl_test_kernel_close(&r->kern[t]);
	free(r->kern);
	free(r->kern_failed);
	free(r->kern_gen);
	sl_interp_ct_free(r->ct);
	sl_test_sets_fini(&r->sets);
	free(r->tested);
	free(r->hits);
	free(r->frame);
	traced_free(r->traced);
	sl_report_free(r->report);
	sl_result_free(r->res);
}

int sl_cmd_test(int argc, char **argv)
{
	static const struct option own[] = {
	    {"table", required_argument, NULL, OPT_TABLE},
	    {"kernel", no_argument, NULL, OPT_KERNEL},
	    {"tap", no_argument, NULL, OPT_TAP},
	    {"junit", required_argument, NULL, OPT_JUNIT},
	    {"coverage", no_argument, NULL, OPT_COVERAGE},
	    {0},
	};
	struct test_args ta = {0};
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "test",
	    .groups = SL_ARGS_WARN | SL_ARGS_LEVEL | SL_ARGS_CODEGEN,
	    .own = own,
	    .own_opt = test_opt,
	    .ctx = &ta,
	    .usage = test_usage,
	    .compile = {.opt_level = 2},
	};
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	struct testfiles tf = {0};
	struct runner r = {.args = &ta};
	char why[256];
	uint32_t nt;
	int rc;

	rc = sl_args_parse(&a, argc, argv);
	if (rc >= 0)
		return rc;
	if (a.ninputs < 2)
		return sl_args_error(&a, "needs a policy and at least one test file");
	for (int i = 1; i < a.ninputs; i++) {
		if (!strcmp(a.inputs[i], "-"))
			return sl_args_error(&a, "test files are files (standard input is for the "
						 "policy)");
	}
	if (ta.kernel && !sl_test_kernel_usable(why, sizeof(why))) {
		fprintf(stderr, "sluice: error: --kernel: %s\n", why);
		return SL_EXIT_USAGE;
	}
	rc = sl_policy_open(&policy, a.inputs[0]);
	if (rc)
		return rc;
	a.compile.diag = stderr;
	a.compile.record_decisions = true;
	rc = ta.kernel ? sl_compile(policy.path, policy.text, policy.len, &a.compile, &r.res)
		       : sl_compile_front(policy.path, policy.text, policy.len, &a.compile, &r.res);
	if (!r.res)
		return SL_EXIT_USAGE;
	if (rc)
		goto out;
	r.ir = r.res->written;
	if (ta.table && !table_exists(r.ir, ta.table)) {
		fprintf(stderr, "sluice: error: the policy has no table '%s'\n", ta.table);
		rc = SL_EXIT_USAGE;
		goto out;
	}
	rc = load_tests(&tf, a.inputs + 1, a.ninputs - 1, a.compile.max_errors);
	if (rc)
		goto out;
	nt = r.ir->ntables ? r.ir->ntables : 1;
	r.diag = &tf.diag;
	r.report = sl_report_new(stdout, ta.tap, tf.ncases);
	r.tested = calloc(nt, sizeof(*r.tested));
	r.kern = calloc(nt, sizeof(*r.kern));
	r.kern_failed = calloc(nt, sizeof(*r.kern_failed));
	r.kern_gen = calloc(nt, sizeof(*r.kern_gen));
	r.frame = malloc(SL_RUN_MAX_CAPLEN + ETH_HLEN);
	r.hits = calloc(r.ir->nrules + 1, sizeof(*r.hits));
	r.traced = ta.coverage ? traced_copy(r.ir) : NULL;
	rc = SL_EXIT_USAGE;
	if (!r.report || !r.tested || !r.kern || !r.kern_failed || !r.frame || !r.hits ||
	    !r.kern_gen || sl_test_sets_save(&r.sets, r.ir) || (ta.coverage && !r.traced)) {
		fprintf(stderr, "sluice: error: out of memory\n");
		goto out;
	}
	rc = run_all(&r, &tf);
	if (ta.junit) {
		int err = sl_report_junit(r.report, ta.junit);

		if (err) {
			fprintf(stderr, "sluice: error: cannot write '%s': %s\n", ta.junit,
				strerror(-err));
			rc = SL_EXIT_USAGE;
		}
	}
out:
	runner_fini(&r);
	testfiles_fini(&tf);
	return rc;
}
