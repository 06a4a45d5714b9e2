// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hand-written stand-ins for sluice-built objects, used by the loader tests
 * until/besides real `sluice build` output: the same maps, return codes and
 * decision recording as abi.h and the compiler define. One source, built per
 * hook (-DHOOK_XDP, -DHOOK_TC, -DHOOK_CG_IN, -DHOOK_CG_OUT) and per policy
 * (-DPOLICY_A, -DPOLICY_B; the rule list is in policies.txt next to this).
 *
 * Policy A (policy accept):            Policy B (policy accept):
 *   0 udp dport 7777 counter drop        0 udp dport 7777 counter drop
 *   1 icmp type echo-request counter drop 1 tcp dport 9999 counter drop
 *   2 tcp dport 8888 drop                 2 udp dport 7778 counter accept
 *   3 udp dport 7778 counter accept
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct sluice_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
#ifdef BAD_COUNTER_MAP
	__uint(type, BPF_MAP_TYPE_ARRAY);
#else
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
#endif
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct sluice_counter);
} sluice_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sluice_decision SEC(".maps");

#if defined(HOOK_XDP)
#define CTX			 struct xdp_md
#define SECNAME			 "xdp"
#define L3_OFF			 14
#define ACCEPT			 2
#define DROP			 1
#define LOAD(ctx, off, buf, len) bpf_xdp_load_bytes(ctx, off, buf, len)
#define PKT_LEN(ctx)		 ((__u64)(ctx->data_end - ctx->data))
#elif defined(HOOK_TC)
#define CTX			 struct __sk_buff
#define SECNAME			 "tc"
#define L3_OFF			 14
#define ACCEPT			 0
#define DROP			 2
#define LOAD(ctx, off, buf, len) bpf_skb_load_bytes(ctx, off, buf, len)
#define PKT_LEN(ctx)		 ((__u64)ctx->len)
#else
#define CTX struct __sk_buff
#ifdef HOOK_CG_IN
#define SECNAME "cgroup_skb/ingress"
#else
#define SECNAME "cgroup_skb/egress"
#endif
#define L3_OFF			 0
#define ACCEPT			 1
#define DROP			 0
#define LOAD(ctx, off, buf, len) bpf_skb_load_bytes(ctx, off, buf, len)
#define PKT_LEN(ctx)		 ((__u64)ctx->len)
#endif

#define POLICY 0xffffffffu

static __always_inline int decide(CTX *ctx, __u32 rule, int slot, int verdict)
{
	__u32 zero = 0;

	if (slot >= 0) {
		__u32 key = slot;
		struct sluice_counter *c = bpf_map_lookup_elem(&sluice_counters, &key);

		if (c) {
			c->packets++;
			c->bytes += PKT_LEN(ctx);
		}
	}
	bpf_map_update_elem(&sluice_decision, &zero, &rule, BPF_ANY);
	return verdict;
}

SEC(SECNAME)
int sluice_tbl(CTX *ctx)
{
	__u8 ip[20];
	__u8 l4[4];
	__u16 dport;
	int l3 = L3_OFF;

#if L3_OFF
	__u16 proto;

	if (LOAD(ctx, 12, &proto, 2) || proto != bpf_htons(0x0800))
		return decide(ctx, POLICY, -1, ACCEPT);
#endif
	if (LOAD(ctx, l3, ip, 20) || (ip[0] >> 4) != 4)
		return decide(ctx, POLICY, -1, ACCEPT);
	if ((ip[6] & 0x1f) || ip[7])
		return decide(ctx, POLICY, -1, ACCEPT); /* fragment: no L4 */
	if (LOAD(ctx, l3 + (ip[0] & 0xf) * 4, l4, 4))
		return decide(ctx, POLICY, -1, ACCEPT);
	dport = (l4[2] << 8) | l4[3];
#ifdef POLICY_A
	if (ip[9] == IPPROTO_UDP && dport == 7777)
		return decide(ctx, 0, 0, DROP);
	if (ip[9] == IPPROTO_ICMP && l4[0] == 8)
		return decide(ctx, 1, 1, DROP);
	if (ip[9] == IPPROTO_TCP && dport == 8888)
		return decide(ctx, 2, -1, DROP);
	if (ip[9] == IPPROTO_UDP && dport == 7778)
		return decide(ctx, 3, 2, ACCEPT);
#else
	if (ip[9] == IPPROTO_UDP && dport == 7777)
		return decide(ctx, 0, 0, DROP);
	if (ip[9] == IPPROTO_TCP && dport == 9999)
		return decide(ctx, 1, 1, DROP);
	if (ip[9] == IPPROTO_UDP && dport == 7778)
		return decide(ctx, 2, 2, ACCEPT);
#endif
	return decide(ctx, POLICY, -1, ACCEPT);
}

char _license[] SEC("license") = "GPL";
