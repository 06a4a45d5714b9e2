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

#include "cmd.h"
#include "counters.h"
#include "kernel.h"
#include "obj.h"
#include "util.h"

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_HDR_LEN    14
#define DECISION_UNSET 0xfffffffeu

static const char run_help[] =
    "usage: sluice-load run OBJ [--table NAME] --pcap FILE [--json]\n"
    "\n"
    "Runs the table's program in the kernel (BPF_PROG_TEST_RUN) on each packet of\n"
    "FILE and prints, per packet, `<n>\\t<verdict>\\t<decider>`, then a total line and\n"
    "the rule counters. Ethernet pcaps for every hook; raw-IP pcaps (DLT_RAW) get\n"
    "an Ethernet header prepended. The decider (file:line:col of the rule, or\n"
    "`policy`) is known when the object was built with --record-decisions, `?`\n"
    "otherwise. Output format: loader/README.md.\n";

struct run_args {
	const char *obj;
	const char *table;
	const char *pcap;
	bool json;
};

struct verdicts {
	uint32_t n;
	uint32_t accept;
	uint32_t drop;
	bool json;
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

static void print_decider(const struct sl_obj *o, uint32_t id, bool json)
{
	const struct sl_meta *m = o->meta;

	if (!o->decisions || id == DECISION_UNSET ||
	    (id != SLUICE_DECISION_POLICY && id >= m->hdr.nrules)) {
		printf(json ? "\"?\"" : "?");
	} else if (id == SLUICE_DECISION_POLICY) {
		printf(json ? "null" : "policy");
	} else if (json) {
		printf("{\"id\":%u,\"file\":", id);
		sl_json_str(stdout, sl_meta_str(m, m->rules[id].file_str));
		printf(",\"line\":%u,\"col\":%u}", m->rules[id].line, m->rules[id].col);
	} else {
		printf("%s:%u:%u", sl_meta_str(m, m->rules[id].file_str), m->rules[id].line,
		       m->rules[id].col);
	}
}

/* Runs one packet; prints its line. */
static int run_packet(const struct sl_obj *o, struct verdicts *v, const uint8_t *pkt, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .repeat = 1);
	uint32_t key = 0, decision = DECISION_UNSET;
	int dfd = o->decisions ? bpf_map__fd(o->decisions) : -1;
	int verdict, err;

	v->n++;
	if (dfd >= 0 && bpf_map_update_elem(dfd, &key, &decision, BPF_ANY))
		return sl_err(-errno, "cannot reset the decision map: %s", strerror(errno));
	err = bpf_prog_test_run_opts(o->prog_fd, &opts);
	if (err) {
		err = -errno;
		sl_err(err, "packet %u (%u bytes): the kernel refused the test run: %s", v->n, len,
		       strerror(-err));
		if (!sl_explain_bpf_perm(err))
			sl_hint("test runs take packets from 14 bytes (an Ethernet header) up to "
				"about a page");
		return err;
	}
	verdict = verdict_of(o->table->hook, (int32_t)opts.retval);
	if (verdict < 0)
		return sl_err(-EINVAL,
			      "packet %u: the program returned %d, not a verdict of a %s program",
			      v->n, (int32_t)opts.retval, sl_hook_name(o->table->hook));
	if (dfd >= 0 && bpf_map_lookup_elem(dfd, &key, &decision))
		decision = DECISION_UNSET;
	verdict ? v->accept++ : v->drop++;
	if (v->json) {
		printf("%s{\"n\":%u,\"verdict\":\"%s\",\"rule\":", v->n > 1 ? "," : "", v->n,
		       verdict ? "accept" : "drop");
		print_decider(o, decision, true);
		printf("}");
	} else {
		printf("%u\t%s\t", v->n, verdict ? "accept" : "drop");
		print_decider(o, decision, false);
		printf("\n");
	}
	return 0;
}

/* Raw IP gets an Ethernet header: every test run wants one (cgroup_skb pulls it). */
static int frame(const uint8_t *data, uint32_t caplen, bool raw, uint8_t *buf, uint32_t *len,
		 uint32_t n)
{
	uint16_t proto;

	if (!raw) {
		if (caplen < ETH_HDR_LEN)
			return sl_err(-EINVAL,
				      "packet %u has %u bytes, less than an Ethernet header", n,
				      caplen);
		memcpy(buf, data, caplen);
		*len = caplen;
		return 0;
	}
	if (!caplen || ((data[0] >> 4) != 4 && (data[0] >> 4) != 6))
		return sl_err(-EINVAL, "packet %u of the raw-IP pcap is not IPv4 or IPv6", n);
	proto = (data[0] >> 4) == 4 ? 0x0800 : 0x86dd;
	memset(buf, 0, 12);
	buf[12] = proto >> 8;
	buf[13] = proto & 0xff;
	memcpy(buf + ETH_HDR_LEN, data, caplen);
	*len = caplen + ETH_HDR_LEN;
	return 0;
}

static int run_pcap(const struct sl_obj *o, pcap_t *p, bool raw, struct verdicts *v)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	_cleanup_free_ uint8_t *buf = malloc(65536 + ETH_HDR_LEN);
	int rc, err;

	if (!buf)
		return -ENOMEM;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint32_t len = 0, caplen = h->caplen > 65536 ? 65536 : h->caplen;

		err = frame(data, caplen, raw, buf, &len, v->n + 1);
		if (!err)
			err = run_packet(o, v, buf, len);
		if (err)
			return err;
	}
	if (rc == -1)
		return sl_err(-EINVAL, "reading the pcap failed after %u packets: %s", v->n,
			      pcap_geterr(p));
	return 0;
}

static void print_counters(const struct sl_obj *o, bool json)
{
	const struct sl_meta *m = o->meta;
	int fd = o->counters ? bpf_map__fd(o->counters) : -1;
	bool first = true;

	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];
		struct sluice_counter c = {};

		if (r->counter_slot == SLUICE_NO_COUNTER || fd < 0)
			continue;
		sl_counters_read(fd, r->counter_slot, &c);
		if (json) {
			printf("%s{\"id\":%u,\"file\":", first ? "" : ",", r->id);
			sl_json_str(stdout, sl_meta_str(m, r->file_str));
			printf(",\"line\":%u,\"col\":%u,\"packets\":%llu,\"bytes\":%llu}", r->line,
			       r->col, (unsigned long long)c.packets, (unsigned long long)c.bytes);
		} else {
			printf("counter\t%s:%u:%u\t%llu packets\t%llu bytes\n",
			       sl_meta_str(m, r->file_str), r->line, r->col,
			       (unsigned long long)c.packets, (unsigned long long)c.bytes);
		}
		first = false;
	}
}

static void pcap_closep(pcap_t **p)
{
	if (*p)
		pcap_close(*p);
}

int sl_cmd_run(int argc, char **argv)
{
	struct run_args a = {};
	_cleanup_obj_ struct sl_obj *o = NULL;
	__attribute__((cleanup(pcap_closep))) pcap_t *p = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct verdicts v = {};
	bool raw;
	int r, dlt;

	r = parse_run(argc, argv, &a);
	if (r)
		return r > 0 ? SL_EXIT_OK : (fprintf(stderr, "\n%s", run_help), SL_EXIT_USAGE);
	if (sl_obj_open(a.obj, a.table, &o))
		return SL_EXIT_FAIL;
	p = pcap_open_offline(a.pcap, errbuf);
	if (!p) {
		sl_err(-EINVAL, "cannot read pcap '%s': %s", a.pcap, errbuf);
		return SL_EXIT_FAIL;
	}
	dlt = pcap_datalink(p);
	raw = dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
#ifdef DLT_RAW_ALT
	raw = raw || dlt == DLT_RAW_ALT;
#endif
	if (!raw && dlt != DLT_EN10MB) {
		sl_err(-EINVAL, "pcap '%s' has link type %s; run reads Ethernet or raw-IP captures",
		       a.pcap,
		       pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
		sl_hint("capture with `tcpdump -i DEV -w FILE` on an Ethernet device, or convert "
			"the capture");
		return SL_EXIT_FAIL;
	}
	if (sl_kernel_check(o->table->hook, false) ||
	    sl_kernel_prepare_test_run(o->prog, o->table->hook) || sl_obj_load(o))
		return SL_EXIT_FAIL;
	v.json = a.json;
	if (a.json)
		printf("{\"packets\":[");
	r = run_pcap(o, p, raw, &v);
	if (r) {
		if (a.json)
			printf("]}\n");
		return SL_EXIT_FAIL;
	}
	if (a.json) {
		printf("],\"total\":{\"packets\":%u,\"accept\":%u,\"drop\":%u},\"counters\":[", v.n,
		       v.accept, v.drop);
		print_counters(o, true);
		printf("]}\n");
	} else {
		printf("total: %u packets, %u accept, %u drop\n", v.n, v.accept, v.drop);
		print_counters(o, false);
	}
	return SL_EXIT_OK;
}
