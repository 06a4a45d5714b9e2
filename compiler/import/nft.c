// SPDX-License-Identifier: GPL-2.0-only
/*
 * `nft -j list ruleset` -> sluice. Base chains of type filter in ip, ip6 and
 * inet tables become tables (a family's table first accepts the packets of
 * the other families, which that nft table never sees), other chains
 * chains, constant named sets constants, verdict maps one rule per element
 * (their keys are disjoint: at most one of the rules matches, so a jump
 * that returns continues exactly as after the map).
 *
 * Where a sluice word means something else than nft's (lang-spec/reference.md
 * section 10), the importer writes what nft meant or refuses: nft's `th`
 * reads any transport header (imported only when the rule limits
 * meta l4proto to tcp and udp), `meta length` counts from the network header
 * (imported as `ip length` in IPv4-only rules), `ether type` and `vlan id`
 * (refused), `tcp flags F` without operator is "any of F" in nft.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/import_priv.h"
#include "import/json.h"

typedef struct sl_json json;

struct nft_table {
	char *family, *name;
};

struct nft_chain {
	const json *j;
	char *table, *family, *name, *sname, *hook, *policy;
	bool base;
	struct sl_buf body;
	const json *ct_at; /* its first rule testing ct state, or NULL */
	size_t *calls;	   /* chains it jumps or goes to (indexes) */
	size_t ncalls, callcap;
};

struct nft_set {
	char *table, *name, *sname;
	char *value; /* "{ ... }", NULL when not constant */
	char *named; /* a set changed at run time: its sluice `set` item, or NULL */
	bool empty;
	bool bad; /* its elements were reported as errors: rules using it say no more */
};

struct nft {
	struct imp *im;
	struct nft_table *tables;
	size_t ntables, tcap;
	struct nft_chain *chains;
	size_t nchains, ccap;
	struct nft_set *sets;
	size_t nsets, scap;
	struct sl_buf notes;
	bool ct_warned;
};

/* What the rule being translated has said so far (for nft's words that depend on it). */
struct nrule {
	struct nft *nft;
	const struct nft_chain *chain;
	struct sl_buf m;
	char *verdict;
	bool counter, l4_tcpudp, v4only, ct, skip, failed;
	char *limit, *log; /* " limit rate ...", " log ..." or NULL */
	size_t *calls;	   /* chains jumped to (indexes) */
	size_t ncalls, callcap;
	/* a verdict map: one rule per element */
	struct sl_buf vm_field;
	char **vm_keys, **vm_verdicts;
	size_t vm_n;
};

static struct sl_loc jloc(const struct nft *n, const json *j)
{
	return imp_loc(n->im, j ? j->line : 0, j ? j->col : 0, j ? j->len : 0);
}

static void __attribute__((format(printf, 3, 4)))
rerror(struct nrule *r, const json *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_error(r->nft->im->diag, jloc(r->nft, at), "%s", msg);
	r->failed = true;
}

static void unsupported(struct nrule *r, const json *at, const char *what, const char *word)
{
	if (r->skip || r->failed)
		return;
	if (imp_unsupported(r->nft->im, jloc(r->nft, at), what, word))
		r->skip = true;
	else
		r->failed = true;
}

static const char *str(const json *j)
{
	return j && j->type == SL_JSON_STRING ? j->s : NULL;
}

static const char *member_str(const json *j, const char *key)
{
	return str(sl_json_get(j, key));
}

/* A string that may go into policy text as one word: no spaces, quotes, braces. */
static bool word_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("_-.:/", *p)))
			return false;
	return true;
}

/* ---- symbolic values: nft's names -> sluice's ---- */

struct sym {
	const char *nft, *sluice;
};

static const struct sym protocols[] = {
    {"ipv6-icmp", "icmpv6"},
    {"icmpv6", "icmpv6"},
    {"tcp", "tcp"},
    {"udp", "udp"},
    {"icmp", "icmp"},
    {"esp", "esp"},
    {"ah", "ah"},
    {"gre", "gre"},
    {"sctp", "sctp"},
    {"udplite", "udplite"},
    {"igmp", "igmp"},
    {"dccp", "dccp"},
    {"ipip", "ipip"},
    {"ospf", "ospf"},
    {"vrrp", "vrrp"},
    {"pim", "pim"},
    {"l2tp", "l2tp"},
    {"ipv6-frag", "ipv6-frag"},
    {"ipv6-route", "ipv6-route"},
    {"ipv6-opts", "ipv6-opts"},
    {"ipv6-nonxt", "ipv6-nonxt"},
    {"hopopt", "hopopt"},
    {"ipv6", "ipv6"},
    {"rsvp", "rsvp"},
    {"egp", "egp"},
};
static const struct sym icmp_types[] = {
    {"echo-reply", "echo-reply"},
    {"destination-unreachable", "destination-unreachable"},
    {"source-quench", "source-quench"},
    {"redirect", "redirect"},
    {"echo-request", "echo-request"},
    {"router-advertisement", "router-advertisement"},
    {"router-solicitation", "router-solicitation"},
    {"time-exceeded", "time-exceeded"},
    {"parameter-problem", "parameter-problem"},
    {"timestamp-request", "timestamp-request"},
    {"timestamp-reply", "timestamp-reply"},
    {"info-request", "info-request"},
    {"info-reply", "info-reply"},
    {"address-mask-request", "address-mask-request"},
    {"address-mask-reply", "address-mask-reply"},
};
static const struct sym icmpv6_types[] = {
    {"destination-unreachable", "destination-unreachable"},
    {"packet-too-big", "packet-too-big"},
    {"time-exceeded", "time-exceeded"},
    {"parameter-problem", "parameter-problem"},
    {"echo-request", "echo-request"},
    {"echo-reply", "echo-reply"},
    {"mld-listener-query", "mld-listener-query"},
    {"mld-listener-report", "mld-listener-report"},
    {"mld-listener-done", "mld-listener-done"},
    {"mld-listener-reduction", "mld-listener-done"},
    {"nd-router-solicit", "nd-router-solicit"},
    {"nd-router-advert", "nd-router-advert"},
    {"nd-neighbor-solicit", "nd-neighbor-solicit"},
    {"nd-neighbor-advert", "nd-neighbor-advert"},
    {"nd-redirect", "nd-redirect"},
    {"router-renumbering", "router-renumbering"},
    {"ind-neighbor-solicit", "141"},
    {"ind-neighbor-advert", "142"},
    {"mld2-listener-report", "143"},
};
static const struct sym tcp_flags[] = {
    {"fin", "fin"}, {"syn", "syn"}, {"rst", "rst"}, {"psh", "psh"},
    {"ack", "ack"}, {"urg", "urg"}, {"ecn", "ece"}, {"cwr", "cwr"},
};
/* nft's icmp_code and icmpv6_code names (the code whatever the type) */
static const struct sym icmp_codes[] = {
    {"net-unreachable", "0"},  {"host-unreachable", "1"},  {"prot-unreachable", "2"},
    {"port-unreachable", "3"}, {"frag-needed", "4"},	   {"net-prohibited", "9"},
    {"host-prohibited", "10"}, {"admin-prohibited", "13"},
};
static const struct sym icmpv6_codes[] = {
    {"no-route", "0"},	       {"admin-prohibited", "1"}, {"addr-unreachable", "3"},
    {"port-unreachable", "4"}, {"policy-fail", "5"},	  {"reject-route", "6"},
};
/* nft's DSCP names are sluice's */
static const struct sym dscps[] = {
    {"cs0", "cs0"},   {"cs1", "cs1"},	{"cs2", "cs2"},	  {"cs3", "cs3"},   {"cs4", "cs4"},
    {"cs5", "cs5"},   {"cs6", "cs6"},	{"cs7", "cs7"},	  {"af11", "af11"}, {"af12", "af12"},
    {"af13", "af13"}, {"af21", "af21"}, {"af22", "af22"}, {"af23", "af23"}, {"af31", "af31"},
    {"af32", "af32"}, {"af33", "af33"}, {"af41", "af41"}, {"af42", "af42"}, {"af43", "af43"},
    {"ef", "ef"},     {"va", "va"},	{"le", "le"},	  {"lephb", "le"},
};
/* conntrack's states sluice's flow table has (untracked means another thing there) */
static const struct sym ctstates[] = {
    {"new", "new"}, {"established", "established"}, {"related", "related"}, {"invalid", "invalid"}};
static const struct sym nfprotos[] = {{"ipv4", "ip"}, {"ipv6", "ip6"}};
static const struct sym ethertypes[] = {
    {"ip", "ip"}, {"ip6", "ip6"}, {"arp", "arp"}, {"vlan", "vlan"}, {"8021ad", "qinq"}};

/* How a field's values are written. */
enum vkind {
	V_NUM,
	V_DSCP,
	V_ICMPCODE,
	V_ICMPV6CODE,
	V_ADDR4,
	V_ADDR6,
	V_PROTO,
	V_ICMP,
	V_ICMPV6,
	V_FLAGS,
	V_NFPROTO,
	V_ETHER,
	V_CTSTATE,
	V_IFNAME
};

struct field {
	const char *text; /* sluice field */
	enum vkind kind;
	unsigned max;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *sym_lookup(const struct sym *t, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].nft, s))
			return t[i].sluice;
	return NULL;
}

/* An interface name "NAME"; nft's wildcards ("eth*") have no sluice word. */
static bool ifname(struct nrule *r, const struct field *f, const json *v, struct sl_buf *b)
{
	const char *s = str(v);
	size_t n = s ? strlen(s) : 0;

	if (n && s[n - 1] == '*') {
		char what[96];

		snprintf(what, sizeof(what), "an interface wildcard (\"%s\": sluice has none)", s);
		unsupported(r, v, what, NULL);
		return false;
	}
	if (!s || !imp_ifname_ok(s)) {
		rerror(r, v, "an interface name sluice accepts was expected for %s", f->text);
		return false;
	}
	sl_buf_printf(b, "\"%s\"", s);
	return true;
}

/* One value (no set) as sluice text into b; false after an error. */
static bool scalar(struct nrule *r, const struct field *f, const json *v, struct sl_buf *b)
{
	int64_t x;
	const char *s, *t = NULL;

	if (f->kind == V_IFNAME)
		return ifname(r, f, v, b);
	if (sl_json_int(v, &x)) {
		if (x < 0 || (uint64_t)x > f->max || f->kind == V_ADDR4 || f->kind == V_ADDR6) {
			rerror(r, v, "%s is out of range for %s", v->s, f->text);
			return false;
		}
		sl_buf_printf(b, "%lld", (long long)x);
		return true;
	}
	if (v->type == SL_JSON_OBJECT && sl_json_get(v, "range")) {
		const json *rg = sl_json_get(v, "range");

		if (rg->type != SL_JSON_ARRAY || rg->n != 2 || f->kind == V_FLAGS) {
			rerror(r, v, "a range of two values was expected");
			return false;
		}
		size_t lo = b->len, hi;

		if (!scalar(r, f, rg->v[0], b))
			return false;
		sl_buf_puts(b, "-");
		hi = b->len;
		if (!scalar(r, f, rg->v[1], b))
			return false;
		{
			char *a = strndup(b->s + lo, hi - 1 - lo);
			bool empty = a && imp_range_empty(a, b->s + hi);

			free(a);
			if (empty) {
				rerror(r, v, "an empty range: %.*s", (int)(b->len - lo), b->s + lo);
				return false;
			}
		}
		return true;
	}
	if (v->type == SL_JSON_OBJECT && sl_json_get(v, "prefix")) {
		const json *p = sl_json_get(v, "prefix");
		const char *addr = member_str(p, "addr");
		int64_t len;

		if ((f->kind != V_ADDR4 && f->kind != V_ADDR6) || !addr || !word_ok(addr) ||
		    !imp_addr_ok(addr, f->kind == V_ADDR6) ||
		    !sl_json_int(sl_json_get(p, "len"), &len) || len < 0 ||
		    len > (f->kind == V_ADDR4 ? 32 : 128)) {
			rerror(r, v, "a prefix of %s was expected", f->text);
			return false;
		}
		sl_buf_printf(b, "%s/%lld", addr, (long long)len);
		return true;
	}
	if (v->type == SL_JSON_ARRAY && (f->kind == V_FLAGS || f->kind == V_CTSTATE)) {
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sl_buf_puts(b, f->kind == V_FLAGS ? "|" : ",");
			if (!scalar(r, f, v->v[i], b))
				return false;
		}
		return v->n > 0;
	}
	s = str(v);
	if (!s || !word_ok(s)) {
		rerror(r, v, "a value of %s was expected here", f->text);
		return false;
	}
	switch (f->kind) {
	case V_ADDR4:
	case V_ADDR6:
		t = imp_addr_ok(s, f->kind == V_ADDR6) ? s : NULL;
		break;
	case V_PROTO:
		t = sym_lookup(protocols, N(protocols), s);
		break;
	case V_ICMP:
		t = sym_lookup(icmp_types, N(icmp_types), s);
		break;
	case V_ICMPV6:
		t = sym_lookup(icmpv6_types, N(icmpv6_types), s);
		break;
	case V_FLAGS:
		t = sym_lookup(tcp_flags, N(tcp_flags), s);
		break;
	case V_NFPROTO:
		t = sym_lookup(nfprotos, N(nfprotos), s);
		break;
	case V_ETHER:
		t = sym_lookup(ethertypes, N(ethertypes), s);
		break;
	case V_DSCP:
		t = sym_lookup(dscps, N(dscps), s);
		break;
	case V_CTSTATE:
		t = sym_lookup(ctstates, N(ctstates), s);
		if (t && (!strcmp(t, "new") || !strcmp(t, "invalid")) && !r->nft->ct_warned) {
			r->nft->ct_warned = true;
			sl_warning(r->nft->im->diag, jloc(r->nft, v),
				   "conntrack picks up TCP connections it did not see open as new "
				   "(nf_conntrack_tcp_loose); sluice's flow table calls them "
				   "invalid, and ICMP types other than echo and errors untracked "
				   "(import/README.md)");
		}
		if (!t && !strcmp(s, "untracked")) {
			unsupported(r, v,
				    "'ct state untracked' (nft's are the packets notrack exempts; "
				    "sluice's those its flow table does not follow: ARP, "
				    "fragments, other protocols)",
				    NULL);
			return false;
		}
		break;
	case V_ICMPCODE:
		t = sym_lookup(icmp_codes, N(icmp_codes), s);
		break;
	case V_ICMPV6CODE:
		t = sym_lookup(icmpv6_codes, N(icmpv6_codes), s);
		break;
	case V_NUM:
	case V_IFNAME:
		break;
	}
	if (!t) {
		rerror(r, v, "'%s' is not a value sluice knows for %s", s, f->text);
		return false;
	}
	sl_buf_puts(b, t);
	return true;
}

static bool is_setref(const json *v)
{
	return v->type == SL_JSON_STRING && v->s[0] == '@';
}

static const struct nft_set *find_set(const struct nft *n, const char *table, const char *name)
{
	for (size_t i = 0; i < n->nsets; i++)
		if (!strcmp(n->sets[i].table, table) && !strcmp(n->sets[i].name, name))
			return &n->sets[i];
	return NULL;
}

/* A right-hand side: a value, an anonymous set, or a named set ($const). NULL: error. */
static char *rhs(struct nrule *r, const struct field *f, const json *v, bool *empty)
{
	struct sl_buf b = {0};
	const json *set = sl_json_get(v, "set");

	*empty = false;
	if (is_setref(v)) {
		const struct nft_set *s = find_set(r->nft, r->chain->table, v->s + 1);

		if (!s) {
			rerror(r, v, "no set '%s' in table '%s'", v->s + 1, r->chain->table);
			return NULL;
		}
		if (s->named) {
			sl_buf_printf(&b, "@%s", s->sname);
			return b.s;
		}
		if (s->bad) {
			r->failed = true;
			return NULL;
		}
		if (!s->value) {
			unsupported(
			    r, v,
			    "a set that changes at run time (dynamic or with timeouts) of a "
			    "type sluice's named sets do not hold (they hold ipv4_addr, "
			    "ipv6_addr, inet_service and inet_proto)",
			    NULL);
			return NULL;
		}
		*empty = s->empty;
		sl_buf_printf(&b, "$%s", s->sname);
		return b.s;
	}
	if (set) {
		if (set->type != SL_JSON_ARRAY) {
			rerror(r, v, "a set of elements was expected");
			return NULL;
		}
		if (!set->n) {
			*empty = true;
			return strdup("{}");
		}
		sl_buf_puts(&b, "{ ");
		for (size_t i = 0; i < set->n; i++) {
			if (i)
				sl_buf_puts(&b, ", ");
			if (!scalar(r, f, set->v[i], &b)) {
				sl_buf_fini(&b);
				return NULL;
			}
		}
		sl_buf_puts(&b, " }");
		return b.s;
	}
	if (!scalar(r, f, v, &b)) {
		sl_buf_fini(&b);
		return NULL;
	}
	return b.s;
}

/* ---- left-hand sides: nft expressions -> sluice fields ---- */

static const struct {
	const char *proto, *field;
	struct field f;
	bool v4;
} payloads[] = {
    {"ip", "saddr", {"ip saddr", V_ADDR4, 0}, true},
    {"ip", "daddr", {"ip daddr", V_ADDR4, 0}, true},
    {"ip", "protocol", {"ip protocol", V_PROTO, 255}, true},
    {"ip", "ttl", {"ip ttl", V_NUM, 255}, true},
    {"ip", "length", {"ip length", V_NUM, 65535}, true},
    {"ip", "dscp", {"ip dscp", V_DSCP, 63}, true},
    {"ip6", "saddr", {"ip6 saddr", V_ADDR6, 0}, false},
    {"ip6", "daddr", {"ip6 daddr", V_ADDR6, 0}, false},
    {"ip6", "nexthdr", {"ip6 nexthdr", V_PROTO, 255}, false},
    {"ip6", "hoplimit", {"ip6 hoplimit", V_NUM, 255}, false},
    {"tcp", "sport", {"tcp sport", V_NUM, 65535}, false},
    {"tcp", "dport", {"tcp dport", V_NUM, 65535}, false},
    {"tcp", "flags", {"tcp flags", V_FLAGS, 255}, false},
    {"udp", "sport", {"udp sport", V_NUM, 65535}, false},
    {"udp", "dport", {"udp dport", V_NUM, 65535}, false},
    {"th", "sport", {"th sport", V_NUM, 65535}, false},
    {"th", "dport", {"th dport", V_NUM, 65535}, false},
    {"icmp", "type", {"icmp type", V_ICMP, 255}, true},
    {"icmp", "code", {"icmp code", V_ICMPCODE, 255}, true},
    {"icmpv6", "type", {"icmpv6 type", V_ICMPV6, 255}, false},
    {"icmpv6", "code", {"icmpv6 code", V_ICMPV6CODE, 255}, false},
};

static const struct field f_l4proto = {"meta l4proto", V_PROTO, 255};
static const struct field f_nfproto = {"meta protocol", V_NFPROTO, 0xffff};
static const struct field f_protocol = {"meta protocol", V_ETHER, 0xffff};
static const struct field f_iplen = {"ip length", V_NUM, 65535};
static const struct field f_ctstate = {"ct state", V_CTSTATE, 0};
static const struct field f_ifs[] = {{"meta iifname", V_IFNAME, 0},
				     {"meta oifname", V_IFNAME, 0},
				     {"meta iif", V_IFNAME, 0},
				     {"meta oif", V_IFNAME, 0}};

static const char *default_hook(const char *hook);

/* Whether every table the rule's chain runs in sees the interface: a base chain's hook, or
 * for a regular chain the hooks of all imported base chains of its table (any may jump to
 * it). On false, *hook and *at name one that does not. */
static bool chain_sees_if(const struct nrule *r, bool out, const char **hook, char *at,
			  size_t atlen)
{
	const struct nft *n = r->nft;
	const struct nft_chain *rc = r->chain;

	for (size_t i = 0; i < n->nchains; i++) {
		const struct nft_chain *c = &n->chains[i];
		char key[256];

		if (!c->base ||
		    (rc->base ? c != rc
			      : strcmp(c->table, rc->table) || strcmp(c->family, rc->family)))
			continue;
		snprintf(key, sizeof(key), "%s/%s", c->table, c->name);
		*hook = imp_hook(n->im, key, c->hook, default_hook(c->hook));
		if (strcmp(*hook, "none") && !imp_hook_sees_if(*hook, out)) {
			snprintf(at, atlen, "%s", key);
			return false;
		}
	}
	return true;
}

/* Whether key is an interface key; then *f is its field, or NULL (reported). */
static bool meta_if(struct nrule *r, const json *left, const char *key, const struct field **f)
{
	for (size_t i = 0; i < N(f_ifs); i++) {
		bool out = i & 1;
		const char *hook = NULL;
		char at[256], what[700];

		if (strcmp(key, f_ifs[i].text + 5))
			continue;
		*f = &f_ifs[i];
		if (chain_sees_if(r, out, &hook, at, sizeof(at)))
			return true;
		*f = NULL;
		snprintf(what, sizeof(what),
			 "'meta %s' in %s%s's table on hook %s (it sees no %s interface; "
			 "--hook %s=HOOK for one that does)",
			 key, r->chain->base ? "" : "a regular chain, which may run in ", at, hook,
			 out ? "output" : "input", at);
		unsupported(r, left, what, NULL);
		return true;
	}
	return false;
}

/* meta keys sluice lacks, and the word each waits for */
static const struct sym meta_missing[] = {
    {"mark", "meta mark"}, {"skuid", NULL}, {"skgid", NULL}, {"pkttype", NULL}, {"iiftype", NULL},
};

/* The sluice field of `left`, or NULL (reported). */
static const struct field *lhs(struct nrule *r, const json *left, const json *right)
{
	const json *p = sl_json_get(left, "payload"), *m = sl_json_get(left, "meta");
	const char *fam = r->chain->family;

	if (p) {
		const char *proto = member_str(p, "protocol"), *fld = member_str(p, "field");

		if (!proto || !fld) {
			unsupported(r, left, "a raw payload expression (@base,offset,length)",
				    NULL);
			return NULL;
		}
		if (!strcmp(proto, "ether") || !strcmp(proto, "vlan")) {
			unsupported(
			    r, left,
			    !strcmp(proto, "ether")
				? "nft's 'ether' (the bytes at offset 12, not sluice's "
				  "EtherType after VLAN tags)"
				: "nft's 'vlan id' (802.1Q only; sluice's is the outer tag, "
				  "802.1Q or 802.1ad)",
			    NULL);
			return NULL;
		}
		for (size_t i = 0; i < N(payloads); i++) {
			if (strcmp(payloads[i].proto, proto) || strcmp(payloads[i].field, fld))
				continue;
			if (!strcmp(proto, "th") && !r->l4_tcpudp) {
				unsupported(
				    r, left,
				    "nft's 'th' without 'meta l4proto { tcp, udp }' before it "
				    "(nft reads any transport header, sluice's th only TCP "
				    "and UDP ports)",
				    NULL);
				return NULL;
			}
			if ((payloads[i].v4 && !strcmp(fam, "ip6")) ||
			    (!strcmp(proto, "ip6") && !strcmp(fam, "ip")) ||
			    (!strcmp(proto, "icmpv6") && !strcmp(fam, "ip"))) {
				rerror(r, left, "'%s %s' in an %s table never matches", proto, fld,
				       fam);
				return NULL;
			}
			if (payloads[i].v4)
				r->v4only = true;
			return &payloads[i].f;
		}
		{
			char what[96];

			snprintf(what, sizeof(what), "'%s %s'", proto, fld);
			unsupported(r, left, what, NULL);
		}
		return NULL;
	}
	if (m) {
		const char *key = member_str(m, "key");
		const struct field *fi;

		if (!key) {
			rerror(r, left, "meta without a key");
			return NULL;
		}
		if (!strcmp(key, "l4proto"))
			return &f_l4proto;
		if (!strcmp(key, "nfproto"))
			return &f_nfproto;
		if (!strcmp(key, "protocol"))
			return &f_protocol;
		if (!strcmp(key, "length")) {
			if (!r->v4only && strcmp(fam, "ip")) {
				unsupported(
				    r, left,
				    "nft's 'meta length' outside an IPv4-only rule (it counts "
				    "from the network header; sluice's from the frame, or "
				    "ip length for IPv4)",
				    NULL);
				return NULL;
			}
			return &f_iplen; /* the kernel trims skb->len to tot_len in ip_rcv */
		}
		if (meta_if(r, left, key, &fi))
			return fi;
		for (size_t i = 0; i < N(meta_missing); i++)
			if (!strcmp(key, meta_missing[i].nft)) {
				char what[64];

				snprintf(what, sizeof(what), "'meta %s'", key);
				unsupported(r, left, what, meta_missing[i].sluice);
				return NULL;
			}
	}
	if (sl_json_get(left, "ct")) {
		const char *key = member_str(sl_json_get(left, "ct"), "key");
		char what[64], word[64];

		if (key && !strcmp(key, "state") && !sl_json_get(sl_json_get(left, "ct"), "dir")) {
			r->ct = true;
			return &f_ctstate;
		}
		snprintf(what, sizeof(what), "'ct %s'", key ? key : "?");
		snprintf(word, sizeof(word), "ct %s", key ? key : "");
		unsupported(r, left, what, word);
		return NULL;
	}
	(void)right;
	unsupported(r, left, "this expression", NULL);
	return NULL;
}

/* `meta l4proto { tcp, udp }` (or one of them) limits the rule to TCP and UDP. */
static bool tcp_udp_only(const json *right)
{
	const json *set = sl_json_get(right, "set");
	const json *const *v = set ? (const json *const *)set->v : &right;
	size_t n = set ? set->n : 1;

	if (set && set->type != SL_JSON_ARRAY)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *s = str(v[i]);
		int64_t x;

		if (!(s && (!strcmp(s, "tcp") || !strcmp(s, "udp"))) &&
		    !(sl_json_int(v[i], &x) && (x == 6 || x == 17)))
			return false;
	}
	return n > 0;
}

static void match(struct nrule *r, const json *mt)
{
	const char *op = member_str(mt, "op");
	const json *left = sl_json_get(mt, "left"), *right = sl_json_get(mt, "right");
	const json *band = sl_json_get(left, "&");
	const struct field *f;
	char *value;
	bool empty, flags_any;

	if (!op || !left || !right) {
		rerror(r, mt, "a match needs op, left and right");
		return;
	}
	if (r->counter || r->verdict || r->limit || r->log) {
		unsupported(r, mt, "a match after a counter, limit, log or verdict statement",
			    NULL);
		return;
	}
	if (band) {
		/* tcp flags & MASK OP VALUE: sluice's one masked field */
		const json *inner = band->type == SL_JSON_ARRAY && band->n == 2 ? band->v[0] : NULL;
		const json *p = sl_json_get(inner, "payload");
		struct sl_buf mask = {0};
		char *val;

		if (!p ||
		    strcmp(member_str(p, "protocol") ? member_str(p, "protocol") : "", "tcp") ||
		    strcmp(member_str(p, "field") ? member_str(p, "field") : "", "flags")) {
			unsupported(r, left, "a bitwise and on a field other than tcp flags", NULL);
			return;
		}
		f = lhs(r, inner, right);
		if (!f || !scalar(r, f, band->v[1], &mask)) {
			sl_buf_fini(&mask);
			return;
		}
		if (strcmp(op, "==") && strcmp(op, "!=")) {
			rerror(r, mt, "'%s' on masked tcp flags: sluice has == and !=", op);
			sl_buf_fini(&mask);
			return;
		}
		val = rhs(r, f, right, &empty);
		if (val && val[0] == '{') {
			rerror(r, right, "a set after a mask has no sluice form");
		} else if (val) {
			sl_buf_printf(&r->m, " tcp flags & (%s) %s %s", mask.s, op, val);
		}
		free(val);
		sl_buf_fini(&mask);
		return;
	}
	f = lhs(r, left, right);
	if (!f)
		return;
	flags_any = f->kind == V_FLAGS && !strcmp(op, "in");
	if (!strcmp(op, "in") && !flags_any)
		op = "==";
	if (!strcmp(op, "<") || !strcmp(op, ">") || !strcmp(op, "<=") || !strcmp(op, ">=")) {
		int64_t x;

		if (!sl_json_int(right, &x) || f->kind == V_FLAGS || x < 0 ||
		    (uint64_t)x > f->max) {
			rerror(r, right, "'%s' wants a number of %s", op, f->text);
			return;
		}
		if ((op[0] == '<' && !op[1] && x == 0) ||
		    (op[0] == '>' && !op[1] && (uint64_t)x == f->max)) {
			unsupported(r, mt, "a comparison no value satisfies", NULL);
			return;
		}
		if (op[0] == '<')
			sl_buf_printf(&r->m, " %s 0-%lld", f->text, (long long)(op[1] ? x : x - 1));
		else
			sl_buf_printf(&r->m, " %s %lld-%u", f->text, (long long)(op[1] ? x : x + 1),
				      f->max);
		return;
	}
	if (strcmp(op, "==") && strcmp(op, "!=") && !flags_any) {
		rerror(r, mt, "operator '%s' has no sluice form", op);
		return;
	}
	value = rhs(r, f, right, &empty);
	if (!value)
		return;
	if (empty && strcmp(op, "!=")) {
		unsupported(r, right, "a match on an empty set (it never matches)", NULL);
	} else if (empty) {
		unsupported(r, right, "'!=' an empty set", NULL);
	} else if (flags_any) {
		/* nft's implicit operator on flags: any of them is set */
		if (value[0] == '{')
			rerror(r, right, "a set of flags with nft's implicit operator");
		else
			sl_buf_printf(&r->m, " tcp flags & (%s) != 0", value);
	} else {
		/* sluice's `tcp flags F` is "all of F": nft's == is written out */
		sl_buf_printf(&r->m, " %s %s%s", f->text,
			      !strcmp(op, "!=")	   ? "!= "
			      : f->kind == V_FLAGS ? "== "
						   : "",
			      value);
		if (f == &f_l4proto && !strcmp(op, "==") && tcp_udp_only(right))
			r->l4_tcpudp = true;
		if (f == &f_nfproto && !strcmp(value, "ip"))
			r->v4only = true;
	}
	free(value);
}

/* Chain `name` of the table (family and name) of chain `from`, when it is imported. */
static const struct nft_chain *find_chain(const struct nft *n, const struct nft_chain *from,
					  const char *name)
{
	for (size_t i = 0; i < n->nchains; i++) {
		const struct nft_chain *c = &n->chains[i];

		if (c->j && !strcmp(c->table, from->table) && !strcmp(c->family, from->family) &&
		    !strcmp(c->name, name))
			return c;
	}
	return NULL;
}

/* accept, drop, return, jump, goto as sluice text; NULL if `st` is none of them. */
static char *verdict(struct nrule *r, const json *st, bool *is_verdict)
{
	static const char *const plain[] = {"accept", "drop", "return"};
	struct sl_buf b = {0};

	*is_verdict = true;
	for (size_t i = 0; i < N(plain); i++)
		if (sl_json_get(st, plain[i]))
			return strdup(plain[i]);
	for (int go = 0; go < 2; go++) {
		const json *j = sl_json_get(st, go ? "goto" : "jump");
		const char *target = member_str(j, "target");
		const struct nft_chain *c;

		if (!j)
			continue;
		c = target ? find_chain(r->nft, r->chain, target) : NULL;
		if (!c || c->base) {
			rerror(r, j, "%s to '%s', which is no regular chain of table %s '%s'",
			       go ? "goto" : "jump", target ? target : "?", r->chain->family,
			       r->chain->table);
			return NULL;
		}
		sl_buf_printf(&b, "%s %s", go ? "goto" : "jump", c->sname);
		if (sl_grow((void **)&r->calls, &r->callcap, r->ncalls + 1, sizeof(*r->calls)))
			abort();
		r->calls[r->ncalls++] = (size_t)(c - r->nft->chains);
		return b.s;
	}
	*is_verdict = false;
	return NULL;
}

/* `KEY vmap { k : verdict, ... }` -> one rule per element (the keys are disjoint). */
static void vmap(struct nrule *r, const json *vm)
{
	const json *key = sl_json_get(vm, "key"), *data = sl_json_get(vm, "data");
	const json *set = sl_json_get(data, "set");
	const struct field *f;

	if (!key || !set || set->type != SL_JSON_ARRAY) {
		unsupported(r, vm, "a verdict map that is not written in the rule", "named maps");
		return;
	}
	f = lhs(r, key, NULL);
	if (!f)
		return;
	if (f->kind == V_FLAGS) {
		unsupported(r, vm, "a verdict map on tcp flags", NULL);
		return;
	}
	sl_buf_puts(&r->vm_field, f->text);
	for (size_t i = 0; i < set->n && !r->failed && !r->skip; i++) {
		const json *el = set->v[i];
		struct sl_buf k = {0};
		bool isv;
		char *v;

		if (el->type != SL_JSON_ARRAY || el->n != 2) {
			rerror(r, el, "a map element [key, verdict] was expected");
			return;
		}
		if (!scalar(r, f, el->v[0], &k))
			return;
		v = verdict(r, el->v[1], &isv);
		if (!v) {
			if (!isv)
				unsupported(r, el->v[1], "a map value that is no verdict", NULL);
			sl_buf_fini(&k);
			return;
		}
		r->vm_keys = realloc(r->vm_keys, (r->vm_n + 1) * sizeof(char *));
		r->vm_verdicts = realloc(r->vm_verdicts, (r->vm_n + 1) * sizeof(char *));
		if (!r->vm_keys || !r->vm_verdicts)
			abort();
		r->vm_keys[r->vm_n] = k.s;
		r->vm_verdicts[r->vm_n++] = v;
	}
}

static const struct sym stmt_missing[] = {
    {"reject", "reject"}, {"queue", NULL},
    {"snat", NULL},	  {"dnat", NULL},
    {"masquerade", NULL}, {"redirect", NULL},
    {"mangle", NULL},	  {"notrack", NULL},
    {"quota", NULL},	  {"set", "named sets (@set)"},
    {"meter", NULL},	  {"ct count", NULL},
    {"xt", NULL},	  {"dup", NULL},
    {"fwd", NULL},	  {"synproxy", NULL},
    {"tproxy", NULL},	  {"flow", NULL},
    {"secmark", NULL},
};

/* nft's limit -> sluice's: a packet bucket of `burst` (nft's default 5), or for bytes
 * a bucket of rate + burst bytes (nft's), which sluice writes as its burst. */
static void stmt_limit(struct nrule *r, const json *st)
{
	static const struct {
		const char *name;
		uint64_t mul;
	} bunits[] = {{"bytes", 1}, {"kbytes", 1024}, {"mbytes", 1048576}};
	static const char *const periods[] = {"second", "minute", "hour", "day", "week"};
	const json *l = sl_json_get(st, "limit");
	const char *per = member_str(l, "per"), *ru = member_str(l, "rate_unit");
	const char *bu = member_str(l, "burst_unit");
	const json *inv = sl_json_get(l, "inv");
	int64_t rate, burst = -1;
	uint64_t rmul = 0, bmul = 0;
	bool known = false;

	if (r->limit || r->counter || r->log || r->verdict) {
		unsupported(r, st,
			    "a limit after a counter, log, verdict or another limit (sluice "
			    "takes the limit's token before those)",
			    NULL);
		return;
	}
	for (size_t i = 0; per && i < N(periods); i++)
		known |= !strcmp(per, periods[i]);
	if (!sl_json_int(sl_json_get(l, "rate"), &rate) || rate <= 0 || !known ||
	    (sl_json_get(l, "burst") &&
	     (!sl_json_int(sl_json_get(l, "burst"), &burst) || burst < 0))) {
		rerror(r, st, "a limit needs a rate, a period and a burst of at least 0");
		return;
	}
	for (size_t i = 0; i < N(bunits); i++) {
		if (ru && !strcmp(ru, bunits[i].name))
			rmul = bunits[i].mul;
		if (bu && !strcmp(bu, bunits[i].name))
			bmul = bunits[i].mul;
	}
	if ((ru && strcmp(ru, "packets") && !rmul) || (bu && !bmul && strcmp(bu, "packets"))) {
		rerror(r, st, "a limit's unit is packets, bytes, kbytes or mbytes");
		return;
	}
	{
		struct sl_buf b = {0};
		bool over = inv && inv->type == SL_JSON_BOOL && inv->b;

		if (!rmul) {
			sl_buf_printf(&b, " limit rate %s%lld/%s burst %lld packets",
				      over ? "over " : "", (long long)rate, per,
				      (long long)(burst > 0 ? burst : 5));
		} else {
			uint64_t bytes = (uint64_t)rate * rmul +
					 (burst > 0 ? (uint64_t)burst : 0) * (bmul ? bmul : 1);

			sl_buf_printf(&b, " limit rate %s%lld %s/%s burst %llu bytes",
				      over ? "over " : "", (long long)rate, ru, per,
				      (unsigned long long)bytes);
		}
		r->limit = b.s;
	}
}

/* nft's log -> sluice's ring-buffer log: prefix and level; group (nflog) has no form. */
static void stmt_log(struct nrule *r, const json *st)
{
	static const char *const levels[] = {"emerg", "alert",	"crit", "err",
					     "warn",  "notice", "info", "debug"};
	const json *l = sl_json_get(st, "log");
	const char *prefix = member_str(l, "prefix"), *level = member_str(l, "level");
	struct sl_buf b = {0};

	if (r->log || r->verdict) {
		unsupported(r, st, "a second log, or a log after the verdict", NULL);
		return;
	}
	if (sl_json_get(l, "group")) {
		unsupported(r, st, "'log group' (nflog)", "log group");
		return;
	}
	sl_buf_puts(&b, " log");
	if (prefix) {
		if (!imp_log_prefix_ok(prefix)) {
			unsupported(
			    r, st,
			    "a log prefix with '\"', '\\', a control byte or over 63 characters",
			    NULL);
			sl_buf_fini(&b);
			return;
		}
		sl_buf_printf(&b, " prefix \"%s\"", prefix);
	}
	if (level) {
		const char *lv = NULL;

		for (size_t i = 0; i < N(levels); i++)
			if (!strcmp(level, levels[i]))
				lv = levels[i];
		if (!lv) {
			unsupported(r, st, "log level audit", NULL);
			sl_buf_fini(&b);
			return;
		}
		sl_buf_printf(&b, " level %s", lv);
	}
	r->log = b.s; /* flags, snaplen: what the kernel's line shows; sluice keeps the packet */
}

static void statement(struct nrule *r, const json *st)
{
	const json *mt = sl_json_get(st, "match");
	bool isv;
	char *v;

	if (mt) {
		match(r, mt);
		return;
	}
	if (sl_json_get(st, "continue") && !r->verdict)
		return; /* goes on to the next rule: what a rule without verdict does */
	if (sl_json_get(st, "limit")) {
		stmt_limit(r, st);
		return;
	}
	if (sl_json_get(st, "log")) {
		stmt_log(r, st);
		return;
	}
	if (sl_json_get(st, "counter")) {
		if (r->counter || r->verdict)
			unsupported(r, st, "a second counter, or a counter after the verdict",
				    NULL);
		r->counter = true;
		return;
	}
	if (sl_json_get(st, "vmap")) {
		if (r->verdict || r->vm_n)
			rerror(r, st, "a verdict map after a verdict");
		else if (r->counter) /* it counts every packet, the rules per element only theirs */
			unsupported(r, st, "a counter before a verdict map", NULL);
		else if (r->limit || r->log) /* one bucket (one record) for all, not per element */
			unsupported(r, st, "a limit or log before a verdict map", NULL);
		else
			vmap(r, sl_json_get(st, "vmap"));
		return;
	}
	v = verdict(r, st, &isv);
	if (isv) {
		if (v && (r->verdict || r->vm_n))
			rerror(r, st, "a second verdict");
		else
			r->verdict = v;
		return;
	}
	if (st->type == SL_JSON_OBJECT && st->n == 1) {
		for (size_t i = 0; i < N(stmt_missing); i++)
			if (!strcmp(st->k[0], stmt_missing[i].nft)) {
				char what[64];

				snprintf(what, sizeof(what), "the statement '%s'", st->k[0]);
				unsupported(r, st, what, stmt_missing[i].sluice);
				return;
			}
	}
	unsupported(r, st, "this statement", NULL);
}

static void json_str(struct sl_buf *b, const char *s)
{
	sl_buf_puts(b, "\"");
	for (const char *p = s; *p; p++)
		if (*p == '"' || *p == '\\')
			sl_buf_printf(b, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			sl_buf_printf(b, "\\u%04x", (unsigned char)*p);
		else
			sl_buf_printf(b, "%c", *p);
	sl_buf_puts(b, "\"");
}

/* An expression list as compact JSON, for the comment of a rule not imported. */
static void json_compact(struct sl_buf *b, const json *j)
{
	switch (j ? j->type : SL_JSON_NULL) {
	case SL_JSON_NULL:
		sl_buf_puts(b, "null");
		break;
	case SL_JSON_BOOL:
		sl_buf_puts(b, j->b ? "true" : "false");
		break;
	case SL_JSON_NUMBER:
		sl_buf_puts(b, j->s);
		break;
	case SL_JSON_STRING:
		json_str(b, j->s);
		break;
	case SL_JSON_ARRAY:
	case SL_JSON_OBJECT:
		sl_buf_puts(b, j->type == SL_JSON_ARRAY ? "[" : "{");
		for (size_t i = 0; i < j->n; i++) {
			if (i)
				sl_buf_puts(b, ", ");
			if (j->type == SL_JSON_OBJECT) {
				json_str(b, j->k[i]);
				sl_buf_puts(b, ": ");
			}
			json_compact(b, j->v[i]);
		}
		sl_buf_puts(b, j->type == SL_JSON_ARRAY ? "]" : "}");
		break;
	}
}

static void rule(struct nft *n, const json *j)
{
	const char *table = member_str(j, "table"), *chain = member_str(j, "chain");
	const json *expr = sl_json_get(j, "expr");
	const char *comment = member_str(j, "comment");
	struct nft_chain *c = NULL;
	struct nrule r = {.nft = n};
	struct sl_buf *saved = n->im->out;

	for (size_t i = 0; table && chain && i < n->nchains; i++)
		if (!strcmp(n->chains[i].table, table) && !strcmp(n->chains[i].name, chain))
			c = &n->chains[i];
	if (!c || !expr || expr->type != SL_JSON_ARRAY) {
		sl_error(n->im->diag, jloc(n, j), "a rule of an unknown chain, or without expr");
		return;
	}
	if (!c->j) /* the chain itself was not imported (reported there) */
		return;
	r.chain = c;
	r.v4only = !strcmp(c->family, "ip");
	for (size_t i = 0; i < expr->n && !r.failed && !r.skip; i++)
		statement(&r, expr->v[i]);
	n->im->out = &c->body;
	if (comment)
		imp_comment(n->im, "    ", comment);
	if (r.skip) {
		imp_comment(n->im, "    ", "unsupported nft rule (see the warning):");
		int64_t handle = -1;

		struct sl_buf text = {0};

		sl_json_int(sl_json_get(j, "handle"), &handle);
		json_compact(&text, expr);
		sl_buf_printf(&c->body, "    #   rule handle %lld of %s %s: ", (long long)handle,
			      table, chain);
		imp_comment_text(&c->body, text.s);
		sl_buf_puts(&c->body, "\n");
		sl_buf_fini(&text);
	} else if (!r.failed && r.vm_n) {
		for (size_t i = 0; i < r.vm_n; i++)
			sl_buf_printf(&c->body, "   %s %s %s%s%s%s %s\n", r.m.s ? r.m.s : "",
				      r.vm_field.s, r.vm_keys[i], r.limit ? r.limit : "",
				      r.counter ? " counter" : "", r.log ? r.log : "",
				      r.vm_verdicts[i]);
	} else if (!r.failed && (r.verdict || r.counter || r.log)) {
		sl_buf_printf(&c->body, "   %s%s%s%s%s%s\n", r.m.s ? r.m.s : "",
			      r.limit ? r.limit : "", r.counter ? " counter" : "",
			      r.log ? r.log : "", r.verdict ? " " : "", r.verdict ? r.verdict : "");
	} else if (!r.failed) {
		sl_buf_puts(&c->body,
			    "    # a rule without counter or verdict (it does nothing)\n");
	}
	n->im->out = saved;
	if (!r.failed && !r.skip) {
		if (r.ct && !c->ct_at)
			c->ct_at = j;
		for (size_t i = 0; i < r.ncalls; i++) {
			if (sl_grow((void **)&c->calls, &c->callcap, c->ncalls + 1,
				    sizeof(*c->calls)))
				abort();
			c->calls[c->ncalls++] = r.calls[i];
		}
	}
	free(r.calls);
	for (size_t i = 0; i < r.vm_n; i++) {
		free(r.vm_keys[i]);
		free(r.vm_verdicts[i]);
	}
	free(r.vm_keys);
	free(r.vm_verdicts);
	sl_buf_fini(&r.vm_field);
	sl_buf_fini(&r.m);
	free(r.verdict);
	free(r.limit);
	free(r.log);
}

/* ---- tables, chains, sets ---- */

static const struct nft_table *find_table(const struct nft *n, const char *family, const char *name)
{
	for (size_t i = 0; i < n->ntables; i++)
		if (!strcmp(n->tables[i].family, family) && !strcmp(n->tables[i].name, name))
			return &n->tables[i];
	return NULL;
}

static void table(struct nft *n, const json *j)
{
	const char *family = member_str(j, "family"), *name = member_str(j, "name");

	if (!family || !name) {
		sl_error(n->im->diag, jloc(n, j), "a table needs family and name");
		return;
	}
	if (strcmp(family, "ip") && strcmp(family, "ip6") && strcmp(family, "inet")) {
		char what[96];

		snprintf(what, sizeof(what),
			 "a table of family '%s' (sluice imports ip, ip6, inet)", family);
		if (imp_unsupported(n->im, jloc(n, j), what, NULL))
			sl_buf_printf(&n->notes, "# skipped: table %s %s\n", family, name);
		return;
	}
	if (sl_grow((void **)&n->tables, &n->tcap, n->ntables + 1, sizeof(*n->tables)))
		abort();
	n->tables[n->ntables++] = (struct nft_table){strdup(family), strdup(name)};
}

static void chain(struct nft *n, const json *j)
{
	const char *family = member_str(j, "family"), *tname = member_str(j, "table");
	const char *name = member_str(j, "name"), *hook = member_str(j, "hook");
	const char *type = member_str(j, "type"), *policy = member_str(j, "policy");
	struct nft_chain *c;
	bool importable = true;

	if (!family || !tname || !name) {
		sl_error(n->im->diag, jloc(n, j), "a chain needs family, table and name");
		return;
	}
	if (!find_table(n, family, tname))
		importable = false; /* its table was refused */
	else if (hook && type && strcmp(type, "filter")) {
		char what[96];

		snprintf(what, sizeof(what), "a base chain of type '%s'", type);
		if (imp_unsupported(n->im, jloc(n, sl_json_get(j, "type")), what, NULL))
			sl_buf_printf(&n->notes, "# skipped: chain %s %s %s (type %s)\n", family,
				      tname, name, type);
		importable = false;
	} else if (hook && policy && strcmp(policy, "accept") && strcmp(policy, "drop")) {
		sl_error(n->im->diag, jloc(n, sl_json_get(j, "policy")), "policy '%s'", policy);
		return;
	}
	if (sl_grow((void **)&n->chains, &n->ccap, n->nchains + 1, sizeof(*n->chains)))
		abort();
	c = &n->chains[n->nchains++];
	*c = (struct nft_chain){.j = importable ? j : NULL,
				.table = strdup(tname),
				.family = strdup(family),
				.name = strdup(name),
				.hook = hook ? strdup(hook) : NULL,
				.policy = strdup(policy ? policy : "accept"),
				.base = hook != NULL};
	if (c->base) {
		struct sl_buf b = {0};

		sl_buf_printf(&b, "%s_%s", tname, name);
		/* `table ip filter` and `table ip6 filter` both have an input chain */
		for (size_t i = 0; i + 1 < n->nchains; i++)
			if (n->chains[i].base && !strcmp(n->chains[i].table, tname) &&
			    !strcmp(n->chains[i].name, name)) {
				b.len = 0;
				sl_buf_printf(&b, "%s_%s_%s", family, tname, name);
				break;
			}
		for (char *p = b.s; *p; p++)
			if (!isalnum((unsigned char)*p))
				*p = '_';
		c->sname = imp_name(isalpha((unsigned char)b.s[0]) ? NULL : "t_", b.s);
		sl_buf_fini(&b);
	} else {
		c->sname = imp_name(NULL, name);
	}
	sl_buf_puts(&c->body, "");
}

/* A set element's value: `{"elem": {"val": V, ...}}` (with timeouts) or V itself; the
 * element when it has no "val" (scalar then says what was expected there). */
static const json *elem_value(const json *e)
{
	const json *inner = sl_json_get(e, "elem"), *val = inner ? sl_json_get(inner, "val") : e;

	return val ? val : inner;
}

/* A set's elements as a constant value, when the set cannot change by itself. */
/*
 * A set with flags dynamic or timeout changes while the ruleset runs: a sluice
 * named set (updated by sluice-load set ...). Its type must be one sluice's sets
 * have; elements keep their values, not their own timeouts (the set's applies).
 */
static void named_set(struct nft *n, struct nft_set *s, const json *j, const struct field *f)
{
	const json *flags = sl_json_get(j, "flags"), *elem = sl_json_get(j, "elem");
	const char *type = member_str(j, "type");
	int64_t size = 65535, timeout = 0;
	bool interval = false, tflag = false;
	struct nrule r = {.nft = n};
	struct nft_chain dummy = {.table = s->table};
	struct sl_buf b = {0};

	if (!f || !type ||
	    (f->kind != V_ADDR4 && f->kind != V_ADDR6 && f->kind != V_NUM && f->kind != V_PROTO))
		return;
	for (size_t i = 0; flags && flags->type == SL_JSON_ARRAY && i < flags->n; i++) {
		interval |= str(flags->v[i]) && !strcmp(flags->v[i]->s, "interval");
		tflag |= str(flags->v[i]) && !strcmp(flags->v[i]->s, "timeout");
	}
	if ((sl_json_get(j, "size") &&
	     (!sl_json_int(sl_json_get(j, "size"), &size) || size < 1 || size > 0xffffffffLL)) ||
	    (sl_json_get(j, "timeout") &&
	     (!sl_json_int(sl_json_get(j, "timeout"), &timeout) || timeout < 0)))
		return;
	r.chain = &dummy;
	sl_buf_printf(&b, "set %s {\n    type %s\n", s->sname, type);
	if (interval || tflag || timeout)
		sl_buf_printf(&b, "    flags %s%s%s\n", interval ? "interval" : "",
			      interval && (tflag || timeout) ? ", " : "",
			      tflag || timeout ? "timeout" : "");
	if (timeout)
		sl_buf_printf(&b, "    timeout %llds\n", (long long)timeout);
	sl_buf_printf(&b, "    size %lld%s\n", (long long)size,
		      sl_json_get(j, "size") ? "" : "                 # nft's default");
	if (elem && elem->type == SL_JSON_ARRAY && elem->n) {
		sl_buf_puts(&b, "    elements = { ");
		for (size_t i = 0; i < elem->n && !r.failed; i++) {
			const json *v = elem_value(elem->v[i]);

			if (i)
				sl_buf_puts(&b, ", ");
			if (!interval && v && v->type == SL_JSON_OBJECT &&
			    (sl_json_get(v, "prefix") || sl_json_get(v, "range")))
				rerror(&r, v,
				       "a prefix or range in set '%s', which has no flags interval",
				       s->name);
			else
				scalar(&r, f, v, &b);
		}
		sl_buf_puts(&b, " }\n");
	}
	sl_buf_puts(&b, "}\n");
	s->bad = r.failed;
	if (r.failed)
		sl_buf_fini(&b);
	else
		s->named = b.s;
}

static void set(struct nft *n, const json *j)
{
	const char *tname = member_str(j, "table"), *name = member_str(j, "name");
	const char *type = member_str(j, "type");
	const json *flags = sl_json_get(j, "flags"), *elem = sl_json_get(j, "elem");
	struct nft_set *s;
	bool constant = !sl_json_get(j, "timeout");
	static const struct field ftypes[] = {
	    {"ipv4_addr", V_ADDR4, 0},	    {"ipv6_addr", V_ADDR6, 0},
	    {"inet_service", V_NUM, 65535}, {"inet_proto", V_PROTO, 255},
	    {"icmp_type", V_ICMP, 255},	    {"icmpv6_type", V_ICMPV6, 255},
	};
	const struct field *f = NULL;

	if (!tname || !name) {
		sl_error(n->im->diag, jloc(n, j), "a set needs table and name");
		return;
	}
	for (size_t i = 0; flags && flags->type == SL_JSON_ARRAY && i < flags->n; i++)
		if (str(flags->v[i]) &&
		    (!strcmp(flags->v[i]->s, "dynamic") || !strcmp(flags->v[i]->s, "timeout")))
			constant = false;
	for (size_t i = 0; type && i < N(ftypes); i++)
		if (!strcmp(type, ftypes[i].text))
			f = &ftypes[i];
	if (sl_grow((void **)&n->sets, &n->scap, n->nsets + 1, sizeof(*n->sets)))
		abort();
	s = &n->sets[n->nsets++];
	*s = (struct nft_set){.table = strdup(tname), .name = strdup(name)};
	s->sname = imp_name(NULL, name);
	if (!constant) {
		named_set(n, s, j, f);
		return; /* without a sluice form: refused where a rule uses it */
	}
	if (!f)
		return;
	{
		struct nrule r = {.nft = n};
		struct nft_chain dummy = {.table = (char *)tname};
		struct sl_buf b = {0};

		r.chain = &dummy;
		if (elem && elem->type == SL_JSON_ARRAY && elem->n) {
			sl_buf_puts(&b, "{ ");
			for (size_t i = 0; i < elem->n && !r.failed; i++) {
				const json *e = elem->v[i];

				if (i)
					sl_buf_puts(&b, ", ");
				scalar(&r, f, elem_value(e), &b);
			}
			sl_buf_puts(&b, " }");
			s->bad = r.failed;
			if (r.failed)
				sl_buf_fini(&b);
			else
				s->value = b.s;
		} else {
			s->value = strdup("{}");
			s->empty = true;
		}
	}
}

static const char *default_hook(const char *hook)
{
	return !strcmp(hook, "output") || !strcmp(hook, "postrouting") ? "tc egress" : "tc ingress";
}

static void unique(char **names[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(*names[i], *names[j])) {
				char *old = *names[i];

				*names[i] = imp_name("c_", old);
				free(old);
				j = (size_t)-1;
			}
}

/* Tables and chains share one namespace, constants another: before rules name them. */
static void unique_names(struct nft *n)
{
	char ***names = calloc(n->nchains + n->nsets + 1, sizeof(*names));

	if (!names)
		abort();
	for (size_t i = 0; i < n->nchains; i++)
		names[i] = &n->chains[i].sname;
	unique(names, n->nchains);
	for (size_t i = 0; i < n->nsets; i++)
		names[i] = &n->sets[i].sname;
	unique(names, n->nsets);
	free(names);
}

/* The first rule testing ct state in chain i or a chain it reaches, or NULL. */
static const json *reaches_ct(const struct nft *n, size_t i, bool *seen)
{
	const struct nft_chain *c = &n->chains[i];

	if (seen[i])
		return NULL;
	seen[i] = true;
	if (c->ct_at)
		return c->ct_at;
	for (size_t k = 0; k < c->ncalls; k++) {
		const json *at = reaches_ct(n, c->calls[k], seen);

		if (at)
			return at;
	}
	return NULL;
}

/* A sluice policy has one flow table, tested by one table (one imported base chain). */
static void check_ct_tables(struct nft *n)
{
	const struct nft_chain *first = NULL;

	for (size_t i = 0; i < n->nchains; i++) {
		const struct nft_chain *c = &n->chains[i];
		char key[256];
		const json *at;
		bool *seen;

		if (!c->base || !c->j)
			continue;
		snprintf(key, sizeof(key), "%s/%s", c->table, c->name);
		if (!strcmp(imp_hook(n->im, key, c->hook, default_hook(c->hook)), "none"))
			continue;
		seen = calloc(n->nchains, sizeof(*seen));
		if (!seen)
			abort();
		at = reaches_ct(n, i, seen);
		free(seen);
		if (!at)
			continue;
		if (!first) {
			first = c;
			continue;
		}
		sl_error(n->im->diag, jloc(n, at),
			 "ct state in base chains %s %s and %s %s: a sluice policy has one flow "
			 "table, tested by one table",
			 first->table, first->name, c->table, c->name);
		sl_hint(n->im->diag, jloc(n, at),
			"import each of them alone: --hook %s/%s=none, then --hook %s/%s=none",
			c->table, c->name, first->table, first->name);
		return;
	}
}

static void write_policy(struct nft *n)
{
	struct sl_buf *out = n->im->out;

	for (size_t h = 0; h < n->im->o->nhooks; h++) {
		bool used = false;

		for (size_t i = 0; i < n->nchains; i++) {
			struct nft_chain *c = &n->chains[i];
			char key[256];

			snprintf(key, sizeof(key), "%s/%s", c->table, c->name);
			used |= c->base && c->j &&
				(!strcasecmp(n->im->o->hooks[h].chain, key) ||
				 !strcasecmp(n->im->o->hooks[h].chain, c->hook));
		}
		if (!used)
			sl_diag_plain(n->im->diag, SL_SEV_WARNING,
				      "--hook %s: no imported base chain has that hook or name",
				      n->im->o->hooks[h].chain);
	}
	sl_buf_printf(out,
		      "# Imported by `sluice import nft` from %s (nft -j list ruleset).\n"
		      "# Each base chain is a table on a hook (--hook HOOK=... or TABLE/CHAIN=..., "
		      "or =none):\n",
		      n->im->o->name);
	for (size_t i = 0; i < n->nchains; i++) {
		struct nft_chain *c = &n->chains[i];
		char key[256];

		if (!c->base || !c->j)
			continue;
		snprintf(key, sizeof(key), "%s/%s", c->table, c->name);
		sl_buf_printf(out, "#   %s %s %s (hook %s) -> %s\n", c->family, c->table, c->name,
			      c->hook, imp_hook(n->im, key, c->hook, default_hook(c->hook)));
	}
	sl_buf_puts(out,
		    "# An nft table of family ip, ip6 or inet sees only its families' packets:\n"
		    "# each table accepts the others first. Named sets are constants (elements\n"
		    "# added at run time are not seen), those with flags dynamic or timeout named\n"
		    "# sets (sluice-load set add/del/load change them).\n");
	sl_buf_puts(out, n->notes.s ? n->notes.s : "");
	{
		bool any = false;

		for (size_t i = 0; i < n->nsets; i++)
			if (n->sets[i].value && !n->sets[i].empty) {
				sl_buf_printf(out, "\nconst %s = %s", n->sets[i].sname,
					      n->sets[i].value);
				any = true;
			}
		if (any)
			sl_buf_puts(out, "\n");
		for (size_t i = 0; i < n->nsets; i++)
			if (n->sets[i].named)
				sl_buf_printf(out, "\n%s", n->sets[i].named);
	}
	for (size_t i = 0; i < n->nchains; i++) {
		struct nft_chain *c = &n->chains[i];
		char key[256];
		const char *hook;

		if (!c->base || !c->j)
			continue;
		snprintf(key, sizeof(key), "%s/%s", c->table, c->name);
		hook = imp_hook(n->im, key, c->hook, default_hook(c->hook));
		if (!strcmp(hook, "none"))
			continue;
		sl_buf_puts(out, "\n");
		if (member_str(c->j, "comment"))
			imp_comment(n->im, "", member_str(c->j, "comment"));
		sl_buf_printf(out,
			      "table %s {\n    hook %s\n    policy %s\n\n    meta protocol != %s "
			      "accept\n%s}\n",
			      c->sname, hook, c->policy,
			      !strcmp(c->family, "inet") ? "{ ip, ip6 }" : c->family, c->body.s);
	}
	for (size_t i = 0; i < n->nchains; i++) {
		struct nft_chain *c = &n->chains[i];

		if (c->base || !c->j)
			continue;
		sl_buf_puts(out, "\n");
		if (member_str(c->j, "comment"))
			imp_comment(n->im, "", member_str(c->j, "comment"));
		sl_buf_printf(out, "chain %s {\n%s}\n", c->sname, c->body.s);
	}
}

int sl_import_nft(const char *text, size_t len, uint32_t file, const struct sl_import_opts *o,
		  struct sl_diag *diag, struct sl_buf *out)
{
	struct imp im = {.o = o, .diag = diag, .file = file, .out = out};
	struct nft n = {.im = &im};
	struct sl_json *root = NULL;
	const json *list;
	char err[160];
	uint32_t line, col;

	if (sl_json_parse(text, len, &root, &line, &col, err, sizeof(err))) {
		sl_error(diag, imp_loc(&im, line, col, 1), "%s", err);
		return -EINVAL;
	}
	list = sl_json_get(root, "nftables");
	if (!list || list->type != SL_JSON_ARRAY) {
		sl_error(diag, jloc(&n, root),
			 "not nft JSON: expected {\"nftables\": [...]} (nft -j list ruleset)");
		sl_json_free(root);
		return -EINVAL;
	}
	/* tables, sets and chains first: rules refer to them, whatever the order */
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2)
			unique_names(&n);
		for (size_t i = 0; i < list->n; i++) {
			const json *it = list->v[i];
			const char *kind = it->type == SL_JSON_OBJECT && it->n == 1 ? it->k[0] : "";

			if (pass == 0 && !strcmp(kind, "table"))
				table(&n, it->v[0]);
			else if (pass == 1 && !strcmp(kind, "set"))
				set(&n, it->v[0]);
			else if (pass == 1 && !strcmp(kind, "chain"))
				chain(&n, it->v[0]);
			else if (pass == 2 && !strcmp(kind, "rule"))
				rule(&n, it->v[0]);
			else if (pass == 0 && strcmp(kind, "metainfo") && strcmp(kind, "table") &&
				 strcmp(kind, "set") && strcmp(kind, "chain") &&
				 strcmp(kind, "rule")) {
				char what[96];

				snprintf(what, sizeof(what), "the nft object '%s'",
					 *kind ? kind : "(not an object of one member)");
				if (imp_unsupported(&im, jloc(&n, it), what, NULL))
					sl_buf_printf(&n.notes, "# skipped: an nft object '%s'\n",
						      kind);
			}
		}
	}
	if (!diag->nerrors)
		check_ct_tables(&n);
	if (!diag->nerrors)
		write_policy(&n);
	for (size_t i = 0; i < n.ntables; i++) {
		free(n.tables[i].family);
		free(n.tables[i].name);
	}
	for (size_t i = 0; i < n.nchains; i++) {
		struct nft_chain *c = &n.chains[i];

		free(c->table);
		free(c->family);
		free(c->name);
		free(c->sname);
		free(c->hook);
		free(c->policy);
		free(c->calls);
		sl_buf_fini(&c->body);
	}
	for (size_t i = 0; i < n.nsets; i++) {
		free(n.sets[i].table);
		free(n.sets[i].name);
		free(n.sets[i].sname);
		free(n.sets[i].value);
		free(n.sets[i].named);
	}
	free(n.tables);
	free(n.chains);
	free(n.sets);
	sl_buf_fini(&n.notes);
	sl_json_free(root);
	return diag->nerrors ? -EINVAL : 0;
}
