// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policies as written, through the whole compiler (parse, check, lower,
 * codegen, object writer, libbpf) and run in the kernel: the verdicts the
 * language promises for hand-made packets.
 */
#include "kt.h"

static const char edge[] = "const admins    = { 10.1.0.0/16, 2001:db8:1::/48 }\n"
			   "const web_ports = { 80, 443, 8000-8999 }\n"
			   "table edge {\n"
			   "    hook xdp\n"
			   "    policy drop\n"
			   "    ether type arp accept\n"
			   "    ip frag later drop\n"
			   "    ip saddr $admins tcp dport 22 counter accept\n"
			   "    ip6 saddr $admins tcp dport 22 counter accept\n"
			   "    tcp dport $web_ports accept\n"
			   "    udp sport 53 accept\n"
			   "    icmp type { echo-request, echo-reply } accept\n"
			   "    ip6 nexthdr icmpv6 accept\n"
			   "    ip saddr 192.0.2.0/24 jump quarantine\n"
			   "}\n"
			   "chain quarantine {\n"
			   "    tcp dport 25 drop\n"
			   "    return\n"
			   "}\n";

static const char egress[] = "table out {\n"
			     "    hook cgroup_skb egress\n"
			     "    policy accept\n"
			     "    ip daddr 10.0.0.0/8 tcp dport { 25, 465 } counter drop\n"
			     "    ip6 daddr 2001:db8::/32 udp dport 53 drop\n"
			     "    ip ttl 0-1 drop\n"
			     "    th dport 6000-6063 drop\n"
			     "}\n";

enum { DROP, ACCEPT };

struct want {
	const char *what;
	void (*make)(struct sl_pkt_spec *s);
	int verdict;
};

static void arp(struct sl_pkt_spec *s)
{
	s->l3 = SL_PKT_ARP;
}
static void later_fragment(struct sl_pkt_spec *s)
{
	s->ip.frag_off = 20;
	s->tcp.dport = 80;
}
static void admin_ssh(struct sl_pkt_spec *s)
{
	s->ip.saddr = SL_IP4(10, 1, 2, 3);
	s->tcp.dport = 22;
}
static void other_ssh(struct sl_pkt_spec *s)
{
	s->ip.saddr = SL_IP4(10, 2, 0, 1);
	s->tcp.dport = 22;
}
static void web(struct sl_pkt_spec *s)
{
	s->tcp.dport = 8080;
}
static void not_web(struct sl_pkt_spec *s)
{
	s->tcp.dport = 9000;
}
static void dns_answer(struct sl_pkt_spec *s)
{
	s->l4 = SL_PKT_UDP;
	s->udp.sport = 53;
}
static void ping(struct sl_pkt_spec *s)
{
	s->l4 = SL_PKT_ICMP;
	s->icmp.type = 8;
}
static void unreachable(struct sl_pkt_spec *s)
{
	s->l4 = SL_PKT_ICMP;
	s->icmp.type = 3;
}
static void ndp(struct sl_pkt_spec *s)
{
	s->l3 = SL_PKT_IPV6;
	s->l4 = SL_PKT_ICMPV6;
	s->icmp.type = 135;
}
static void admin6_ssh(struct sl_pkt_spec *s)
{
	s->l3 = SL_PKT_IPV6;
	sl_pkt_ip6_addr("2001:db8:1::5", s->ip6.saddr);
	s->tcp.dport = 22;
}
static void other6_ssh(struct sl_pkt_spec *s)
{
	admin6_ssh(s);
	sl_pkt_ip6_addr("2001:db8:2::5", s->ip6.saddr);
}
static void quarantined_smtp(struct sl_pkt_spec *s)
{
	s->ip.saddr = SL_IP4(192, 0, 2, 5);
	s->tcp.dport = 25;
}
static void quarantined_web(struct sl_pkt_spec *s)
{
	s->ip.saddr = SL_IP4(192, 0, 2, 5);
	s->tcp.dport = 443;
}
static void quarantined_other(struct sl_pkt_spec *s)
{
	s->ip.saddr = SL_IP4(192, 0, 2, 5);
	s->tcp.dport = 26;
}

static const struct want edge_wants[] = {
    {"arp", arp, ACCEPT},
    {"later fragment", later_fragment, DROP},
    {"ssh from admins", admin_ssh, ACCEPT},
    {"ssh from elsewhere", other_ssh, DROP},
    {"web port range", web, ACCEPT},
    {"no web port", not_web, DROP},
    {"dns answer", dns_answer, ACCEPT},
    {"ping", ping, ACCEPT},
    {"icmp unreachable", unreachable, DROP},
    {"ipv6 neighbour solicitation", ndp, ACCEPT},
    {"ssh from ipv6 admins", admin6_ssh, ACCEPT},
    {"ssh from other ipv6", other6_ssh, DROP},
    {"quarantined smtp", quarantined_smtp, DROP},
    {"quarantined web: return, then web rule", quarantined_web, ACCEPT},
    {"quarantined other: return, then policy", quarantined_other, DROP},
};

static void to_mail(struct sl_pkt_spec *s)
{
	s->ip.daddr = SL_IP4(10, 9, 9, 9);
	s->tcp.dport = 465;
}
static void to_mail_outside(struct sl_pkt_spec *s)
{
	s->ip.daddr = SL_IP4(11, 0, 0, 1);
	s->tcp.dport = 465;
}
static void dns6(struct sl_pkt_spec *s)
{
	s->l3 = SL_PKT_IPV6;
	s->l4 = SL_PKT_UDP;
	s->udp.dport = 53;
	sl_pkt_ip6_addr("2001:db8:5::1", s->ip6.daddr);
}
static void dns6_outside(struct sl_pkt_spec *s)
{
	dns6(s);
	sl_pkt_ip6_addr("2001:db9::1", s->ip6.daddr);
}
static void ttl1(struct sl_pkt_spec *s)
{
	s->ip.ttl = 1;
}
static void x11_udp(struct sl_pkt_spec *s)
{
	s->l4 = SL_PKT_UDP;
	s->udp.dport = 6010;
}
static void x11_tcp6(struct sl_pkt_spec *s)
{
	s->l3 = SL_PKT_IPV6;
	s->tcp.dport = 6063;
}
static void after_x11(struct sl_pkt_spec *s)
{
	s->tcp.dport = 6064;
}

static const struct want egress_wants[] = {
    {"smtps to 10/8", to_mail, DROP},
    {"smtps elsewhere", to_mail_outside, ACCEPT},
    {"dns to 2001:db8::/32", dns6, DROP},
    {"dns elsewhere", dns6_outside, ACCEPT},
    {"ttl 1", ttl1, DROP},
    {"th dport over udp", x11_udp, DROP},
    {"th dport over tcp/ipv6", x11_tcp6, DROP},
    {"th dport just past the range", after_x11, ACCEPT},
};

static void run(struct kt *kt, const char *policy, const struct want *w, size_t n)
{
	struct sl_kern_prog prog;

	kt_load_text(kt, policy, 0, &prog);
	for (size_t i = 0; i < n; i++) {
		struct sl_pkt_spec s;
		struct sl_pkt p;

		sl_pkt_spec_init(&s);
		w[i].make(&s);
		kt_build(&s, &p);
		kt_verdict(kt, &prog, &p, p.len, w[i].verdict, "%s", w[i].what);
	}
	sl_kern_prog_close(&prog);
}

int main(void)
{
	struct kt kt;
	int code;

	if (!kt_begin(&kt, "test_kern_policy", &code))
		return code;
	run(&kt, edge, edge_wants, SL_ARRAY_SIZE(edge_wants));
	run(&kt, egress, egress_wants, SL_ARRAY_SIZE(egress_wants));
	return kt_end(&kt);
}
