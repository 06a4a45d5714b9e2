// SPDX-License-Identifier: GPL-2.0-only
/*
 * run: executes a table's program on every packet of a pcap with
 * BPF_PROG_TEST_RUN and prints verdicts, deciding rules and counters in the
 * format `sluice run` prints too (loader/README.md), so the two diff cleanly.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
/* libpcap's classic-BPF header clashes with linux/bpf.h; only the capture API is used. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sluice/run_output.h>

#include <sluice/log.h>

#include "cmd.h"
#include "counters.h"
#include "ct.h"
#include "kernel.h"
#include "obj.h"
#include "sets.h"
#include "util.h"

#define DECISION_UNSET 0xfffffffeu

/* Exit code of a run that answered every packet but had to skip some (see run_help). */
#define SL_EXIT_SKIPPED 3

/* What BPF_PROG_TEST_RUN of an skb program (tc, cgroup_skb) takes at most: a page less the
 * skb's headroom (NET_SKB_PAD, 64) and tailroom (struct skb_shared_info, 320), x86-64. */
#define SKB_TEST_RUN_OVERHEAD 384

static const char run_help[] =
    "usage: sluice-load run OBJ [--table NAME] --pcap FILE [--set NAME=FILE]...\n"
    "                            [--local PREFIX,...] [--json]\n"
    "\n"
    "Runs the table's program in the kernel (BPF_PROG_TEST_RUN) on each packet of\n"
    "FILE and prints, per packet, `<n>\\t<verdict>\\t<decider>`, then a total line and\n"
    "the rule counters. Ethernet pcaps for every hook; raw-IP pcaps (DLT_RAW) get\n"
    "an Ethernet header prepended. The decider (file:line:col of the rule, or\n"
    "`policy`) is known when the object was built with --record-decisions, `?`\n"
    "otherwise. A packet the kernel will not test-run (frames under 14 bytes; on\n"
    "tc and cgroup_skb, IPv4/IPv6 headers under 20/40 bytes and frames over about\n"
    "a page) gets `<n>\\tskipped\\t<why>` and the run goes on. Exit codes: 0 every\n"
    "packet judged, 3 all answered but some skipped, 1 failed, 2 usage.\n"
    "Named sets hold the policy's elements; --set NAME=FILE gives set NAME the\n"
    "elements of FILE instead (one a line, as `sluice-load set load` reads them).\n"
    "A table with `ct state` keeps its flow table over the whole capture; with\n"
    "--local (this host's addresses), packets from them leave the host; the table\n"
    "never sees the other direction's packets (its companion tracks them):\n"
    "`<n>\\taccept\\tother-direction`. Flow timeouts run on the kernel's clock.\n"
    "Output format: loader/README.md.\n";

#define SL_RUN_MAX_SETS 64

struct run_args {
	const char *obj;
	const char *table;
	const char *pcap;
	bool json;
	const char *sets[SL_RUN_MAX_SETS]; /* --set NAME=FILE */
	int nsets;
	bool has_local;
	struct sl_run_local local;
};

static int parse_run(int argc, char **argv, struct run_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (sl_is_help(argv[i])) {
			fputs(run_help, stdout);
			return 1;
		} else if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--table") && i + 1 < argc) {
			a->table = argv[++i];
		} else if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			a->pcap = argv[++i];
		} else if (!strcmp(argv[i], "--set") && i + 1 < argc && strchr(argv[i + 1], '=') &&
			   a->nsets < SL_RUN_MAX_SETS) {
			a->sets[a->nsets++] = argv[++i];
		} else if (!strcmp(argv[i], "--local") && i + 1 < argc) {
			a->has_local = true;
			if (sl_run_local_parse(argv[++i], &a->local)) {
				fprintf(stderr,
					"sluice-load: usage error: --local takes IPv4 or IPv6 "
					"prefixes, not '%s'\n",
					argv[i]);
				return -EINVAL;
			}
		} else if (argv[i][0] != '-' && !a->obj) {
			a->obj = argv[i];
		} else {
			fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n",
				argv[i]);
			return -EINVAL;
		}
	}
	if (!a->obj || !a->pcap) {
		fprintf(stderr, "sluice-load: usage error: run needs an object and --pcap FILE\n");
		return -EINVAL;
	}
	return 0;
}

/* Maps the program's return code to a verdict: 1 accept, 0 drop, -1 unknown. */
static int verdict_of(uint32_t hook, int32_t ret)
{
	switch (hook) {
	case SLUICE_HOOK_XDP:
		return ret == 2 /* XDP_PASS */ ? 1 : ret == 1 /* XDP_DROP */ ? 0 : -1;
	case SLUICE_HOOK_TC_INGRESS:
	case SLUICE_HOOK_TC_EGRESS:
		return ret == 0 || ret == -1 /* TC_ACT_OK, TC_ACT_UNSPEC */ ? 1
		       : ret == 2 /* TC_ACT_SHOT */			    ? 0
									    : -1;
	default:
		return ret == 1 ? 1 : ret == 0 ? 0 : -1;
	}
}

/* The output's name for rule id of the object (the rule must exist). */
static struct sl_run_rule rule_of(const struct sl_meta *m, uint32_t id)
{
	const struct sluice_meta_rule *r = &m->rules[id];

	return (struct sl_run_rule){
	    .id = id, .file = sl_meta_str(m, r->file_str), .line = r->line, .col = r->col};
}

/*
 * Why the kernel refused to test-run a frame with EINVAL. net/bpf/test_run.c takes frames of
 * at least ETH_HLEN bytes (bpf_test_init()); for skb programs also at most a page less the
 * skb's head- and tailroom, and, when the EtherType says IPv4 or IPv6, only frames holding
 * that fixed header (20 or 40 bytes: bpf_prog_test_run_skb() reads the addresses from it;
 * older kernels skipped them instead). VLAN-tagged frames are not checked.
 */
static void refusal(uint32_t hook, const uint8_t *frame, uint32_t len, char *why, size_t size)
{
	bool skb = hook != SLUICE_HOOK_XDP;
	uint16_t type = len >= SL_RUN_ETH_HLEN ? frame[12] << 8 | frame[13] : 0;
	long page = sysconf(_SC_PAGESIZE);

	if (len < SL_RUN_ETH_HLEN)
		snprintf(why, size, "the kernel cannot test-run frames under 14 bytes");
	else if (skb && type == 0x0800 && len < SL_RUN_ETH_HLEN + 20)
		snprintf(why, size,
			 "the kernel cannot test-run tc or cgroup_skb frames with an IPv4 header "
			 "under 20 bytes (%u here)",
			 len - SL_RUN_ETH_HLEN);
	else if (skb && type == 0x86dd && len < SL_RUN_ETH_HLEN + 40)
		snprintf(why, size,
			 "the kernel cannot test-run tc or cgroup_skb frames with an IPv6 header "
			 "under 40 bytes (%u here)",
			 len - SL_RUN_ETH_HLEN);
	else if (skb && page > SKB_TEST_RUN_OVERHEAD && len > page - SKB_TEST_RUN_OVERHEAD)
		snprintf(why, size,
			 "the kernel cannot test-run tc or cgroup_skb frames over %ld bytes (%u "
			 "here)",
			 page - SKB_TEST_RUN_OVERHEAD, len);
	else
		snprintf(why, size, "the kernel refused to test-run it: %s", strerror(EINVAL));
}

/* Runs one frame; prints its line (a verdict, or why the kernel would not run it). */
static int run_packet(const struct sl_obj *o, struct sl_run_out *out, const uint8_t *pkt,
		      uint32_t len, const struct sl_run_local *local)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .repeat = 1);
	const struct sl_meta *m = o->meta;
	uint32_t key = 0, decision = DECISION_UNSET, n = out->n + 1;
	int dfd = o->decisions ? bpf_map__fd(o->decisions) : -1;
	struct sl_run_rule rule;
	int verdict, err;

	if (local && sl_run_outgoing(local, pkt, len) != sl_ct_hook_out(o->table->hook)) {
		/* the other direction: the table never sees it; its companion tracks it */
		if (!o->ct_prog) {
			sl_run_out_tracked(out);
			return 0;
		}
		err = bpf_prog_test_run_opts(o->ct_prog_fd, &opts);
		if (err && errno == EINVAL) {
			char why[160];

			refusal(o->ct_hook, pkt, len, why, sizeof(why));
			sl_run_out_skipped(out, why);
			return 0;
		}
		if (err || verdict_of(o->ct_hook, (int32_t)opts.retval) != 1)
			return sl_err(err ? -errno : -EINVAL,
				      "packet %u: the companion program did not accept it", n);
		sl_run_out_tracked(out);
		return 0;
	}
	if (dfd >= 0 && bpf_map_update_elem(dfd, &key, &decision, BPF_ANY))
		return sl_err(-errno, "cannot reset the decision map: %s", strerror(errno));
	err = bpf_prog_test_run_opts(o->prog_fd, &opts);
	if (err && errno == EINVAL) {
		/* this frame, not the object or the system: say why and go on */
		char why[160];

		refusal(o->table->hook, pkt, len, why, sizeof(why));
		sl_run_out_skipped(out, why);
		return 0;
	}
	if (err) {
		err = -errno;
		sl_err(err, "packet %u (%u bytes): the kernel refused the test run: %s", n, len,
		       strerror(-err));
		sl_explain_bpf_perm(err);
		return err;
	}
	verdict = verdict_of(o->table->hook, (int32_t)opts.retval);
	if (verdict < 0)
		return sl_err(-EINVAL,
			      "packet %u: the program returned %d, not a verdict of a %s program",
			      n, (int32_t)opts.retval, sl_hook_name(o->table->hook));
	if (dfd >= 0 && bpf_map_lookup_elem(dfd, &key, &decision))
		decision = DECISION_UNSET;
	if (!o->decisions || decision == DECISION_UNSET ||
	    (decision != SLUICE_DECISION_POLICY && decision >= m->hdr.nrules)) {
		sl_run_out_verdict(out, verdict, SL_RUN_UNKNOWN, NULL);
	} else if (decision == SLUICE_DECISION_POLICY) {
		sl_run_out_verdict(out, verdict, SL_RUN_BY_POLICY, NULL);
	} else {
		rule = rule_of(m, decision);
		sl_run_out_verdict(out, verdict, SL_RUN_BY_RULE, &rule);
	}
	return 0;
}

static int run_pcap(const struct sl_obj *o, pcap_t *p, bool raw, struct sl_run_out *out,
		    const struct sl_run_local *local)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	_cleanup_free_ uint8_t *buf = malloc(SL_RUN_MAX_CAPLEN + SL_RUN_ETH_HLEN);
	/* test objects (--test-clock): the pcap's timestamps are the programs' clock */
	struct bpf_map *clock = bpf_object__find_map_by_name(o->obj, SLUICE_CLOCK_MAP);
	int rc, err;

	if (!buf)
		return -ENOMEM;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint32_t len = 0;

		if (clock) {
			uint32_t zero = 0;
			uint64_t now =
			    (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;

			if (bpf_map_update_elem(bpf_map__fd(clock), &zero, &now, BPF_ANY))
				return sl_err(-errno, "cannot set the test clock: %s",
					      strerror(errno));
		}
		if (sl_run_frame(data, h->caplen, raw, buf, &len)) {
			sl_run_out_skipped(out, SL_RUN_NOT_IP);
			continue;
		}
		err = run_packet(o, out, buf, len, local);
		if (err)
			return err;
	}
	if (rc == -1)
		return sl_err(-EINVAL, "reading the pcap failed after %u packets: %s", out->n,
			      pcap_geterr(p));
	return 0;
}

static void print_counters(const struct sl_obj *o, struct sl_run_out *out)
{
	const struct sl_meta *m = o->meta;
	int fd = o->counters ? bpf_map__fd(o->counters) : -1;

	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];
		struct sluice_counter c = {};
		struct sl_run_rule rule;

		if (r->counter_slot == SLUICE_NO_COUNTER || fd < 0)
			continue;
		sl_counters_read(fd, r->counter_slot, &c);
		rule = rule_of(m, i);
		sl_run_out_counter(out, &rule, c.packets, c.bytes);
	}
}

static void pcap_closep(pcap_t **p)
{
	if (*p)
		pcap_close(*p);
}

/* --set NAME=FILE: the set's slot gets a map with FILE's elements (sets.h). */
static int run_sets(struct sl_obj *o, const struct run_args *a)
{
	for (int i = 0; i < a->nsets; i++) {
		const char *eq = strchr(a->sets[i], '=');
		char name[256];
		struct bpf_map *outer;
		struct sl_set s;
		uint32_t count;
		int fd, err;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
		if (sl_set_find(o->meta, name, &s))
			return -ENOENT;
		outer = bpf_object__find_map_by_name(o->obj, sl_meta_str(o->meta, s.rec->map_str));
		if (!outer)
			return sl_err(-ENOENT, "'%s' has no map for set '%s'", o->path, name);
		fd = sl_set_load_file(&s, eq + 1, &count);
		if (fd < 0)
			return fd;
		err = sl_set_slot_put(bpf_map__fd(outer), fd);
		close(fd);
		if (err)
			return sl_err(err, "cannot store the map of set '%s': %s", name,
				      strerror(-err));
	}
	return 0;
}

int sl_cmd_run(int argc, char **argv)
{
	struct run_args a = {};
	_cleanup_obj_ struct sl_obj *o = NULL;
	__attribute__((cleanup(pcap_closep))) pcap_t *p = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct sl_run_out out;
	bool raw;
	int r, dlt;

	r = parse_run(argc, argv, &a);
	if (r)
		return r > 0 ? SL_EXIT_OK : (fprintf(stderr, "\n%s", run_help), SL_EXIT_USAGE);
	if (sl_obj_open(a.obj, a.table, &o))
		return SL_EXIT_FAIL;
	p = pcap_open_offline_with_tstamp_precision(a.pcap, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		sl_err(-EINVAL, "cannot read pcap '%s': %s", a.pcap, errbuf);
		return SL_EXIT_FAIL;
	}
	dlt = pcap_datalink(p);
	if (sl_run_link_type(dlt, &raw)) {
		sl_err(-EINVAL, "pcap '%s' has link type %s; run reads Ethernet or raw-IP captures",
		       a.pcap,
		       pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
		sl_hint("capture with `tcpdump -i DEV -w FILE` on an Ethernet device, or convert "
			"the capture");
		return SL_EXIT_FAIL;
	}
	if (sl_kernel_check(o->table->hook, false, sl_obj_has_log(o)) ||
	    sl_kernel_prepare_test_run(o->prog, o->table->hook) ||
	    (o->ct_prog && sl_kernel_prepare_test_run(o->ct_prog, o->ct_hook)) || sl_obj_load(o))
		return SL_EXIT_FAIL;
	if (sl_sets_setup(o, NULL, NULL) || run_sets(o, &a))
		return SL_EXIT_FAIL;
	sl_run_out_begin(&out, stdout, a.json);
	if (run_pcap(o, p, raw, &out, a.has_local ? &a.local : NULL)) {
		sl_run_out_abort(&out);
		return SL_EXIT_FAIL;
	}
	sl_run_out_total(&out);
	print_counters(o, &out);
	sl_run_out_end(&out);
	return out.skipped ? SL_EXIT_SKIPPED : SL_EXIT_OK;
}
