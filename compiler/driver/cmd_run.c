// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice run`: evaluates a table of a policy on every packet of a pcap with
 * the reference interpreter. The output is the format `sluice-load run`
 * prints for the compiled object (loader/README.md), so the two diff cleanly.
 * Packets are seen the way BPF_PROG_TEST_RUN shows them to a program: a
 * frame from its Ethernet header (raw-IP captures get a zeroed one), minus
 * that header on cgroup_skb, `meta ifindex` 1 (the loopback device).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "../interp/interp.h"
#include "../ir/ir.h"
#include "../parser/parser.h"
#include "commands.h"

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_HLEN 14
#define MAX_CAPLEN 65536
#define TEST_RUN_IFINDEX 1

static const char run_help[] =
	"usage: sluice run POLICY [--table NAME] --pcap FILE [--json]\n"
	"\n"
	"Evaluates table NAME of POLICY (the only table when there is one) on every\n"
	"packet of FILE with the reference interpreter and prints, per packet,\n"
	"`<n>\\t<verdict>\\t<decider>` (decider: file:line:col of the deciding rule,\n"
	"or `policy`), a total line and the counters of the rules with `counter`.\n"
	"The output diffs cleanly with `sluice-load run OBJ --pcap FILE` on the\n"
	"compiled object. Ethernet captures for every hook; raw-IP captures\n"
	"(DLT_RAW, IPv4, IPv6) too, their meta protocol from the IP version.\n";

struct run_args {
	const char *policy;
	const char *table;
	const char *pcap;
	bool json;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(run_help, stdout);
			return 1;
		} else if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--table") && i + 1 < argc) {
			a->table = argv[++i];
		} else if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			a->pcap = argv[++i];
		} else if (argv[i][0] != '-' && !a->policy) {
			a->policy = argv[i];
		} else {
			fprintf(stderr, "sluice: error: run: unexpected argument '%s'\n", argv[i]);
			return -EINVAL;
		}
	}
	if (!a->policy || !a->pcap) {
		fprintf(stderr, "sluice: error: run needs a policy and --pcap FILE\n");
		return -EINVAL;
	}
	return 0;
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

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
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

static void print_decider(const struct sl_ir *ir, uint32_t id, bool json)
{
	const struct sl_ir_rule *r = id == SL_INTERP_POLICY ? NULL : rule_by_id(ir, id);

	if (!r) {
		printf(json ? "null" : "policy");
	} else if (json) {
		printf("{\"id\":%u,\"file\":", id);
		json_str(file_of(ir, r->loc));
		printf(",\"line\":%u,\"col\":%u}", r->loc.line, r->loc.col);
	} else {
		printf("%s:%u:%u", file_of(ir, r->loc), r->loc.line, r->loc.col);
	}
}

static void print_counters(const struct sl_ir *ir, const struct sl_interp_counter *counters,
			   bool json)
{
	bool first = true;

	for (uint32_t id = 0; id < ir->nrules; id++) {
		const struct sl_ir_rule *r = rule_by_id(ir, id);

		if (!r || !r->counter)
			continue;
		if (json) {
			printf("%s{\"id\":%u,\"file\":", first ? "" : ",", id);
			json_str(file_of(ir, r->loc));
			printf(",\"line\":%u,\"col\":%u,\"packets\":%llu,\"bytes\":%llu}", r->loc.line,
			       r->loc.col, (unsigned long long)counters[id].packets,
			       (unsigned long long)counters[id].bytes);
		} else {
			printf("counter\t%s:%u:%u\t%llu packets\t%llu bytes\n", file_of(ir, r->loc),
			       r->loc.line, r->loc.col, (unsigned long long)counters[id].packets,
			       (unsigned long long)counters[id].bytes);
		}
		first = false;
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
	return 0x0004;         /* ETH_P_802_2 */
}

struct run_state {
	const struct sl_ir *ir;
	uint32_t table;
	bool raw, json;
	uint32_t n, accept, drop;
	struct sl_interp_counter *counters;
	uint8_t frame[MAX_CAPLEN + ETH_HLEN];
};

/* Evaluate one captured packet; prints its line. 0 or -errno (reported). */
static int run_packet(struct run_state *s, const uint8_t *data, size_t caplen)
{
	enum sl_hook hook = s->ir->tables[s->table].hook;
	struct sl_interp_packet pkt = { .hook = hook, .ifindex = TEST_RUN_IFINDEX };
	struct sl_interp_result res;
	size_t len = caplen;

	s->n++;
	if (s->raw) {
		unsigned version = caplen ? data[0] >> 4 : 0;
		if (version != 4 && version != 6) {
			fprintf(stderr, "sluice: error: packet %u of the raw-IP pcap is not IPv4 or IPv6\n",
				s->n);
			return -EINVAL;
		}
		memset(s->frame, 0, 12);
		s->frame[12] = version == 4 ? 0x08 : 0x86;
		s->frame[13] = version == 4 ? 0x00 : 0xdd;
		memcpy(s->frame + ETH_HLEN, data, caplen);
		len = caplen + ETH_HLEN;
	} else {
		memcpy(s->frame, data, caplen);
	}
	if (len < ETH_HLEN) {
		fprintf(stderr, "sluice: error: packet %u has %zu bytes, less than an Ethernet header\n",
			s->n, len);
		return -EINVAL;
	}
	pkt.data = s->frame;
	pkt.len = len;
	if (!sl_hook_has_l2(hook)) {
		pkt.protocol = skb_protocol(s->frame, len);
		pkt.data += ETH_HLEN;
		pkt.len -= ETH_HLEN;
	}
	int err = sl_interp_run(s->ir, s->table, &pkt, &res, s->counters);
	if (err) {
		fprintf(stderr, "sluice: error: evaluating packet %u failed: %s\n", s->n,
			strerror(-err));
		return err;
	}
	bool accept = res.verdict == SL_VERDICT_ACCEPT;
	accept ? s->accept++ : s->drop++;
	if (s->json) {
		printf("%s{\"n\":%u,\"verdict\":\"%s\",\"rule\":", s->n > 1 ? "," : "", s->n,
		       accept ? "accept" : "drop");
		print_decider(s->ir, res.rule, true);
		printf("}");
	} else {
		printf("%u\t%s\t", s->n, accept ? "accept" : "drop");
		print_decider(s->ir, res.rule, false);
		printf("\n");
	}
	return 0;
}

static int run_pcap(struct run_state *s, pcap_t *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		size_t caplen = h->caplen > MAX_CAPLEN ? MAX_CAPLEN : h->caplen;
		int err = run_packet(s, data, caplen);

		if (err)
			return err;
	}
	if (rc == -1) {
		fprintf(stderr, "sluice: error: reading the pcap failed after %u packets: %s\n", s->n,
			pcap_geterr(p));
		return -EIO;
	}
	return 0;
}

static void pcap_closep(pcap_t **p)
{
	if (*p)
		pcap_close(*p);
}

/* Parse, check and lower: 0, or SL_EXIT_POLICY / SL_EXIT_USAGE (reported). */
static int load_policy(const char *path, struct sl_sources *srcs, struct sl_arena *arena,
		       struct sl_ir **ir)
{
	struct sl_ast *ast = NULL;
	struct sl_diag diag;
	int err;

	sl_diag_init(&diag, srcs, stderr);
	sl_diag_hold(&diag); /* printed in line order, all phases together */
	err = sl_parse_file(path, srcs, arena, &diag, &ast);
	if (!err)
		err = sl_check(ast, &diag);
	if (!err)
		err = sl_ir_lower(ast, arena, &diag, ir);
	sl_diag_release(&diag);
	if (err == -EINVAL || (!err && sl_diag_failed(&diag)))
		return SL_EXIT_POLICY;
	return err ? SL_EXIT_USAGE : 0;
}

int sl_cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	_cleanup_arena_ struct sl_arena *arena = NULL;
	__attribute__((cleanup(pcap_closep))) pcap_t *p = NULL;
	_cleanup_free_ struct run_state *s = NULL;
	_cleanup_free_ struct sl_interp_counter *counters = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct sl_sources srcs;
	struct sl_ir *ir = NULL;
	uint32_t table;
	int rc, dlt;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc > 0 ? SL_EXIT_OK : (fprintf(stderr, "\n%s", run_help), SL_EXIT_USAGE);

	sl_sources_init(&srcs);
	arena = sl_arena_new();
	rc = load_policy(a.policy, &srcs, arena, &ir);
	if (rc)
		goto out;
	rc = SL_EXIT_USAGE;
	if (find_table(ir, a.table, &table))
		goto out;

	p = pcap_open_offline(a.pcap, errbuf);
	if (!p) {
		fprintf(stderr, "sluice: error: cannot read pcap '%s': %s\n", a.pcap, errbuf);
		goto out;
	}
	dlt = pcap_datalink(p);
	bool raw = dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
	if (!raw && dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);
		fprintf(stderr,
			"sluice: error: pcap '%s' has link type %s; run reads Ethernet or raw-IP "
			"captures\n",
			a.pcap, name ? name : "?");
		goto out;
	}

	s = calloc(1, sizeof(*s));
	counters = calloc(ir->nrules + 1, sizeof(*counters));
	if (!s || !counters) {
		fprintf(stderr, "sluice: error: out of memory\n");
		goto out;
	}
	*s = (struct run_state){ .ir = ir, .table = table, .raw = raw, .json = a.json,
				 .counters = counters };
	if (a.json)
		printf("{\"packets\":[");
	if (run_pcap(s, p)) {
		if (a.json)
			printf("]}\n");
		rc = SL_EXIT_POLICY;
		goto out;
	}
	if (a.json) {
		printf("],\"total\":{\"packets\":%u,\"accept\":%u,\"drop\":%u},\"counters\":[", s->n,
		       s->accept, s->drop);
		print_counters(ir, counters, true);
		printf("]}\n");
	} else {
		printf("total: %u packets, %u accept, %u drop\n", s->n, s->accept, s->drop);
		print_counters(ir, counters, false);
	}
	rc = SL_EXIT_OK;
out:
	sl_arena_free(TAKE_PTR(arena));
	sl_sources_fini(&srcs);
	return rc;
}
