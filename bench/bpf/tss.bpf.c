// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tuple-space search (Srinivasan et al. 1999) with TupleMerge-style merged
 * tuples (Daly et al. 2019): the classifier a BPF engineer would write for a
 * large rule set with kernel hash maps. The tables are built and filled by
 * the harness (bench/tss.c, `sluice-bench measure --tss NAME`); this program
 * only walks them:
 *
 *   tuples  one record per tuple, in ascending order of the best (smallest)
 *           rule index it holds: the masks of its key, that rule index
 *   entries one hash map for all tuples, keyed by (tuple id, masked
 *           5-tuple): a list of candidate rules (first, count) in `rules`;
 *           one map keyed by the tuple id costs the same lookup as one map
 *           per tuple, and a program may use only 64 maps
 *   rules   the candidates, each list in priority order, tested in full
 *           (prefixes, port ranges, protocol): a merged tuple's key is
 *           coarser than its rules, so a hit is only a candidate
 *
 * Per packet: parse the 5-tuple once, then for each tuple in order one hash
 * lookup and a scan of at most TSS_MAX_CANDIDATES candidates, stopping as soon
 * as the next tuple's best rule cannot beat the match found so far (priority
 * sorted tuples, as Open vSwitch's classifier does). Rule i accepts when i is
 * even and drops when odd; no match drops (bench/README.md).
 *
 * Self-contained (no kernel headers), like the generated C baseline.
 */
#define SEC(name)	  __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#include "tss_abi.h"

struct xdp_md {
	__u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index;
};

#define BPF_MAP_TYPE_HASH  1
#define BPF_MAP_TYPE_ARRAY 2
#define XDP_DROP	   1
#define XDP_PASS	   2

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tss_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by the harness, at most TSS_MAX_TUPLES */
	__type(key, __u32);
	__type(value, struct tss_tuple);
} tuples SEC(".maps");

/* max_entries is set by the harness to what the rule set needs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct tss_key);
	__type(value, struct tss_list);
} entries SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tss_rule);
} rules SEC(".maps");

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx,
			__u64 flags) = (void *)181;

struct walk {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u32 proto;
	__u32 has_ports;
	__u32 best; /* smallest matching rule index so far, TSS_NO_RULE when none */
};

static inline int rule_matches(const struct tss_rule *r, const struct walk *w)
{
	if ((w->saddr & r->smask) != r->src || (w->daddr & r->dmask) != r->dst)
		return 0;
	if (r->proto_any == 0 && w->proto != r->proto)
		return 0;
	if (r->needs_ports) {
		if (!w->has_ports)
			return 0;
		if (w->sport < r->sport_lo || w->sport > r->sport_hi || w->dport < r->dport_lo ||
		    w->dport > r->dport_hi)
			return 0;
	}
	return 1;
}

/* One tuple: returns 1 to stop the loop (no later tuple can beat the answer). */
static long visit_tuple(__u32 t, struct walk *w)
{
	struct tss_tuple *tp = bpf_map_lookup_elem(&tuples, &t);
	struct tss_key key = {0};
	struct tss_list *l;

	if (!tp || tp->best_rule >= w->best)
		return 1;
	key.tuple = t;
	key.saddr = w->saddr & tp->smask;
	key.daddr = w->daddr & tp->dmask;
	key.sport = w->sport & tp->spmask;
	key.dport = w->dport & tp->dpmask;
	key.proto = w->proto & tp->pmask;
	l = bpf_map_lookup_elem(&entries, &key);
	if (!l)
		return 0;
	for (__u32 j = 0; j < TSS_MAX_CANDIDATES; j++) {
		__u32 idx = l->first + j;
		struct tss_rule *r;

		if (j >= l->count)
			break;
		r = bpf_map_lookup_elem(&rules, &idx);
		if (!r || r->index >= w->best)
			break;
		if (rule_matches(r, w)) {
			w->best = r->index;
			break;
		}
	}
	return 0;
}

SEC("xdp") int tss(struct xdp_md *ctx)
{
	__u8 *p = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
	struct walk w = {.best = TSS_NO_RULE};
	struct tss_config *cfg;
	__u32 zero = 0;
	__u8 *l4;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return XDP_DROP;
	if (p + 34 > end || p[12] != 0x08 || p[13] != 0x00 || (p[14] >> 4) != 4)
		return cfg->non_ip4_verdict;
	l4 = p + 14 + 4 * (p[14] & 15);
	w.saddr = __builtin_bswap32(*(__u32 *)(p + 26));
	w.daddr = __builtin_bswap32(*(__u32 *)(p + 30));
	w.proto = p[23];
	if (w.proto == 6 || w.proto == 17) {
		if (l4 + 4 > end)
			return XDP_DROP;
		w.sport = __builtin_bswap16(*(__u16 *)l4);
		w.dport = __builtin_bswap16(*(__u16 *)(l4 + 2));
		w.has_ports = 1;
	}
	bpf_loop(cfg->ntuples, visit_tuple, &w, 0);
	if (w.best == TSS_NO_RULE)
		return XDP_DROP;
	return w.best % 2 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
