// SPDX-License-Identifier: GPL-2.0-only
/* The floor of every measurement: an XDP program that decides nothing. */
#define SEC(name) __attribute__((section(name), used))

struct xdp_md;

SEC("xdp") int empty(struct xdp_md *ctx)
{
	return 2; /* XDP_PASS */
}

char _license[] SEC("license") = "GPL";
