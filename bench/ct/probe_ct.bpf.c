// SPDX-License-Identifier: GPL-2.0-only
/*
 * The two ways a policy could learn a packet's connection state, each as a
 * lower bound next to probe-hash (bench/bpf/probe.bpf.c): read the IPv4
 * 5-tuple, then
 *   PROBE_CT_TABLE  one lookup in an own flow table, the LRU hash sluice's
 *                   `ct state` uses (struct sluice_flow_key, 40 bytes); the
 *                   bench fills it, so the lookup hits (a warm table)
 *   PROBE_CT_KFUNC  the kernel's connection tracker: bpf_xdp_ct_lookup() (and
 *                   bpf_ct_release() when it finds an entry)
 * Self-contained; built with clang -g (kfunc externs need BTF).
 */
#define SEC(name)	  __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __ksym		  __attribute__((section(".ksyms")))

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;

struct xdp_md {
	__u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index;
};

#define XDP_DROP 1
#define XDP_PASS 2

struct flow {
	__u32 local[4], remote[4];
	__u16 lport, rport;
	__u8 proto, family;
	__u16 pad;
};

static inline int parse(struct xdp_md *ctx, struct flow *f)
{
	__u8 *p = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
	__u8 *l4;

	if (p + 34 > end || p[12] != 0x08 || p[13] != 0x00 || (p[14] >> 4) != 4)
		return -1;
	l4 = p + 14 + 4 * (p[14] & 15);
	if (l4 + 4 > end)
		return -1;
	f->remote[0] = *(__u32 *)(p + 26);
	f->local[0] = *(__u32 *)(p + 30);
	f->proto = p[23];
	f->family = 4;
	f->rport = *(__u16 *)l4;
	f->lport = *(__u16 *)(l4 + 2);
	return 0;
}

#ifdef PROBE_CT_TABLE
struct sluice_flow {
	__u64 seen_ns;
	__u8 flags, pad[7];
};
struct {
	__uint(type, 9 /* BPF_MAP_TYPE_LRU_HASH */);
	__uint(max_entries, 65536);
	__type(key, struct flow);
	__type(value, struct sluice_flow);
} flows SEC(".maps");

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

SEC("xdp") int probe(struct xdp_md *ctx)
{
	struct flow f = {0};

	if (parse(ctx, &f))
		return XDP_PASS;
	return bpf_map_lookup_elem(&flows, &f) ? XDP_PASS : XDP_DROP;
}
#endif

#ifdef PROBE_CT_KFUNC
struct bpf_sock_tuple {
	union {
		struct {
			__u32 saddr, daddr;
			__u16 sport, dport;
		} ipv4;
		struct {
			__u32 saddr[4], daddr[4];
			__u16 sport, dport;
		} ipv6;
	};
};
struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u8 reserved[2];
};
struct nf_conn {
	int unused; /* a struct, not a forward declaration: libbpf 1.1 matches it to the kernel's */
};
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32,
					 struct bpf_ct_opts *, __u32) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;

SEC("xdp") int probe(struct xdp_md *ctx)
{
	struct flow f = {0};
	struct bpf_sock_tuple t = {0};
	struct bpf_ct_opts o = {.netns_id = -1, .l4proto = 6};
	struct nf_conn *ct;

	if (parse(ctx, &f))
		return XDP_PASS;
	t.ipv4.saddr = f.remote[0];
	t.ipv4.daddr = f.local[0];
	t.ipv4.sport = f.rport;
	t.ipv4.dport = f.lport;
	o.l4proto = f.proto;
	ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_DROP;
	bpf_ct_release(ct);
	return XDP_PASS;
}
#endif

char _license[] SEC("license") = "GPL";
