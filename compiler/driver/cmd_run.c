// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice run`: evaluates a table of a policy on every packet of a pcap with
 * the reference interpreter. The output is the format `sluice-load run`
 * prints for the compiled object (loader/README.md), so the two diff cleanly.
 * Packets are seen the way BPF_PROG_TEST_RUN shows them to a program: a
 * frame from its Ethernet header (raw-IP captures get a zeroed one), minus
 * that header on cgroup_skb, `meta ifindex` 1 (the loopback device).
 * Every packet is judged, frames the kernel would not test-run included (a
 * runt has no header, only its `meta` fields: lang-spec/packet-semantics.md).
 */
#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "driver/run_sets.h"

#include "driver/args.h"
#include "driver/commands.h"
#include "interp/interp.h"
#include "ir/ir.h"
#include "lib/compile.h"
#include "sluice/run_output.h"

#define ETH_HLEN	 SL_RUN_ETH_HLEN
#define TEST_RUN_IFINDEX 1
/* Exit code when every packet was answered but some could not be judged (raw-IP non-IP). */
#define SL_EXIT_SKIPPED 3

static void run_usage(const struct sl_args *a, FILE *out)
{
	fprintf(out,
		"usage: sluice run [OPTIONS] POLICY --pcap FILE\n"
		"\n"
		"Evaluates table NAME of POLICY (`-`: standard input; the only table when\n"
		"there is one) on every packet of FILE with the reference interpreter and\n"
		"prints, per packet, `<n>\\t<verdict>\\t<decider>` (decider: file:line:col of\n"
		"the deciding rule, or `policy`), a total line and the counters of the rules\n"
		"with `counter`. The output diffs cleanly with `sluice-load run OBJ --pcap\n"
		"FILE` on the compiled object. Ethernet captures for every hook; raw-IP\n"
		"captures (DLT_RAW, IPv4, IPv6) too, their meta protocol from the IP version.\n"
		"Every frame is judged, runts and cut headers included; a raw-IP packet\n"
		"that is neither IPv4 nor IPv6 gets `<n>\\tskipped\\t<why>`.\n\n"
		"      --pcap=FILE        the packets (a pcap file)\n"
		"      --table=NAME       the table to run (needed when there are several)\n"
		"      --set=NAME=FILE    named set NAME holds FILE's elements (one a line, as\n"
		"                         `sluice-load set load` reads them) instead of the\n"
		"                         policy's; repeatable\n"
		"      --local=PREFIX,... this host's addresses: packets from them leave it\n"
		"                         (the other direction's packets: `<n>\\taccept\\t\n"
		"                         other-direction`, tracked for `ct state`)\n"
		"      --ifname=NAME=INDEX interface NAME has index INDEX (0: no such\n"
		"                         interface); without it, names resolve on this host,\n"
		"                         as `sluice-load run` does; the packets arrive on 1\n"
		"      --json             one JSON document instead of lines\n");
	sl_args_help(a, out);
	fprintf(out, "\nexit status: 0 every packet judged, 3 some skipped, 1 policy errors,\n"
		     "             2 usage or system error\n");
}

#define RUN_MAX_SETS 64

struct run_args {
	const char *table;
	const char *pcap;
	bool json;
	const char *sets[RUN_MAX_SETS]; /* --set NAME=FILE */
	unsigned nsets;
	bool has_local;
	struct sl_run_local local;
	const char *ifnames[RUN_MAX_SETS]; /* --ifname NAME=INDEX */
	unsigned nifnames;
};

enum { OPT_PCAP = SL_ARGS_OWN, OPT_TABLE, OPT_JSON, OPT_SET, OPT_LOCAL, OPT_IFNAME };

static int run_opt(struct sl_args *a, int c, const char *arg)
{
	struct run_args *r = a->ctx;

	switch (c) {
	case OPT_PCAP:
		r->pcap = arg;
		return 0;
	case OPT_TABLE:
		r->table = arg;
		return 0;
	case OPT_JSON:
		r->json = true;
		return 0;
	case OPT_SET:
		if (r->nsets == RUN_MAX_SETS)
			return sl_args_error(a, "takes at most %d --set options", RUN_MAX_SETS);
		r->sets[r->nsets++] = arg;
		return 0;
	case OPT_IFNAME:
		if (r->nifnames == RUN_MAX_SETS || !strchr(arg, '='))
			return sl_args_error(a, "--ifname takes NAME=INDEX (at most %d)",
					     RUN_MAX_SETS);
		r->ifnames[r->nifnames++] = arg;
		return 0;
	case OPT_LOCAL:
		r->has_local = true;
		if (sl_run_local_parse(arg, &r->local))
			return sl_args_error(a, "--local takes IPv4 or IPv6 prefixes, not '%s'",
					     arg);
		return 0;
	}
	return -1;
}

static int find_table(const struct sl_ir *ir, const char *name, uint32_t *out)
{
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
		fprintf(stderr, "sluice: error: the policy has no table '%s'; its tables:", name);
	else if (ir->ntables == 0)
		fprintf(stderr, "sluice: error: the policy has no table to run\n");
	else
		fprintf(stderr, "sluice: error: the policy has %u tables; choose one with --table:",
			ir->ntables);
	for (uint32_t i = 0; i < ir->ntables; i++)
		fprintf(stderr, " %s", ir->tables[i].name);
	if (ir->ntables)
		fprintf(stderr, "\n");
	return -ENOENT;
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

static const char *file_of(const struct sl_ir *ir, struct sl_loc loc)
{
	const struct sl_source *src = sl_sources_get(ir->srcs, loc.file);

	return src ? src->path : "?";
}

/* The output's name for rule r. */
static struct sl_run_rule run_rule(const struct sl_ir *ir, const struct sl_ir_rule *r)
{
	return (struct sl_run_rule){
	    .id = r->id, .file = file_of(ir, r->loc), .line = r->loc.line, .col = r->loc.col};
}

static void print_counters(const struct sl_ir *ir, const struct sl_interp_counter *counters,
			   struct sl_run_out *out)
{
	for (uint32_t id = 0; id < ir->nrules; id++) {
		const struct sl_ir_rule *r = rule_by_id(ir, id);
		struct sl_run_rule rule;

		if (!r || !r->counter)
			continue;
		rule = run_rule(ir, r);
		sl_run_out_counter(out, &rule, counters[id].packets, counters[id].bytes);
	}
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

struct run_state {
	const struct sl_ir *ir;
	uint32_t table;
	bool raw;
	struct sl_interp_ct *ct; /* the table tracks connections */
	const struct sl_run_local *local;
	struct sl_run_out out;
	struct sl_interp_counter *counters;
	struct sl_interp_state *state; /* limits and meters: the pcap's timestamps are the clock */
	uint64_t now_ns;
	uint32_t ifname_index[SL_MAX_IFNAMES]; /* of ir->ifnames */
	uint8_t frame[SL_RUN_MAX_CAPLEN + ETH_HLEN];
};

/* The index of each interface name: --ifname, else this host's (if_nametoindex). */
static int resolve_ifnames(const struct sl_ir *ir, const struct run_args *ra, uint32_t *out)
{
	for (uint32_t i = 0; i < ir->nifnames && i < SL_MAX_IFNAMES; i++) {
		const char *name = ir->ifnames[i].name;
		bool given = false;

		for (unsigned k = 0; k < ra->nifnames; k++) {
			const char *eq = strchr(ra->ifnames[k], '=');
			char *end;

			if ((size_t)(eq - ra->ifnames[k]) != strlen(name) ||
			    strncmp(ra->ifnames[k], name, strlen(name)))
				continue;
			out[i] = (uint32_t)strtoul(eq + 1, &end, 10);
			given = !*end && eq[1];
			if (!given) {
				fprintf(stderr, "sluice: error: --ifname %s: INDEX is a number\n",
					ra->ifnames[k]);
				return -EINVAL;
			}
		}
		if (!given)
			out[i] = if_nametoindex(name);
		if (!out[i] && ir->ifnames[i].required) {
			fprintf(stderr,
				"sluice: error: the policy matches 'meta iif \"%s\"' and no "
				"interface is called '%s' (give one with --ifname %s=INDEX)\n",
				name, name, name);
			return -ENODEV;
		}
	}
	return 0;
}

/* Evaluate one captured packet; prints its line. 0 or -errno (reported). */
static int run_packet(struct run_state *s, const uint8_t *data, uint32_t caplen, uint64_t now)
{
	enum sl_hook hook = s->ir->tables[s->table].hook;
	struct sl_interp_packet pkt = {.hook = hook,
				       .ifindex = TEST_RUN_IFINDEX,
				       .ifname_index = s->ifname_index,
				       .nifnames = s->ir->nifnames,
				       .time_ns = s->now_ns,
				       .state = s->state};
	struct sl_interp_result res;
	struct sl_interp_fields fields;
	struct sl_interp_ct_change change;
	const struct sl_ir_rule *r;
	struct sl_run_rule rule;
	uint32_t len, n = s->out.n + 1;
	bool out = sl_interp_ct_hook_out(hook), companion = false;

	if (sl_run_frame(data, caplen, s->raw, s->frame, &len)) {
		sl_run_out_skipped(&s->out, SL_RUN_NOT_IP);
		return 0;
	}
	if (s->local && sl_run_outgoing(s->local, s->frame, len) != out) {
		/* the other direction: the table never sees it; its companion tracks it */
		pkt.hook = hook = sl_interp_ct_companion_hook(hook);
		out = !out;
		companion = true;
	}
	pkt.data = s->frame;
	pkt.len = len;
	if (!sl_hook_has_l2(hook) && len < ETH_HLEN) {
		pkt.len = 0; /* cgroup_skb: no IP header, no protocol (0) */
	} else if (!sl_hook_has_l2(hook)) {
		pkt.protocol = skb_protocol(s->frame, len);
		pkt.data += ETH_HLEN;
		pkt.len -= ETH_HLEN;
	}
	sl_interp_parse(&pkt, &fields);
	if (s->ct) {
		fields.present[SL_FIELD_CT_STATE] = true;
		fields.value[SL_FIELD_CT_STATE] =
		    sl_interp_ct_state(s->ct, &pkt, &fields, out, now, &change);
	}
	if (companion) {
		sl_run_out_tracked(&s->out);
		return s->ct ? sl_interp_ct_commit(s->ct, &change) : 0;
	}
	/* with the limits' state and the capture's clock (full buckets without them) */
	int err = sl_interp_run_state(s->ir, s->table, &fields, sl_interp_wire_length(&pkt),
				      s->now_ns, s->state, &res, s->counters);
	if (!err && s->ct && res.verdict == SL_VERDICT_ACCEPT)
		err = sl_interp_ct_commit(s->ct, &change);
	if (err) {
		fprintf(stderr, "sluice: error: evaluating packet %u failed: %s\n", n,
			strerror(-err));
		return err;
	}
	r = res.rule == SL_INTERP_POLICY ? NULL : rule_by_id(s->ir, res.rule);
	if (r)
		rule = run_rule(s->ir, r);
	sl_run_out_verdict(&s->out, res.verdict == SL_VERDICT_ACCEPT,
			   r ? SL_RUN_BY_RULE : SL_RUN_BY_POLICY, &rule);
	return 0;
}

static int run_pcap(struct run_state *s, pcap_t *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		int err;

		/* opened with nanosecond timestamps: tv_usec holds nanoseconds */
		s->now_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		err = run_packet(s, data, h->caplen, s->now_ns);

		if (err)
			return err;
	}
	if (rc == -1) {
		fprintf(stderr, "sluice: error: reading the pcap failed after %u packets: %s\n",
			s->out.n, pcap_geterr(p));
		return -EIO;
	}
	return 0;
}

static void pcap_closep(pcap_t **p)
{
	if (*p)
		pcap_close(*p);
}

int sl_cmd_run(int argc, char **argv)
{
	static const struct option own[] = {
	    {"pcap", required_argument, NULL, OPT_PCAP},
	    {"table", required_argument, NULL, OPT_TABLE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"set", required_argument, NULL, OPT_SET},
	    {"local", required_argument, NULL, OPT_LOCAL},
	    {"ifname", required_argument, NULL, OPT_IFNAME},
	    {0},
	};
	struct run_args ra = {0};
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "run",
	    .groups = SL_ARGS_WARN,
	    .own = own,
	    .own_opt = run_opt,
	    .ctx = &ra,
	    .usage = run_usage,
	};
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	__attribute__((cleanup(pcap_closep))) pcap_t *p = NULL;
	_cleanup_free_ struct run_state *s = NULL;
	_cleanup_free_ struct sl_interp_counter *counters = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct sl_result *res = NULL;
	const struct sl_ir *ir;
	uint32_t table;
	int rc, dlt;

	rc = sl_args_parse(&a, argc, argv);
	if (rc >= 0)
		return rc;
	if (a.ninputs > 1)
		return sl_args_error(&a, "takes one policy, got '%s' and '%s'", a.inputs[0],
				     a.inputs[1]);
	if (!a.ninputs || !ra.pcap)
		return sl_args_error(&a, "needs a policy and --pcap FILE");
	if (!strcmp(a.inputs[0], "-") && !strcmp(ra.pcap, "-"))
		return sl_args_error(&a, "the policy and the pcap cannot both be standard input");

	rc = sl_policy_open(&policy, a.inputs[0]);
	if (rc)
		return rc;
	a.compile.diag = stderr;
	rc = sl_compile_front(policy.path, policy.text, policy.len, &a.compile, &res);
	if (!res)
		return SL_EXIT_USAGE;
	if (rc)
		goto out;
	ir = res->written;
	rc = SL_EXIT_USAGE;
	if (find_table(ir, ra.table, &table))
		goto out;
	/* the written IR is this command's own: its sets may take other contents */
	if (sl_run_load_sets((struct sl_ir *)ir, ra.sets, ra.nsets))
		goto out;

	p = pcap_open_offline_with_tstamp_precision(ra.pcap, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "sluice: error: cannot read pcap '%s': %s\n", ra.pcap, errbuf);
		goto out;
	}
	dlt = pcap_datalink(p);
	bool raw;
	if (sl_run_link_type(dlt, &raw)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		fprintf(stderr,
			"sluice: error: pcap '%s' has link type %s; run reads Ethernet or raw-IP "
			"captures\n",
			ra.pcap, name ? name : "?");
		goto out;
	}

	s = calloc(1, sizeof(*s));
	counters = calloc(ir->nrules + 1, sizeof(*counters));
	if (!s || !counters) {
		fprintf(stderr, "sluice: error: out of memory\n");
		goto out;
	}
	*s = (struct run_state){.ir = ir,
				.table = table,
				.raw = raw,
				.counters = counters,
				.local = ra.has_local ? &ra.local : NULL};
	if (resolve_ifnames(ir, &ra, s->ifname_index))
		goto out;
	s->state = sl_interp_state_new(ir);
	if (!s->state || (sl_interp_table_tracks(ir, table) && sl_interp_ct_new(&s->ct))) {
		fprintf(stderr, "sluice: error: out of memory\n");
		goto out;
	}
	sl_run_out_begin(&s->out, stdout, ra.json);
	if (run_pcap(s, p)) {
		sl_run_out_abort(&s->out);
		rc = SL_EXIT_POLICY;
		goto out;
	}
	sl_run_out_total(&s->out);
	print_counters(ir, counters, &s->out);
	sl_run_out_end(&s->out);
	rc = s->out.skipped ? SL_EXIT_SKIPPED : SL_EXIT_OK;
out:
	if (s) {
		sl_interp_state_free(s->state);
		sl_interp_ct_free(s->ct);
	}
	sl_result_free(res);
	return rc;
}
