// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lower bounds, not classifiers: what any XDP classifier pays at least on
 * this machine, timed on the same packets as the floor and the real objects
 * (bench/run --variants "... probe-parse probe-hash"; sluice-bench measure
 * --probe). They decide nothing useful, so the bench does not check their
 * verdicts.
 *
 *   PROBE_PARSE  read the IPv4 5-tuple (Ethernet, IPv4, the ports), as the
 *                C baseline does, and return a verdict that depends on it
 *   PROBE_HASH   the same, then one lookup of the 5-tuple in a kernel hash
 *                map (BPF_MAP_TYPE_HASH, 10,000 entries, left empty: every
 *                lookup misses, the cheapest a lookup can be), the one data
 *                structure that finds an exact flow in one step
 *
 * Self-contained (no kernel headers), like the generated C baseline.
 */
#define SEC(name)	  __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;

struct xdp_md {
	__u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index;
};

struct flow {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u32 proto;
};

#define BPF_MAP_TYPE_HASH 1
#define XDP_DROP	  1
#define XDP_PASS	  2

#ifdef PROBE_HASH
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10000);
	__type(key, struct flow);
	__type(value, __u32);
} flows SEC(".maps");

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
#endif

/* 0 and the 5-tuple in *f for IPv4 over untagged Ethernet (ports 0 unless TCP/UDP), else -1. */
static inline int parse(struct xdp_md *ctx, struct flow *f)
{
	__u8 *p = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
	__u8 *l4;

	if (p + 34 > end || p[12] != 0x08 || p[13] != 0x00 || (p[14] >> 4) != 4)
		return -1;
	l4 = p + 14 + 4 * (p[14] & 15);
	f->saddr = *(__u32 *)(p + 26);
	f->daddr = *(__u32 *)(p + 30);
	f->proto = p[23];
	/* Only TCP and UDP have ports (bench/README.md); every other packet is
	 * still looked up, with ports 0: a classifier decides those too. */
	if (f->proto != 6 && f->proto != 17)
		return 0;
	if (l4 + 4 > end)
		return -1;
	f->sport = *(__u16 *)l4;
	f->dport = *(__u16 *)(l4 + 2);
	return 0;
}

SEC("xdp") int probe(struct xdp_md *ctx)
{
	struct flow f = {0};

	if (parse(ctx, &f))
		return XDP_PASS;
#ifdef PROBE_HASH
	return bpf_map_lookup_elem(&flows, &f) ? XDP_DROP : XDP_PASS;
#else
	return (f.saddr ^ f.daddr ^ f.sport ^ f.dport ^ f.proto) == 0x12345 ? XDP_DROP : XDP_PASS;
#endif
}

char _license[] SEC("license") = "GPL";
