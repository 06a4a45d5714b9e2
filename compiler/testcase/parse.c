// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test-file parser (lang-spec/test-format.md). A line is split into
 * words at blanks; a word starting with `#` starts a comment. The words are
 * read left to right by hand: the format is small, errors must name the
 * word at fault, and a line's error must not stop the next line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer/literal.h"
#include "parser/names.h"
#include "testcase/testcase.h"

#define MAX_WORDS 64

struct word {
	const char *s;
	size_t len;
	uint32_t col; /* from 1 */
};

struct line {
	struct sl_diag *diag;
	struct sl_arena *arena;
	uint32_t file, lineno;
	struct word w[MAX_WORDS];
	size_t n, i, end; /* words; the next one; the index of `=>` (or n) */
	const char *dir;  /* the test file's folder with its '/', or "" */
};

static struct sl_loc loc_of(const struct line *l, const struct word *w)
{
	return (struct sl_loc){l->file, l->lineno, w->col, (uint32_t)w->len};
}

static int fail(struct line *l, const struct word *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct line *l, const struct word *w, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_error(l->diag, loc_of(l, w), "%s", msg);
	return -EINVAL;
}

static bool is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->s, s, w->len);
}

static char *word_dup(const struct line *l, const struct word *w)
{
	return sl_arena_strndup(l->arena, w->s, w->len);
}

/* The next word of the packet's part (before `=>`), or NULL. */
static const struct word *next(struct line *l)
{
	return l->i < l->end ? &l->w[l->i++] : NULL;
}

/* The word after an option's name: its value. */
static const struct word *value_of(struct line *l, const struct word *opt, const char *what)
{
	const struct word *v = next(l);

	if (!v)
		fail(l, opt, "'%.*s' needs %s after it", (int)opt->len, opt->s, what);
	return v;
}

static int number(struct line *l, const struct word *w, uint64_t max, const char *what,
		  uint64_t *out)
{
	char err[SL_LIT_ERR_MAX];
	sl_u128 v;

	if (sl_literal_number(w->s, w->len, &v, err))
		return fail(l, w, "%s must be a number, not '%.*s'", what, (int)w->len, w->s);
	if (v > max)
		return fail(l, w, "%s %.*s is out of range 0-%llu", what, (int)w->len, w->s,
			    (unsigned long long)max);
	*out = (uint64_t)v;
	return 0;
}

static const char *suggest(enum sl_value_kind kind, const char *word);

/* A number or a name of `kind` (lang-spec/reference.md, Symbolic names). */
static int named(struct line *l, const struct word *w, enum sl_value_kind kind, uint64_t max,
		 const char *what, uint64_t *out)
{
	char name[64];
	uint32_t v;

	if (w->len < sizeof(name)) {
		memcpy(name, w->s, w->len);
		name[w->len] = '\0';
		if (sl_value_name_lookup(kind, name, &v)) {
			*out = v;
			return 0;
		}
	}
	if (w->s[0] >= '0' && w->s[0] <= '9')
		return number(l, w, max, what, out);
	const char *hint = w->len < sizeof(name) ? suggest(kind, name) : NULL;
	if (hint)
		return fail(l, w, "unknown %s '%.*s'; did you mean '%s'?", what, (int)w->len, w->s,
			    hint);
	return fail(l, w, "unknown %s '%.*s'", what, (int)w->len, w->s);
}

/* The name of `kind` closest to `word`, or NULL. */
static const char *suggest(enum sl_value_kind kind, const char *word)
{
	size_t n = 0;
	const struct sl_value_name *names = sl_value_names(kind, &n);
	const char *cands[128];

	if (!word[0])
		return NULL;
	for (size_t i = 0; i < n && i < SL_ARRAY_SIZE(cands); i++)
		cands[i] = names[i].name;
	return sl_suggest(word, cands, sl_min(n, SL_ARRAY_SIZE(cands)));
}

/* TCP flags: names joined by `|`, or a number. */
static int flag_list(struct line *l, const struct word *w, uint8_t *out)
{
	const char *s = w->s, *end = w->s + w->len;
	uint64_t v;

	if (s[0] >= '0' && s[0] <= '9') {
		if (number(l, w, 255, "tcp flags", &v))
			return -EINVAL;
		*out = (uint8_t)v;
		return 0;
	}
	while (s < end) {
		const char *bar = memchr(s, '|', end - s);
		struct word part = {s, (bar ? bar : end) - s, w->col + (uint32_t)(s - w->s)};

		if (!part.len || named(l, &part, SL_KIND_TCP_FLAGS, 255, "tcp flag", &v))
			return part.len ? -EINVAL
					: fail(l, w, "empty flag in '%.*s'", (int)w->len, w->s);
		*out |= (uint8_t)v;
		s = bar ? bar + 1 : end;
	}
	return 0;
}

enum family { FAM_NONE, FAM_V4, FAM_V6 };

/*
 * An endpoint: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]`,
 * `[2001:db8::1]:80`. *port is -1 without a port.
 */
static int endpoint(struct line *l, const struct word *w, enum family *fam, sl_u128 *addr,
		    int32_t *port)
{
	const char *s = w->s, *end = w->s + w->len, *colon = NULL;
	size_t alen;
	struct sl_literal lit;
	char err[SL_LIT_ERR_MAX];
	uint64_t p;

	*port = -1;
	if (*s == '[') {
		const char *close = memchr(s, ']', w->len);

		if (!close)
			return fail(l, w, "'[' without ']' in '%.*s'", (int)w->len, w->s);
		s++;
		alen = close - s;
		if (close + 1 < end) {
			if (close[1] != ':' || close + 2 == end)
				return fail(l, w, "after ']' comes ':PORT' in '%.*s'", (int)w->len,
					    w->s);
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', w->len);
		if (colon && memchr(colon + 1, ':', end - colon - 1))
			colon = NULL; /* a bare IPv6 address, no port */
		alen = (colon ? colon : end) - s;
	}
	if (!alen || sl_literal_parse(s, alen, &lit, err) ||
	    (lit.kind != SL_LIT_IPV4 && lit.kind != SL_LIT_IPV6))
		return fail(l, w,
			    "'%.*s' is not an address (192.0.2.1, 2001:db8::1, [2001:db8::1]:80)",
			    (int)w->len, w->s);
	if (lit.has_plen)
		return fail(l, w, "a packet has one address, not a prefix: '%.*s'", (int)w->len,
			    w->s);
	if (w->s[0] == '[' && lit.kind != SL_LIT_IPV6)
		return fail(l, w, "brackets are for IPv6 addresses: '%.*s'", (int)w->len, w->s);
	if (lit.kind == SL_LIT_IPV6 && colon && w->s[0] != '[')
		return fail(l, w, "write an IPv6 address with a port in brackets: [ADDRESS]:PORT");
	*fam = lit.kind == SL_LIT_IPV4 ? FAM_V4 : FAM_V6;
	*addr = lit.num;
	if (colon) {
		struct word pw = {colon + 1, end - colon - 1,
				  w->col + (uint32_t)(colon + 1 - w->s)};

		if (number(l, &pw, 65535, "port", &p))
			return -EINVAL;
		*port = (int32_t)p;
	}
	return 0;
}

static int mac(struct line *l, const struct word *w, uint8_t out[6])
{
	struct sl_literal lit;
	char err[SL_LIT_ERR_MAX];

	if (sl_literal_parse(w->s, w->len, &lit, err) || lit.kind != SL_LIT_MAC)
		return fail(l, w, "'%.*s' is not a MAC address (02:00:00:00:00:01)", (int)w->len,
			    w->s);
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)(lit.num >> (8 * (5 - i)));
	return 0;
}

/* What the packet's first word made it: which options apply. */
struct shape {
	const struct word *proto; /* the first word */
	enum family fam;
	bool ports; /* tcp, udp: ports required (but for a later fragment) */
	const struct word *port_word;
	bool icmp_type_seen, later;
};

static int need(struct line *l, const struct word *opt, bool ok, const char *where)
{
	if (ok)
		return 0;
	return fail(l, opt, "'%.*s' applies to %s packets only", (int)opt->len, opt->s, where);
}

static int ext_header(struct line *l, const struct word *w, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t type;
	} exts[] = {{"hopopts", 0},	{"hopopt", 0},	 {"routing", 43},
		    {"ipv6-route", 43}, {"dstopts", 60}, {"ipv6-opts", 60}};

	for (size_t i = 0; i < SL_ARRAY_SIZE(exts); i++) {
		if (is(w, exts[i].name)) {
			*out = exts[i].type;
			return 0;
		}
	}
	return fail(l, w, "unknown extension header '%.*s' (hopopts, routing, dstopts)",
		    (int)w->len, w->s);
}

/* One option of a described packet (`vlan 7`, `length 100`, `syn`, ...). */
static int option(struct line *l, const struct word *o, struct shape *sh, struct sl_tc_packet *p)
{
	bool ip = sh->fam != FAM_NONE, v4 = sh->fam == FAM_V4, v6 = sh->fam == FAM_V6;
	const struct word *v;
	uint64_t n;
	uint32_t flag;
	char name[32];

	if (o->len < sizeof(name)) {
		memcpy(name, o->s, o->len);
		name[o->len] = '\0';
	} else {
		name[0] = '\0';
	}
	/* bare words first: TCP flags, ICMP types */
	if (p->l4 == SL_TC_L4_TCP && sl_value_name_lookup(SL_KIND_TCP_FLAGS, name, &flag)) {
		p->tcp_flags |= (uint8_t)flag;
		return 0;
	}
	if ((p->l4 == SL_TC_L4_ICMP && sl_value_name_lookup(SL_KIND_ICMP_TYPE, name, &flag)) ||
	    (p->l4 == SL_TC_L4_ICMPV6 && sl_value_name_lookup(SL_KIND_ICMP6_TYPE, name, &flag))) {
		if (sh->icmp_type_seen)
			return fail(l, o, "a packet has one ICMP type");
		sh->icmp_type_seen = true;
		p->icmp_type = (uint8_t)flag;
		return 0;
	}
	if (is(o, "flags")) {
		if (need(l, o, p->l4 == SL_TC_L4_TCP, "tcp") || !(v = value_of(l, o, "flags")))
			return -EINVAL;
		p->tcp_flags = 0;
		return flag_list(l, v, &p->tcp_flags);
	}
	if (is(o, "type")) {
		bool icmp = p->l4 == SL_TC_L4_ICMP || p->l4 == SL_TC_L4_ICMPV6;

		if (need(l, o, icmp || p->l3 == SL_TC_L3_ETHER, "icmp, icmpv6 and ether") ||
		    !(v = value_of(l, o, "a type")))
			return -EINVAL;
		if (!icmp) {
			if (named(l, v, SL_KIND_ETHERTYPE, 0xffff, "EtherType", &n))
				return -EINVAL;
			p->ethertype = (uint16_t)n;
			return 0;
		}
		if (named(l, v, p->l4 == SL_TC_L4_ICMP ? SL_KIND_ICMP_TYPE : SL_KIND_ICMP6_TYPE,
			  255, "ICMP type", &n))
			return -EINVAL;
		p->icmp_type = (uint8_t)n;
		sh->icmp_type_seen = true;
		return 0;
	}
	if (is(o, "code")) {
		if (need(l, o, p->l4 == SL_TC_L4_ICMP || p->l4 == SL_TC_L4_ICMPV6,
			 "icmp and icmpv6") ||
		    !(v = value_of(l, o, "a number")) || number(l, v, 255, "code", &n))
			return -EINVAL;
		p->icmp_code = (uint8_t)n;
		return 0;
	}
	if (is(o, "vlan")) {
		if (!(v = value_of(l, o, "a VLAN id")) || number(l, v, 4095, "vlan id", &n))
			return -EINVAL;
		if (p->nvlan == SL_TC_MAX_VLAN)
			return fail(l, o, "at most %d VLAN tags", SL_TC_MAX_VLAN);
		if (!p->nvlan)
			p->vlan_loc = loc_of(l, o);
		p->vlan[p->nvlan++] = (uint16_t)n;
		return 0;
	}
	if (is(o, "length")) {
		if (!(v = value_of(l, o, "a number")) ||
		    number(l, v, SL_TC_FRAME_MAX, "length", &n))
			return -EINVAL;
		p->length = (uint32_t)n;
		p->length_loc = loc_of(l, v);
		return 0;
	}
	if (is(o, "ifindex")) {
		if (!(v = value_of(l, o, "a number")) || number(l, v, UINT32_MAX, "ifindex", &n))
			return -EINVAL;
		p->ifindex = (uint32_t)n;
		return 0;
	}
	if (is(o, "frag")) {
		if (need(l, o, ip, "IPv4 and IPv6") ||
		    !(v = value_of(l, o, "none, first or later")) ||
		    named(l, v, SL_KIND_FRAG, SL_FRAG_LATER, "fragment state", &n))
			return -EINVAL;
		p->frag = (enum sl_frag_state)n;
		sh->later = n == SL_FRAG_LATER;
		return 0;
	}
	if (is(o, "ttl") || is(o, "hoplimit")) {
		if (need(l, o, is(o, "ttl") ? v4 : v6, is(o, "ttl") ? "IPv4" : "IPv6") ||
		    !(v = value_of(l, o, "a number")) || number(l, v, 255, name, &n))
			return -EINVAL;
		p->ttl = (uint8_t)n;
		return 0;
	}
	if (is(o, "dscp")) {
		if (need(l, o, v4, "IPv4") || !(v = value_of(l, o, "a DSCP")) ||
		    named(l, v, SL_KIND_DSCP, 63, "DSCP", &n))
			return -EINVAL;
		p->dscp = (uint8_t)n;
		return 0;
	}
	if (is(o, "proto")) {
		if (need(l, o, p->l4 == SL_TC_L4_NONE && ip, "ip and ip6") ||
		    !(v = value_of(l, o, "a protocol")) ||
		    named(l, v, SL_KIND_PROTO, 255, "protocol", &n))
			return -EINVAL;
		p->proto = (uint8_t)n;
		return 0;
	}
	if (is(o, "exthdr")) {
		if (need(l, o, v6, "IPv6") || !(v = value_of(l, o, "extension headers")))
			return -EINVAL;
		for (const char *s = v->s, *end = v->s + v->len; s < end;) {
			const char *comma = memchr(s, ',', end - s);
			struct word part = {s, (comma ? comma : end) - s,
					    v->col + (uint32_t)(s - v->s)};

			if (p->next == SL_TC_MAX_EXT)
				return fail(l, v, "at most %d extension headers", SL_TC_MAX_EXT);
			if (ext_header(l, &part, &p->ext[p->next++]))
				return -EINVAL;
			s = comma ? comma + 1 : end;
		}
		return 0;
	}
	if (is(o, "mac")) {
		const struct word *src = value_of(l, o, "SOURCE -> DESTINATION"), *arrow, *dst;

		if (!src || mac(l, src, p->smac))
			return -EINVAL;
		arrow = value_of(l, src, "'->' and the destination MAC");
		if (!arrow)
			return -EINVAL;
		if (!is(arrow, "->"))
			return fail(l, arrow, "expected '->' between the two MAC addresses");
		if (!(dst = value_of(l, arrow, "the destination MAC")) || mac(l, dst, p->dmac))
			return -EINVAL;
		p->mac_loc = loc_of(l, o);
		return 0;
	}
	/*
	 * Extension points (lang-spec/test-format.md, "Reserved words"): the
	 * packet's connection state and the contents of named sets are not
	 * part of a packet's bytes; they get their own options here when the
	 * language has them.
	 */
	if (is(o, "ct"))
		return fail(l, o,
			    "'ct' is reserved: a case's connection state comes from the packets "
			    "before it in a 'flow' block");
	if (p->l4 == SL_TC_L4_TCP || p->l4 == SL_TC_L4_ICMP || p->l4 == SL_TC_L4_ICMPV6) {
		enum sl_value_kind kind = p->l4 == SL_TC_L4_TCP	   ? SL_KIND_TCP_FLAGS
					  : p->l4 == SL_TC_L4_ICMP ? SL_KIND_ICMP_TYPE
								   : SL_KIND_ICMP6_TYPE;
		const char *hint = suggest(kind, name);

		if (hint)
			return fail(l, o, "unknown word '%.*s'; did you mean '%s'?", (int)o->len,
				    o->s, hint);
	}
	if (p->l4 == SL_TC_L4_TCP)
		return fail(l, o,
			    "unknown word '%.*s' in a tcp packet (flags such as syn, ack; options "
			    "vlan, length, frag, ifindex, ttl/hoplimit, dscp, mac)",
			    (int)o->len, o->s);
	return fail(
	    l, o,
	    "unknown word '%.*s' (options: vlan, length, frag, ifindex, ttl, hoplimit, dscp, "
	    "mac, proto, exthdr, type, code, flags)",
	    (int)o->len, o->s);
}

static const struct {
	const char *word;
	enum sl_tc_l3 l3;
	enum sl_tc_l4 l4;
	enum family fam; /* FAM_NONE: either (from the addresses), or no addresses for arp/ether */
	bool addrs, ports;
} protos[] = {
    {"tcp", SL_TC_L3_IPV4, SL_TC_L4_TCP, FAM_NONE, true, true},
    {"udp", SL_TC_L3_IPV4, SL_TC_L4_UDP, FAM_NONE, true, true},
    {"icmp", SL_TC_L3_IPV4, SL_TC_L4_ICMP, FAM_V4, true, false},
    {"icmpv6", SL_TC_L3_IPV6, SL_TC_L4_ICMPV6, FAM_V6, true, false},
    {"ip", SL_TC_L3_IPV4, SL_TC_L4_NONE, FAM_V4, true, false},
    {"ip6", SL_TC_L3_IPV6, SL_TC_L4_NONE, FAM_V6, true, false},
    {"arp", SL_TC_L3_ARP, SL_TC_L4_NONE, FAM_NONE, false, false},
    {"ether", SL_TC_L3_ETHER, SL_TC_L4_NONE, FAM_NONE, false, false},
};

static const uint8_t default_smac[6] = {2, 0, 0, 0, 0, 1}, default_dmac[6] = {2, 0, 0, 0, 0, 2};

/* `PROTO SRC -> DST OPTIONS...`: the packet's part of a case. */
static int described(struct line *l, struct sl_testcase *c)
{
	const struct word *first = next(l), *src, *arrow, *dst, *o;
	struct sl_tc_packet *p = &c->pkt;
	struct shape sh = {.proto = first};
	size_t k;
	int32_t sport = -1, dport = -1;
	enum family fs, fd;
	int err = 0;

	for (k = 0; k < SL_ARRAY_SIZE(protos) && !is(first, protos[k].word); k++)
		;
	if (k == SL_ARRAY_SIZE(protos))
		return fail(l, first,
			    "a case starts with tcp, udp, icmp, icmpv6, ip, ip6, arp, ether or "
			    "pcap, not '%.*s'",
			    (int)first->len, first->s);
	memset(p, 0, sizeof(*p));
	p->l3 = protos[k].l3;
	p->l4 = protos[k].l4;
	p->proto = p->l4 == SL_TC_L4_TCP      ? SL_IPPROTO_TCP
		   : p->l4 == SL_TC_L4_UDP    ? SL_IPPROTO_UDP
		   : p->l4 == SL_TC_L4_ICMP   ? SL_IPPROTO_ICMP
		   : p->l4 == SL_TC_L4_ICMPV6 ? SL_IPPROTO_ICMPV6
					      : 0;
	p->ethertype = 0;
	if (p->l3 == SL_TC_L3_IPV6 && p->l4 == SL_TC_L4_NONE)
		p->proto = 59; /* `ip6` without `proto`: no next header (0 would be hop-by-hop) */
	p->ttl = 64;
	p->ifindex = 1;
	memcpy(p->smac, default_smac, 6);
	memcpy(p->dmac, default_dmac, 6);
	sh.ports = protos[k].ports;
	if (protos[k].addrs) {
		src = next(l);
		arrow = next(l);
		dst = next(l);
		if (!src || !arrow || !dst)
			return fail(l, first, "'%s' needs SOURCE -> DESTINATION after it",
				    protos[k].word);
		if (!is(arrow, "->"))
			return fail(l, arrow, "expected '->' between source and destination");
		if (endpoint(l, src, &fs, &p->saddr, &sport) ||
		    endpoint(l, dst, &fd, &p->daddr, &dport))
			return -EINVAL;
		if (fs != fd)
			return fail(l, dst, "source and destination are of different families");
		if (protos[k].fam != FAM_NONE && fs != protos[k].fam)
			return fail(l, src, "%s packets have %s addresses", protos[k].word,
				    protos[k].fam == FAM_V4 ? "IPv4" : "IPv6");
		sh.fam = fs;
		if (fs == FAM_V6)
			p->l3 = SL_TC_L3_IPV6;
		if (!sh.ports && (sport >= 0 || dport >= 0))
			return fail(l, sport >= 0 ? src : dst, "%s packets have no ports",
				    protos[k].word);
		sh.port_word = sport < 0 ? src : dst;
	}
	while (!err && (o = next(l)))
		err = option(l, o, &sh, p);
	if (err)
		return err;
	if (sh.ports && sh.later && (sport >= 0 || dport >= 0))
		return fail(l, sh.port_word,
			    "a later fragment has no transport header: write no ports");
	if (sh.ports && !sh.later && (sport < 0 || dport < 0))
		return fail(l, sh.port_word,
			    "%s packets need ports: ADDRESS:PORT, [IPV6-ADDRESS]:PORT",
			    protos[k].word);
	if (sh.later && (p->tcp_flags || sh.icmp_type_seen || p->icmp_code))
		return fail(l, first, "a later fragment has no transport header: no flags or type");
	if (p->l3 == SL_TC_L3_ETHER && !p->ethertype)
		return fail(l, first,
			    "an 'ether' packet needs 'type T' (a number or a name: lldp)");
	if (p->l4 == SL_TC_L4_ICMP || p->l4 == SL_TC_L4_ICMPV6) {
		if (!sh.icmp_type_seen)
			return fail(l, first,
				    "an %s packet needs its type (echo-request, or 'type N')",
				    protos[k].word);
	}
	if (p->next && p->l3 != SL_TC_L3_IPV6)
		return fail(l, first, "extension headers are IPv6's");
	c->pkt.sport = (uint16_t)(sport < 0 ? 0 : sport);
	c->pkt.dport = (uint16_t)(dport < 0 ? 0 : dport);
	return 0;
}

/* `pcap FILE#N`: packet N (from 1) of a capture, FILE relative to the test file. */
static int captured(struct line *l, struct sl_testcase *c)
{
	const struct word *first = next(l), *w = next(l), *extra;
	const char *hash;
	uint64_t n;

	if (!w)
		return fail(l, first, "'pcap' needs FILE#N after it (packet N of FILE, from 1)");
	hash = w->len ? memrchr(w->s, '#', w->len) : NULL;
	if (!hash || hash == w->s)
		return fail(l, w, "write the capture as FILE#N (packet N of FILE, from 1)");
	struct word nw = {hash + 1, w->len - (size_t)(hash + 1 - w->s),
			  w->col + (uint32_t)(hash + 1 - w->s)};
	if (!nw.len)
		return fail(l, w, "a packet number (from 1) follows '#'");
	if (number(l, &nw, UINT32_MAX, "the packet number", &n))
		return -EINVAL;
	if (!n)
		return fail(l, &nw, "packets are numbered from 1");
	if ((extra = next(l)))
		return fail(l, extra, "a pcap case takes no options (its packet is as captured)");
	c->pcap = true;
	c->pcap_index = (uint32_t)n;
	if (w->s[0] == '/')
		c->pcap_path = sl_arena_strndup(l->arena, w->s, hash - w->s);
	else
		c->pcap_path =
		    sl_arena_printf(l->arena, "%s%.*s", l->dir, (int)(hash - w->s), w->s);
	return 0;
}

/* `=> accept|drop [@ policy | @ FILE:LINE[:COL]]` */
static int expectation(struct line *l, struct sl_testcase *c)
{
	const struct word *arrow = &l->w[l->end], *v, *at, *where;

	if (l->end + 1 >= l->n)
		return fail(l, arrow, "'=>' needs a verdict after it: accept or drop");
	v = &l->w[l->end + 1];
	if (is(v, "accept"))
		c->verdict = SL_VERDICT_ACCEPT;
	else if (is(v, "drop"))
		c->verdict = SL_VERDICT_DROP;
	else
		return fail(l, v, "the expected verdict is accept or drop, not '%.*s'", (int)v->len,
			    v->s);
	if (l->end + 2 == l->n)
		return 0;
	at = &l->w[l->end + 2];
	if (!is(at, "@"))
		return fail(l, at,
			    "after the verdict comes '@ FILE:LINE' or '@ policy', or nothing");
	if (l->end + 3 >= l->n)
		return fail(l, at, "'@' needs the deciding rule: FILE:LINE, or 'policy'");
	where = &l->w[l->end + 3];
	if (l->end + 4 < l->n)
		return fail(l, &l->w[l->end + 4], "nothing comes after the deciding rule");
	c->pinned = true;
	c->pin_loc = loc_of(l, where);
	if (is(where, "policy")) {
		c->by_policy = true;
		return 0;
	}
	/* FILE:LINE or FILE:LINE:COL: numbers from the right */
	const char *end = where->s + where->len, *c1 = memrchr(where->s, ':', where->len);
	uint64_t line, col = 0;

	if (!c1 || c1 == where->s || c1 + 1 == end)
		return fail(l, where, "the deciding rule is FILE:LINE (web.sluice:12) or 'policy'");
	struct word last = {c1 + 1, end - c1 - 1, where->col + (uint32_t)(c1 + 1 - where->s)};
	const char *c2 = memrchr(where->s, ':', c1 - where->s);
	bool two = c2 && c2 != where->s && c2 + 1 < c1 && c1[1] >= '0' && c1[1] <= '9';

	for (const char *s = c2 ? c2 + 1 : c1; two && s < c1; s++)
		two = *s >= '0' && *s <= '9';
	if (two) {
		struct word lw = {c2 + 1, c1 - c2 - 1, where->col + (uint32_t)(c2 + 1 - where->s)};

		if (number(l, &lw, UINT32_MAX, "the line", &line) ||
		    number(l, &last, UINT32_MAX, "the column", &col))
			return -EINVAL;
		c1 = c2;
	} else if (number(l, &last, UINT32_MAX, "the line", &line)) {
		return -EINVAL;
	}
	if (!line)
		return fail(l, where, "lines are numbered from 1");
	c->rule_file = sl_arena_strndup(l->arena, where->s, c1 - where->s);
	c->rule_line = (uint32_t)line;
	c->rule_col = (uint32_t)col;
	return 0;
}

/* Split a line into words; false (reported) when it has too many. */
static bool split(struct line *l, const char *text, size_t len)
{
	size_t i = 0;

	l->n = l->i = 0;
	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
			i++;
		if (i == len || text[i] == '#')
			break;
		size_t start = i;

		while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
			i++;
		if (l->n == MAX_WORDS) {
			struct word w = {text + start, i - start, (uint32_t)start + 1};

			fail(l, &w, "a case has at most %d words", MAX_WORDS);
			return false;
		}
		l->w[l->n++] = (struct word){text + start, i - start, (uint32_t)start + 1};
	}
	return true;
}

/* `table NAME`: the table of the cases below it. */
static int directive_table(struct line *l, const char **table, struct sl_loc *loc)
{
	if (l->n != 2)
		return fail(l, &l->w[0], "'table' takes one name: table NAME");
	*table = word_dup(l, &l->w[1]);
	*loc = loc_of(l, &l->w[1]);
	return 0;
}

/*
 * `set NAME = { ELEMENT, ... }` (or `{ }`): the elements are checked against
 * the set's type when the cases run (the policy knows the type).
 */
static int directive_set(struct line *l, struct sl_tc_setdef *d)
{
	const struct word *last = &l->w[l->n - 1];
	const char *open, *end = last->s + last->len, *p;

	if (l->n < 4 || !is(&l->w[2], "=") || l->w[3].s[0] != '{' || end[-1] != '}')
		return fail(l, &l->w[0],
			    "'set' gives a named set's contents: set NAME = { ELEMENT, ... }");
	memset(d, 0, sizeof(*d));
	d->name = word_dup(l, &l->w[1]);
	d->loc = loc_of(l, &l->w[1]);
	open = l->w[3].s + 1;
	for (p = open; p < end - 1;) {
		const char *comma = memchr(p, ',', (size_t)(end - 1 - p));
		const char *stop = comma ? comma : end - 1, *a = p, *b = stop;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b) {
			if (comma || d->nelems) {
				struct word w = {a, 1, (uint32_t)(a - l->w[0].s) + l->w[0].col};

				return fail(l, &w, "an empty element");
			}
			break;
		}
		d->elems = sl_arena_realloc(l->arena, d->elems, d->nelems, d->nelems + 1,
					    sizeof(*d->elems));
		d->elem_loc = sl_arena_realloc(l->arena, d->elem_loc, d->nelems, d->nelems + 1,
					       sizeof(*d->elem_loc));
		if (!d->elems || !d->elem_loc)
			return -ENOMEM;
		d->elems[d->nelems] = sl_arena_strndup(l->arena, a, (size_t)(b - a));
		d->elem_loc[d->nelems] = (struct sl_loc){
		    l->file, l->lineno, (uint32_t)(a - l->w[0].s) + l->w[0].col, (uint32_t)(b - a)};
		d->nelems++;
		p = stop + 1;
	}
	return 0;
}

static int parse_line(struct line *l, const char **table, struct sl_loc *table_loc,
		      struct sl_testcase *c, bool *is_case)
{
	const struct word *first = &l->w[0], *last;

	*is_case = false;
	if (is(first, "table"))
		return directive_table(l, table, table_loc);
	for (l->end = 0; l->end < l->n && !is(&l->w[l->end], "=>"); l->end++)
		;
	last = &l->w[l->n - 1];
	if (l->end == l->n) {
		struct word after = {last->s + last->len, 0, last->col + (uint32_t)last->len};

		return fail(l, &after, "a case ends with '=> accept' or '=> drop'");
	}
	if (l->end == 0)
		return fail(l, first, "a case starts with its packet, then '=> VERDICT'");
	memset(c, 0, sizeof(*c));
	c->loc = loc_of(l, first);
	c->loc.len = (uint32_t)(l->w[l->end - 1].s + l->w[l->end - 1].len - first->s);
	c->text = sl_arena_strndup(l->arena, first->s, last->s + last->len - first->s);
	c->table = *table;
	c->table_loc = *table_loc;
	if ((is(first, "pcap") ? captured(l, c) : described(l, c)) || expectation(l, c))
		return -EINVAL;
	*is_case = true;
	return 0;
}

/* `local PREFIX, ...`: the rest of the line, checked when the cases run. */
static int directive_local(struct line *l, const char **local, struct sl_loc *loc)
{
	const struct word *last = &l->w[l->n - 1];

	if (l->n < 2)
		return fail(l, &l->w[0], "'local' takes this host's addresses: local PREFIX, ...");
	*local = sl_arena_strndup(l->arena, l->w[1].s, (size_t)(last->s + last->len - l->w[1].s));
	*loc = loc_of(l, &l->w[1]);
	loc->len = (uint32_t)strlen(*local);
	return 0;
}

int sl_testfile_parse(struct sl_diag *diag, uint32_t file, struct sl_arena *arena,
		      struct sl_testfile *out)
{
	const struct sl_source *src = sl_sources_get(diag->srcs, file);
	struct line *l = calloc(1, sizeof(*l));
	const char *table = NULL, *slash;
	struct sl_loc table_loc = SL_LOC_NONE, local_loc = SL_LOC_NONE, flow_loc = SL_LOC_NONE;
	const char *local = NULL;
	uint32_t flows = 0, flow = 0;
	size_t cap = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!l || !src) {
		free(l);
		return -ENOMEM;
	}
	out->file = file;
	*l = (struct line){.diag = diag, .arena = arena, .file = file, .dir = ""};
	slash = strrchr(src->path, '/');
	if (slash)
		l->dir = sl_arena_strndup(arena, src->path, slash + 1 - src->path);
	for (size_t ln = 1; ln <= src->nlines; ln++) {
		size_t len;
		const char *text = sl_source_line(src, (uint32_t)ln, &len);
		struct sl_testcase c;
		bool is_case;

		l->lineno = (uint32_t)ln;
		if (text && memchr(text, '\0', len)) {
			struct word w = {
			    text, 1, (uint32_t)((const char *)memchr(text, '\0', len) - text) + 1};

			err = fail(l, &w, "a test file is text: this line holds a NUL byte");
			continue;
		}
		if (!text || !split(l, text, len)) {
			err = -EINVAL;
			continue;
		}
		if (!l->n)
			continue;
		if (is(&l->w[0], "local")) {
			if (directive_local(l, &local, &local_loc))
				err = -EINVAL;
			continue;
		}
		if (is(&l->w[0], "flow") || is(&l->w[0], "end")) {
			bool open = is(&l->w[0], "flow");

			if (l->n != 1)
				err = fail(l, &l->w[1], "'%s' stands alone on its line",
					   open ? "flow" : "end");
			else if (open && flow)
				err = fail(l, &l->w[0],
					   "a 'flow' inside a flow (the one opened at line %u "
					   "needs its 'end')",
					   flow_loc.line);
			else if (!open && !flow)
				err = fail(l, &l->w[0], "an 'end' without a 'flow'");
			else if (open) {
				flow = ++flows;
				flow_loc = loc_of(l, &l->w[0]);
			} else {
				flow = 0;
			}
			continue;
		}
		if (is(&l->w[0], "set")) {
			struct sl_tc_setdef d;

			if (directive_set(l, &d)) {
				err = -EINVAL;
				continue;
			}
			out->setdefs = sl_arena_realloc(arena, out->setdefs, out->nsetdefs,
							out->nsetdefs + 1, sizeof(*out->setdefs));
			if (!out->setdefs) {
				free(l);
				return -ENOMEM;
			}
			out->setdefs[out->nsetdefs++] = d;
			continue;
		}
		if (parse_line(l, &table, &table_loc, &c, &is_case)) {
			err = -EINVAL;
			continue;
		}
		if (!is_case)
			continue;
		if (out->ncases == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct sl_testcase *grown =
			    sl_arena_realloc(arena, out->cases, cap, ncap, sizeof(*grown));

			if (!grown) {
				free(l);
				return -ENOMEM;
			}
			out->cases = grown;
			cap = ncap;
		}
		c.nsetdefs = (uint32_t)out->nsetdefs;
		c.flow = flow;
		c.local = local;
		c.local_loc = local_loc;
		out->cases[out->ncases++] = c;
	}
	if (flow) {
		sl_error(diag, flow_loc, "a 'flow' without its 'end'");
		err = -EINVAL;
	}
	free(l);
	return err;
}

bool sl_tc_file_matches(const char *written, const char *path)
{
	size_t wl = strlen(written), pl = strlen(path);

	if (!strcmp(written, path))
		return true;
	/* `web.sluice` names `policies/web.sluice`: a suffix after a '/' */
	return wl < pl && path[pl - wl - 1] == '/' && !strcmp(path + pl - wl, written);
}
