// SPDX-License-Identifier: GPL-2.0-only
/*
 * iptables-save / ip6tables-save -> sluice. The filter table's built-in
 * chains INPUT, FORWARD and OUTPUT become tables (one hook each, the chain's
 * policy), user chains become chains; -j CHAIN is `jump`, -g CHAIN `goto`,
 * RETURN `return`, which in sluice and in iptables alike ends a built-in
 * chain with its policy. A table sees every packet on its hook, iptables
 * only one family: each table starts by accepting the other families.
 *
 * Matches are a table of modules (`modules[]`): a module sluice has no
 * words for yet names the word it waits for; adding it is one function.
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/import_priv.h"

struct tok {
	char *s; /* unquoted */
	uint32_t col, len;
};

struct ipt;

struct ipt_rule {
	struct imp *im;
	struct ipt *ipt;
	const struct ipt_chain *chain;
	bool v6;
	uint32_t line;
	struct tok *t;
	size_t n, i; /* tokens and the cursor */
	const char *module;
	const char *proto; /* sluice protocol name or number, NULL for all */
	bool proto_neg, l4_implied;
	struct sl_buf m;      /* the matches, each " field value" */
	struct sl_buf alt[2]; /* one match of which must hold (--ports), or empty */
	char *verdict;	      /* "accept", "jump X", ... or NULL: a counter-only rule */
	char *comment;
	char *lim_rate, *lim_burst; /* -m limit's --limit (N/UNIT), --limit-burst, or NULL */
	char *log;		    /* " log ..." (-j LOG: the rule goes on) or NULL */
	bool ct, limited; /* tests ct state; a -m limit was read (later matches: refused) */
	size_t callee;	  /* the chain jumped to, + 1 (0: none) */
	bool skip;	  /* an unsupported construct: written commented out */
	bool failed;
};

struct ipt_chain {
	char *name, *sname, *policy;
	bool builtin;
	bool ct;	  /* a rule tests ct state */
	uint32_t ct_line; /* the first such rule */
	size_t *calls;	  /* chains it jumps or goes to (indexes) */
	size_t ncalls, callcap;
	uint32_t line;
	struct sl_buf body;
};

struct ipt {
	struct imp *im;
	struct sl_buf notes; /* tables skipped, after the header */
	bool v6;
	struct ipt_chain *chains;
	size_t nchains, cap;
	char **sets; /* -m set names, as written */
	size_t nsets, setcap;
	bool ct_warned;
};

/* ---- tokens ---- */

static void toks_free(struct tok *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].s);
	free(t);
}

/* Split one line into words; "..." quotes with \" and \\ as iptables-save writes them. */
static int tokenize(const char *line, size_t len, struct tok **out, size_t *nout)
{
	struct tok *t = NULL;
	size_t n = 0, cap = 0, i = 0;

	while (i < len) {
		struct sl_buf w = {0};
		size_t start;

		while (i < len && isspace((unsigned char)line[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		sl_buf_puts(&w, "");
		while (i < len && !isspace((unsigned char)line[i])) {
			if (line[i] == '"') {
				i++;
				while (i < len && line[i] != '"') {
					if (line[i] == '\\' && i + 1 < len)
						i++;
					sl_buf_printf(&w, "%c", line[i++]);
				}
				if (i >= len) {
					sl_buf_fini(&w);
					toks_free(t, n);
					*out = NULL;
					*nout = start + 1;
					return -EINVAL;
				}
				i++;
			} else {
				sl_buf_printf(&w, "%c", line[i++]);
			}
		}
		if (sl_grow((void **)&t, &cap, n + 1, sizeof(*t)))
			abort();
		t[n++] = (struct tok){w.s, (uint32_t)start + 1, (uint32_t)(i - start)};
	}
	*out = t;
	*nout = n;
	return 0;
}

static struct sl_loc tok_loc(const struct ipt_rule *r, const struct tok *t)
{
	return imp_loc(r->im, r->line, t->col, t->len);
}

static void __attribute__((format(printf, 3, 4)))
rule_error(struct ipt_rule *r, const struct tok *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_error(r->im->diag, tok_loc(r, t), "%s", msg);
	r->failed = true;
}

/* The argument of option t (the next word), or NULL after an error. */
static const struct tok *arg(struct ipt_rule *r, const struct tok *t)
{
	if (r->i >= r->n || (r->t[r->i].s[0] == '-' && r->t[r->i].s[1])) {
		rule_error(r, t, "'%s' needs a value", t->s);
		return NULL;
	}
	return &r->t[r->i++];
}

static void unsupported(struct ipt_rule *r, const struct tok *t, const char *what, const char *word)
{
	if (r->skip)
		return; /* one warning per rule */
	if (imp_unsupported(r->im, tok_loc(r, t), what, word))
		r->skip = true;
	else
		r->failed = true;
}

/* ---- values ---- */

static bool all_of(const char *s, const char *chars)
{
	return *s && strspn(s, chars) == strlen(s);
}

/* "22", "1024:65535", ":1023", "1024:" -> sluice "22", "1024-65535". */
static char *port(struct ipt_rule *r, const struct tok *t, const char *s, size_t n)
{
	char lo[8] = "", hi[8] = "";
	const char *colon = memchr(s, ':', n);
	struct sl_buf b = {0};
	size_t nlo = colon ? (size_t)(colon - s) : n;
	size_t nhi = colon ? n - nlo - 1 : 0;

	if (nlo > 5 || nhi > 5)
		goto bad;
	memcpy(lo, s, nlo);
	if (colon)
		memcpy(hi, colon + 1, nhi);
	if ((nlo && !all_of(lo, "0123456789")) || (nhi && !all_of(hi, "0123456789")) ||
	    (!nlo && !colon) || atoi(lo) > 65535 || atoi(hi) > 65535)
		goto bad;
	if (colon && nlo && nhi && atoi(lo) > atoi(hi)) {
		rule_error(r, t, "'%s' is an empty port range (%s > %s)", t->s, lo, hi);
		return NULL;
	}
	if (!colon)
		sl_buf_printf(&b, "%d", atoi(lo));
	else
		sl_buf_printf(&b, "%d-%d", nlo ? atoi(lo) : 0, nhi ? atoi(hi) : 65535);
	return b.s;
bad:
	rule_error(r, t, "'%s' is not a port or port range (N, N:M)", t->s);
	return NULL;
}

/* A comma list of ports and ranges, "{ a, b-c }" or one element alone. */
static char *port_list(struct ipt_rule *r, const struct tok *t)
{
	struct sl_buf b = {0};
	const char *p = t->s;
	size_t count = 0;

	sl_buf_puts(&b, "{ ");
	for (;;) {
		size_t n = strcspn(p, ",");
		char *one = port(r, t, p, n);

		if (!one) {
			sl_buf_fini(&b);
			return NULL;
		}
		sl_buf_printf(&b, "%s%s", count++ ? ", " : "", one);
		free(one);
		if (!p[n])
			break;
		p += n + 1;
	}
	sl_buf_puts(&b, " }");
	if (count == 1) {
		char *one = strndup(b.s + 2, b.len - 4);

		sl_buf_fini(&b);
		return one;
	}
	return b.s;
}

/* "10.0.0.0/8" (iptables-save writes /32 for hosts, a dotted mask only when not a prefix). */
static char *address(struct ipt_rule *r, const struct tok *t)
{
	struct sl_buf b = {0};
	const char *p = t->s;
	size_t count = 0;

	for (;;) {
		size_t n = strcspn(p, ",");
		char *one = strndup(p, n), *slash = strchr(one, '/');

		bool mask = slash && strchr(slash + 1, '.');

		if (mask || !imp_addr_ok(one, r->v6)) {
			if (mask)
				rule_error(r, t,
					   "'%s': a mask that is not a prefix has no sluice form",
					   t->s);
			else
				rule_error(r, t, "'%s' is not an %s address (or prefix)", t->s,
					   r->v6 ? "IPv6" : "IPv4");
			free(one);
			sl_buf_fini(&b);
			return NULL;
		}
		if (slash && atoi(slash + 1) == (r->v6 ? 128 : 32))
			*slash = '\0';
		sl_buf_printf(&b, "%s%s", count++ ? ", " : "", one);
		free(one);
		if (!p[n])
			break;
		p += n + 1;
	}
	if (count > 1) {
		struct sl_buf set = {0};

		sl_buf_printf(&set, "{ %s }", b.s);
		sl_buf_fini(&b);
		return set.s;
	}
	return b.s;
}

static void add_match(struct ipt_rule *r, const char *field, bool neg, const char *value)
{
	sl_buf_printf(&r->m, " %s %s%s", field, neg ? "!= " : "", value);
}

/* ---- the protocol (-p) ---- */

static const struct {
	const char *ipt, *sluice;
} protocols[] = {
    {"tcp", "tcp"},	  {"udp", "udp"},      {"icmp", "icmp"},       {"ipv6-icmp", "icmpv6"},
    {"icmpv6", "icmpv6"}, {"icmp6", "icmpv6"}, {"esp", "esp"},	       {"ah", "ah"},
    {"gre", "gre"},	  {"sctp", "sctp"},    {"udplite", "udplite"}, {"igmp", "igmp"},
    {"dccp", "dccp"},	  {"ipip", "ipip"},    {"ipv6", "ipv6"},       {"ospf", "ospf"},
    {"vrrp", "vrrp"},	  {"pim", "pim"},      {"l2tp", "l2tp"},
};

static void opt_proto(struct ipt_rule *r, const struct tok *t, bool neg)
{
	const struct tok *v = arg(r, t);
	char lower[32];
	size_t i;

	if (!v)
		return;
	for (i = 0; v->s[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)v->s[i]);
	lower[i] = '\0';
	if (!strcmp(lower, "all") || !strcmp(lower, "0")) {
		if (neg)
			rule_error(r, v, "'! -p %s' matches nothing", v->s);
		return;
	}
	r->proto_neg = neg;
	if (all_of(lower, "0123456789") && atoi(lower) < 256) {
		static const struct {
			int num;
			const char *name;
		} known[] = {{6, "tcp"}, {17, "udp"}, {1, "icmp"}, {58, "icmpv6"}};

		r->proto = NULL;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (known[k].num == atoi(lower))
				r->proto = known[k].name;
		if (!r->proto)
			r->proto = v->s; /* the tokens outlive the rule */
		return;
	}
	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (!strcmp(lower, protocols[i].ipt)) {
			r->proto = protocols[i].sluice;
			return;
		}
	rule_error(r, v, "unknown protocol '%s'", v->s);
}

/* ---- match modules ---- */

static const char *l4(struct ipt_rule *r)
{
	if (!strcmp(r->module, "tcp") || !strcmp(r->module, "udp"))
		return r->module;
	if (r->proto && !r->proto_neg && (!strcmp(r->proto, "tcp") || !strcmp(r->proto, "udp")))
		return r->proto;
	return NULL;
}

static void ports(struct ipt_rule *r, const struct tok *t, bool neg, const char *member, bool list)
{
	const char *proto = l4(r);
	const struct tok *v = arg(r, t);
	char field[16], *value;

	if (!v)
		return;
	if (!proto) {
		unsupported(r, t, "ports of a protocol other than tcp or udp", NULL);
		return;
	}
	value = list ? port_list(r, v) : port(r, v, v->s, strlen(v->s));
	if (!value)
		return;
	snprintf(field, sizeof(field), "%s %s", proto, member);
	add_match(r, field, neg, value);
	free(value);
	r->l4_implied = true; /* a port match, even !=, holds only on its protocol */
}

static const struct {
	const char *name;
	const char *sluice;
	unsigned bits;
} tcp_flag_names[] = {{"FIN", "fin", 0x01},
		      {"SYN", "syn", 0x02},
		      {"RST", "rst", 0x04},
		      {"PSH", "psh", 0x08},
		      {"ACK", "ack", 0x10},
		      {"URG", "urg", 0x20},
		      {"ALL", "fin|syn|rst|psh|ack|urg", 0x3f},
		      {"NONE", "0", 0}};

/* "FIN,SYN,RST,ACK" -> "fin|syn|rst|ack"; NULL after an error. */
static char *tcp_flags(struct ipt_rule *r, const struct tok *t)
{
	struct sl_buf b = {0};
	const char *p = t->s;

	for (;;) {
		size_t n = strcspn(p, ","), k;

		for (k = 0; k < sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0]); k++)
			if (strlen(tcp_flag_names[k].name) == n &&
			    !strncasecmp(p, tcp_flag_names[k].name, n))
				break;
		if (k == sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0])) {
			rule_error(r, t, "'%s' is not a list of TCP flags", t->s);
			sl_buf_fini(&b);
			return NULL;
		}
		sl_buf_printf(&b, "%s%s", b.len ? "|" : "", tcp_flag_names[k].sluice);
		if (!p[n])
			break;
		p += n + 1;
	}
	return b.s;
}

static void flags_match(struct ipt_rule *r, bool neg, const char *mask, const char *comp)
{
	sl_buf_printf(&r->m, " tcp flags & %s%s%s %s %s", strchr(mask, '|') ? "(" : "", mask,
		      strchr(mask, '|') ? ")" : "", neg ? "!=" : "==", comp);
	r->l4_implied = true;
}

static void mod_tcp_udp(struct ipt_rule *r, const struct tok *t, bool neg)
{
	bool tcp = !strcmp(r->module, "tcp");

	if (!strcmp(t->s, "--dport") || !strcmp(t->s, "--destination-port"))
		ports(r, t, neg, "dport", false);
	else if (!strcmp(t->s, "--sport") || !strcmp(t->s, "--source-port"))
		ports(r, t, neg, "sport", false);
	else if (tcp && !strcmp(t->s, "--syn"))
		flags_match(r, neg, "fin|syn|rst|ack", "syn");
	else if (tcp && !strcmp(t->s, "--tcp-flags")) {
		const struct tok *m = arg(r, t), *c = m ? arg(r, t) : NULL;
		char *mask = m ? tcp_flags(r, m) : NULL, *comp = c ? tcp_flags(r, c) : NULL;

		if (mask && comp)
			flags_match(r, neg, mask, comp);
		free(mask);
		free(comp);
	} else
		unsupported(r, t, t->s, NULL);
}

static void mod_multiport(struct ipt_rule *r, const struct tok *t, bool neg)
{
	if (!strcmp(t->s, "--dports") || !strcmp(t->s, "--destination-ports"))
		ports(r, t, neg, "dport", true);
	else if (!strcmp(t->s, "--sports") || !strcmp(t->s, "--source-ports"))
		ports(r, t, neg, "sport", true);
	else if (!strcmp(t->s, "--ports")) {
		/* either port in the list: two rules; `! --ports`: neither, one rule */
		size_t before = r->m.len;
		char *sp, *dp;

		ports(r, t, neg, "sport", true);
		if (r->failed || r->skip)
			return;
		sp = strdup(r->m.s + before);
		dp = strdup(sp);
		memcpy(strstr(dp, "sport"), "dport", 5);
		if (neg) {
			sl_buf_puts(&r->m, dp);
		} else if (r->alt[0].len) {
			unsupported(r, t, "a second '--ports'", NULL);
		} else {
			sl_buf_puts(&r->alt[0], sp);
			sl_buf_puts(&r->alt[1], dp);
			r->m.len = before;
			r->m.s[before] = '\0';
		}
		free(sp);
		free(dp);
	} else
		unsupported(r, t, t->s, NULL);
}

/* --icmp-type N[/C] | any, as iptables-save writes it (numbers), or a type name. */
static void mod_icmp(struct ipt_rule *r, const struct tok *t, bool neg)
{
	bool v6 = !strcmp(r->module, "icmp6");
	const char *word = v6 ? "icmpv6" : "icmp";
	const struct tok *v;
	char *slash;

	if (strcmp(t->s, v6 ? "--icmpv6-type" : "--icmp-type")) {
		unsupported(r, t, t->s, NULL);
		return;
	}
	v = arg(r, t);
	if (!v)
		return;
	if (!strcmp(v->s, "any")) { /* the protocol alone */
		if (neg)
			rule_error(r, v, "'! %s any' matches nothing", t->s);
		return;
	}
	slash = strchr(v->s, '/');
	if (slash)
		*slash = '\0';
	if (!all_of(v->s, "0123456789") || atoi(v->s) > 255 ||
	    (slash && (!all_of(slash + 1, "0123456789") || atoi(slash + 1) > 255))) {
		if (slash)
			*slash = '/';
		rule_error(r, v, "'%s' is not an ICMP type as iptables-save writes it (N or N/C)",
			   v->s);
		return;
	}
	if (slash && neg) {
		*slash = '/';
		unsupported(r, t, "a negated ICMP type with a code", NULL);
		return;
	}
	sl_buf_printf(&r->m, " %s type %s%s", word, neg ? "!= " : "", v->s);
	if (slash)
		sl_buf_printf(&r->m, " %s code %s", word, slash + 1);
	r->l4_implied = true;
}

static void mod_iprange(struct ipt_rule *r, const struct tok *t, bool neg)
{
	bool src = !strcmp(t->s, "--src-range");
	const struct tok *v;
	char *dash, *lo;
	bool ok;

	if (!src && strcmp(t->s, "--dst-range")) {
		unsupported(r, t, t->s, NULL);
		return;
	}
	v = arg(r, t);
	if (!v)
		return;
	/* two addresses (no prefixes) in order, as sluice's scanner reads them */
	dash = strchr(v->s, '-');
	lo = dash ? strndup(v->s, (size_t)(dash - v->s)) : NULL;
	ok = lo && !strchr(v->s, '/') && imp_addr_ok(lo, r->v6) && imp_addr_ok(dash + 1, r->v6);
	if (ok && imp_range_empty(lo, dash + 1))
		rule_error(r, v, "'%s' is an empty address range (A > B)", v->s);
	else if (!ok)
		rule_error(r, v, "'%s' is not an %s address range (A-B)", v->s,
			   r->v6 ? "IPv6" : "IPv4");
	free(lo);
	if (r->failed)
		return;
	add_match(r, src ? (r->v6 ? "ip6 saddr" : "ip saddr") : (r->v6 ? "ip6 daddr" : "ip daddr"),
		  neg, v->s);
}

static void mod_comment(struct ipt_rule *r, const struct tok *t, bool neg)
{
	const struct tok *v;

	if (strcmp(t->s, "--comment")) {
		unsupported(r, t, t->s, NULL);
		return;
	}
	v = arg(r, t);
	if (!v)
		return;
	free(r->comment);
	r->comment = strdup(v->s);
}

/* Skip the values of an option nobody interprets (up to the next option or `!`). */
static void skip_values(struct ipt_rule *r)
{
	while (r->i < r->n && r->t[r->i].s[0] != '-' && strcmp(r->t[r->i].s, "!"))
		r->i++;
}

/*
 * -m conntrack --ctstate / -m state --state -> ct state. sluice's own flow table
 * agrees with conntrack's NEW, ESTABLISHED, RELATED and INVALID on the traffic the
 * table and its companion see (import/README.md); UNTRACKED (NOTRACK in the raw
 * table, which is not imported), SNAT and DNAT do not translate.
 */
static void mod_conntrack(struct ipt_rule *r, const struct tok *t, bool neg)
{
	static const struct {
		const char *ipt, *sluice;
	} states[] = {{"NEW", "new"},
		      {"ESTABLISHED", "established"},
		      {"RELATED", "related"},
		      {"INVALID", "invalid"}};
	const struct tok *v;
	struct sl_buf b = {0};
	bool new_or_invalid = false;
	char *list, *save = NULL;

	if (strcmp(t->s, !strcmp(r->module, "state") ? "--state" : "--ctstate")) {
		unsupported(r, t, t->s, NULL);
		skip_values(r);
		return;
	}
	v = arg(r, t);
	if (!v)
		return;
	list = strdup(v->s);
	for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (!strcmp(s, states[i].ipt))
				break;
		if (i == sizeof(states) / sizeof(states[0])) {
			char what[96];

			snprintf(what, sizeof(what),
				 "connection state '%s' (sluice's untracked is not conntrack's)",
				 s);
			unsupported(r, v, what, NULL);
			break;
		}
		new_or_invalid |= i == 0 || i == 3;
		sl_buf_printf(&b, "%s%s", b.len ? "," : "", states[i].sluice);
	}
	free(list);
	if (!r->skip && !r->failed && !b.len)
		rule_error(r, v, "'%s' needs a list of states (NEW,ESTABLISHED,...)", t->s);
	if (!r->skip && !r->failed) {
		sl_buf_printf(&r->m, " ct state %s%s", neg ? "!= " : "", b.s);
		r->ct = true;
		if (new_or_invalid && !r->ipt->ct_warned) {
			r->ipt->ct_warned = true;
			sl_warning(r->im->diag, tok_loc(r, v),
				   "conntrack picks up TCP connections it did not see open as NEW "
				   "(nf_conntrack_tcp_loose); sluice's flow table calls them "
				   "invalid, and ICMP types other than echo and errors untracked "
				   "(import/README.md)");
		}
	}
	sl_buf_fini(&b);
}

/* -m limit --limit N/UNIT --limit-burst B -> limit rate N/UNIT burst B packets. */
static void mod_limit(struct ipt_rule *r, const struct tok *t, bool neg)
{
	static const struct {
		const char *ipt, *sluice;
	} units[] = {{"s", "second"}, {"sec", "second"}, {"second", "second"},
		     {"m", "minute"}, {"min", "minute"}, {"minute", "minute"},
		     {"h", "hour"},   {"hour", "hour"},	 {"d", "day"},
		     {"day", "day"}};
	const struct tok *v;
	struct sl_buf b = {0};

	if (neg) {
		rule_error(r, t, "'! %s': iptables' limit cannot be negated", t->s);
		return;
	}
	if (!strcmp(t->s, "--limit")) {
		char *slash;
		const char *unit = "second";

		if (!(v = arg(r, t)))
			return;
		slash = strchr(v->s, '/');
		if (slash) {
			unit = NULL;
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (!strcmp(slash + 1, units[i].ipt))
					unit = units[i].sluice;
			*slash = '\0';
		}
		if (!unit || !all_of(v->s, "0123456789") || strlen(v->s) > 9 || !atoi(v->s)) {
			if (slash)
				*slash = '/';
			rule_error(r, v, "'%s' is not a rate as iptables-save writes it (N/sec)",
				   v->s);
			return;
		}
		sl_buf_printf(&b, "%s/%s", v->s, unit);
		free(r->lim_rate);
		r->lim_rate = b.s;
	} else if (!strcmp(t->s, "--limit-burst")) {
		if (!(v = arg(r, t)))
			return;
		if (!all_of(v->s, "0123456789") || strlen(v->s) > 9 || !atoi(v->s)) {
			rule_error(r, v, "'%s' is not a burst (a number of packets)", v->s);
			return;
		}
		free(r->lim_burst);
		r->lim_burst = strdup(v->s);
	} else {
		unsupported(r, t, t->s, NULL);
		skip_values(r);
	}
}

/* -m set --match-set NAME src|dst -> ADDR @NAME (an address set; its type is not saved). */
static void mod_set(struct ipt_rule *r, const struct tok *t, bool neg)
{
	const struct tok *name, *dir;
	struct ipt *ipt = r->ipt;
	char *sname;
	size_t i;

	if (strcmp(t->s, "--match-set")) {
		unsupported(r, t, t->s, NULL);
		skip_values(r);
		return;
	}
	if (!(name = arg(r, t)) || !(dir = arg(r, t)))
		return;
	if (strcmp(dir->s, "src") && strcmp(dir->s, "dst")) {
		unsupported(r, dir,
			    "a set of several dimensions (hash:ip,port, hash:net,iface, ...; "
			    "its type is not in iptables-save)",
			    NULL);
		return;
	}
	for (i = 0; i < ipt->nsets && strcmp(ipt->sets[i], name->s); i++)
		;
	if (i == ipt->nsets) {
		if (sl_grow((void **)&ipt->sets, &ipt->setcap, ipt->nsets + 1, sizeof(char *)))
			abort();
		ipt->sets[ipt->nsets++] = strdup(name->s);
	}
	sname = imp_name(NULL, name->s);
	add_match(r,
		  !strcmp(dir->s, "src") ? (r->v6 ? "ip6 saddr" : "ip saddr")
					 : (r->v6 ? "ip6 daddr" : "ip daddr"),
		  neg, "");
	sl_buf_printf(&r->m, "@%s", sname);
	free(sname);
}

/* -j LOG's options: --log-prefix, --log-level; the rest shape the kernel log's line. */
static void tgt_log(struct ipt_rule *r, const struct tok *t, bool neg)
{
	static const char *const levels[] = {"emerg", "alert",	"crit", "err",
					     "warn",  "notice", "info", "debug"};
	const struct tok *v;

	(void)neg;
	if (!strcmp(t->s, "--log-prefix")) {
		if (!(v = arg(r, t)))
			return;
		if (!imp_log_prefix_ok(v->s)) {
			unsupported(
			    r, v,
			    "a log prefix with '\"', '\\', a control byte or over 63 characters",
			    NULL);
			return;
		}
		{
			struct sl_buf b = {0};

			sl_buf_printf(&b, "%s prefix \"%s\"", r->log, v->s);
			free(r->log);
			r->log = b.s;
		}
	} else if (!strcmp(t->s, "--log-level")) {
		struct sl_buf b = {0};
		const char *lv = NULL;

		if (!(v = arg(r, t)))
			return;
		if (all_of(v->s, "01234567") && strlen(v->s) == 1)
			lv = levels[v->s[0] - '0'];
		for (size_t i = 0; i < 8; i++)
			if (!strcmp(v->s, levels[i]) || (i == 4 && !strcmp(v->s, "warning")) ||
			    (i == 3 && !strcmp(v->s, "error")))
				lv = levels[i];
		if (!lv) {
			rule_error(r, v, "'%s' is not a log level", v->s);
			return;
		}
		sl_buf_printf(&b, "%s level %s", r->log, lv);
		free(r->log);
		r->log = b.s;
	} else if (!strcmp(t->s, "--log-tcp-sequence") || !strcmp(t->s, "--log-tcp-options") ||
		   !strcmp(t->s, "--log-ip-options") || !strcmp(t->s, "--log-uid") ||
		   !strcmp(t->s, "--log-macdecode")) {
		/* what the kernel's log line shows; a sluice record holds the packet */
	} else {
		unsupported(r, t, t->s, NULL);
		skip_values(r);
	}
}

/*
 * The match modules. `run` NULL: sluice has no words for it yet; `word` is what
 * its translation waits for (a rule using it is refused, or skipped).
 */
static const struct ipt_module {
	const char *name;
	void (*run)(struct ipt_rule *r, const struct tok *opt, bool neg);
	const char *word;
} modules[] = {
    {"tcp", mod_tcp_udp, NULL},
    {"udp", mod_tcp_udp, NULL},
    {"multiport", mod_multiport, NULL},
    {"icmp", mod_icmp, NULL},
    {"icmp6", mod_icmp, NULL},
    {"iprange", mod_iprange, NULL},
    {"comment", mod_comment, NULL},
    {"conntrack", mod_conntrack, NULL},
    {"state", mod_conntrack, NULL},
    {"limit", mod_limit, NULL},
    {"set", mod_set, NULL},
    {"hashlimit", NULL, "limit rate (per-key meters)"},
    {"LOG", tgt_log, NULL}, /* the target's options (never -m LOG) */
    {"mark", NULL, "meta mark"},
    {"connmark", NULL, "ct mark"},
};

static const struct ipt_module *module(const char *name)
{
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (!strcmp(modules[i].name, name))
			return &modules[i];
	return NULL;
}

/* ---- targets ---- */

static const struct {
	const char *name, *word; /* word: what sluice still lacks, NULL: no equivalent */
} targets_missing[] = {{"NFLOG", "log group"}, {"REJECT", "reject"}};

/* Targets of iptables' extensions (not chains): refused by name. */
static bool netfilter_target(const char *name)
{
	static const char *const known[] = {
	    "MASQUERADE",  "SNAT",   "DNAT",   "REDIRECT", "NETMAP",	"MARK",	       "CONNMARK",
	    "NOTRACK",	   "CT",     "TCPMSS", "NFQUEUE",  "QUEUE",	"TEE",	       "TRACE",
	    "CLASSIFY",	   "DSCP",   "TOS",    "SET",	   "AUDIT",	"CHECKSUM",    "SECMARK",
	    "CONNSECMARK", "TPROXY", "ULOG",   "HMARK",	   "IDLETIMER", "LED",	       "RATEEST",
	    "SYNPROXY",	   "TTL",    "HL",     "ECN",	   "CLUSTERIP", "TCPOPTSTRIP",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

static void target(struct ipt_rule *r, const struct tok *t, bool go, const struct ipt *ipt)
{
	const struct tok *v = arg(r, t);

	if (!v)
		return;
	if (r->verdict || r->log) {
		rule_error(r, t, "a second target ('%s')", t->s);
		return;
	}
	if (!go && !strcmp(v->s, "ACCEPT"))
		r->verdict = strdup("accept");
	else if (!go && !strcmp(v->s, "DROP"))
		r->verdict = strdup("drop");
	else if (!go && !strcmp(v->s, "RETURN"))
		r->verdict = strdup("return");
	else if (!go && !strcmp(v->s, "LOG")) {
		r->log = strdup(" log"); /* a non-terminal target: the rule goes on */
		r->module = "LOG";
	} else {
		for (size_t i = 0; i < ipt->nchains; i++) {
			if (!strcmp(ipt->chains[i].name, v->s) && !ipt->chains[i].builtin) {
				struct sl_buf b = {0};

				sl_buf_printf(&b, "%s %s", go ? "goto" : "jump",
					      ipt->chains[i].sname);
				r->verdict = b.s;
				r->callee = i + 1;
				return;
			}
		}
		if (go) {
			rule_error(r, v, "goto to '%s', which is not a user chain of this table",
				   v->s);
			return;
		}
		for (size_t i = 0; i < sizeof(targets_missing) / sizeof(targets_missing[0]); i++)
			if (!strcmp(v->s, targets_missing[i].name)) {
				char what[64];

				snprintf(what, sizeof(what), "target %s", v->s);
				unsupported(r, v, what, targets_missing[i].word);
				r->i = r->n;
				return;
			}
		if (netfilter_target(v->s)) {
			char what[64];

			snprintf(what, sizeof(what), "target %s", v->s);
			unsupported(r, v, what, NULL);
			r->i = r->n;
			return;
		}
		rule_error(r, v, "no chain '%s' in this table", v->s);
	}
}

/* ---- interfaces ---- */

static const char *default_hook(const char *chain);

/* Whether every table the rule's chain can run in sees the interface: the built-in chain's
 * hook, or for a user chain the hooks of all imported built-in chains (any may jump to it). */
static bool rule_sees_if(const struct ipt_rule *r, bool out, const char **hook, const char **chain)
{
	const struct ipt *ipt = r->ipt;

	for (size_t i = 0; i < ipt->nchains; i++) {
		const struct ipt_chain *c = &ipt->chains[i];

		if (!c->builtin || (r->chain->builtin && c != r->chain))
			continue;
		*hook = imp_hook(ipt->im, c->name, NULL, default_hook(c->name));
		*chain = c->name;
		if (strcmp(*hook, "none") && !imp_hook_sees_if(*hook, out))
			return false;
	}
	return true;
}

/* -i NAME, -o NAME: meta iifname "NAME", meta oifname "NAME". */
static void opt_iface(struct ipt_rule *r, const struct tok *t, const struct tok *v, bool out,
		      bool neg)
{
	const char *hook = NULL, *chain = NULL;
	char what[200], *q;
	size_t n = strlen(v->s);

	if (n && v->s[n - 1] == '+') {
		snprintf(what, sizeof(what), "an interface wildcard ('%s %s': sluice has none)",
			 t->s, v->s);
		unsupported(r, v, what, NULL);
		return;
	}
	if (!imp_ifname_ok(v->s)) {
		rule_error(r, v, "'%s' is not an interface name sluice accepts", v->s);
		return;
	}
	if (!rule_sees_if(r, out, &hook, &chain)) {
		snprintf(what, sizeof(what),
			 "'%s' in %s%s%s's table on hook %s (it sees no %s interface; "
			 "--hook %s=HOOK for one that does)",
			 t->s, r->chain->builtin ? "" : "a user chain, which ",
			 r->chain->builtin ? "" : "may run in ", chain, hook,
			 out ? "output" : "input", chain);
		unsupported(r, t, what, NULL);
		return;
	}
	if (asprintf(&q, "\"%s\"", v->s) < 0) {
		rule_error(r, v, "out of memory");
		return;
	}
	add_match(r, out ? "meta oifname" : "meta iifname", neg, q);
	free(q);
}

/* ---- one rule ---- */

static void parse_rule(struct ipt_rule *r, const struct ipt *ipt)
{
	bool neg = false;

	r->i = 2; /* -A CHAIN */
	r->module = "";
	while (r->i < r->n && !r->failed) {
		const struct tok *t = &r->t[r->i++];
		const char *s = t->s;

		if (!strcmp(s, "!")) {
			neg = true;
			continue;
		}
		if (!strcmp(s, "-p") || !strcmp(s, "--protocol")) {
			opt_proto(r, t, neg);
		} else if (!strcmp(s, "-s") || !strcmp(s, "--source") || !strcmp(s, "-d") ||
			   !strcmp(s, "--destination")) {
			const struct tok *v = arg(r, t);
			char *a = v ? address(r, v) : NULL;
			bool src = s[1] == 's' || s[2] == 's';

			if (a)
				add_match(r,
					  src ? (r->v6 ? "ip6 saddr" : "ip saddr")
					      : (r->v6 ? "ip6 daddr" : "ip daddr"),
					  neg, a);
			free(a);
		} else if (!strcmp(s, "-i") || !strcmp(s, "--in-interface") || !strcmp(s, "-o") ||
			   !strcmp(s, "--out-interface")) {
			const struct tok *v = arg(r, t);

			if (v)
				opt_iface(r, t, v, s[1] == 'o' || s[2] == 'o', neg);
		} else if (!strcmp(s, "-f") || !strcmp(s, "--fragment")) {
			if (r->v6)
				rule_error(r, t, "'%s' is IPv4 only", s);
			else
				add_match(r, "ip frag", neg, "later");
		} else if (!strcmp(s, "-m") || !strcmp(s, "--match")) {
			const struct tok *v = arg(r, t);
			const struct ipt_module *mod = v ? module(v->s) : NULL;

			if (!v)
				break;
			r->module = v->s;
			if (mod && mod->run == tgt_log)
				mod = NULL;
			if (r->limited && strcmp(v->s, "comment")) {
				/* iptables takes a token before a later match can fail */
				unsupported(r, v,
					    "a match after '-m limit' (a token is taken for "
					    "packets the later match rejects; sluice's limit "
					    "counts matching packets)",
					    NULL);
			} else if (!strcmp(v->s, "limit")) {
				r->limited = true;
			} else if (!mod) {
				char what[80];

				snprintf(what, sizeof(what), "match '-m %s'", v->s);
				unsupported(r, v, what, NULL);
			} else if (!mod->run) {
				char what[80];

				snprintf(what, sizeof(what), "match '-m %s'", v->s);
				unsupported(r, v, what, mod->word);
			}
		} else if (!strcmp(s, "-j") || !strcmp(s, "--jump")) {
			target(r, t, false, ipt);
		} else if (!strcmp(s, "-g") || !strcmp(s, "--goto")) {
			target(r, t, true, ipt);
		} else if (!strcmp(s, "-c") || !strcmp(s, "--set-counters")) {
			r->i = sl_min(r->i + 2, r->n);
		} else if (!strncmp(s, "--", 2)) {
			const struct ipt_module *mod = module(r->module);
			const char *implicit = !r->module[0] ? l4(r) : NULL;

			if (implicit) {
				r->module = implicit; /* -p tcp --dport 22 without -m tcp */
				mod = module(implicit);
			}
			if (mod && mod->run)
				mod->run(r, t, neg);
			else if (!mod && !r->module[0])
				rule_error(r, t, "option '%s' outside a match module", s);
			else
				skip_values(r); /* the module was reported */
		} else {
			rule_error(r, t, "unexpected '%s'", s);
		}
		neg = false;
	}
}

/* The rule's sluice text into the chain's body. */
static void write_rule(struct ipt_rule *r, struct ipt_chain *c, const char *line, size_t len)
{
	struct imp *im = r->im;
	struct sl_buf m = {0};
	struct sl_buf act = {0};
	const char *v;

	if (r->comment)
		imp_comment(im, "    ", r->comment);
	if (r->skip) {
		struct sl_buf orig = {0};

		sl_buf_printf(&orig, "unsupported: %.*s", (int)len, line);
		imp_comment(im, "    ", orig.s);
		sl_buf_fini(&orig);
		return;
	}
	if (r->proto && (r->proto_neg || !r->l4_implied))
		sl_buf_printf(&m, " %s %s%s", r->v6 ? "meta l4proto" : "ip protocol",
			      r->proto_neg ? "!= " : "", r->proto);
	sl_buf_puts(&m, r->m.s ? r->m.s : "");
	/* iptables' defaults: 3/hour, a burst of 5 (sluice's default burst too) */
	if (r->limited)
		sl_buf_printf(&act, "limit rate %s burst %s packets",
			      r->lim_rate ? r->lim_rate : "3/hour",
			      r->lim_burst ? r->lim_burst : "5");
	if (r->log)
		sl_buf_printf(&act, "%s", r->log + !act.len);
	if (r->verdict)
		sl_buf_printf(&act, "%s%s", act.len ? " " : "", r->verdict);
	else if (!r->log)
		sl_buf_printf(&act, "%scounter", act.len ? " " : "");
	v = act.s;
	for (int a = 0; a < (r->alt[0].len ? 2 : 1); a++)
		sl_buf_printf(&c->body, "   %s%s %s\n", m.s ? m.s : "",
			      r->alt[0].len ? r->alt[a].s : "", v);
	sl_buf_fini(&m);
	sl_buf_fini(&act);
}

static struct ipt_chain *find_chain(struct ipt *ipt, const char *name)
{
	for (size_t i = 0; i < ipt->nchains; i++)
		if (!strcmp(ipt->chains[i].name, name))
			return &ipt->chains[i];
	return NULL;
}

static void rule_line(struct ipt *ipt, uint32_t lineno, const char *line, size_t len, struct tok *t,
		      size_t n)
{
	struct imp *im = ipt->im;
	struct ipt_rule r = {.im = im, .ipt = ipt, .v6 = ipt->v6, .line = lineno, .t = t, .n = n};
	struct ipt_chain *c;
	struct sl_buf *saved = im->out;

	if (n < 2) {
		sl_error(im->diag, imp_loc(im, lineno, t[0].col, t[0].len), "'-A' needs a chain");
		return;
	}
	c = find_chain(ipt, t[1].s);
	if (!c) {
		sl_error(im->diag, imp_loc(im, lineno, t[1].col, t[1].len),
			 "chain '%s' is not declared (':%s - [0:0]') in this table", t[1].s,
			 t[1].s);
		return;
	}
	r.chain = c;
	parse_rule(&r, ipt);
	if (!r.failed && r.alt[0].len && r.verdict && !strncmp(r.verdict, "jump", 4)) {
		r.skip = imp_unsupported(im, imp_loc(im, lineno, t[0].col, (uint32_t)len),
					 "'--ports' (source or destination) with a jump", NULL);
		r.failed = !r.skip;
	}
	if (!r.failed && r.alt[0].len && !r.verdict) {
		r.skip =
		    imp_unsupported(im, imp_loc(im, lineno, t[0].col, (uint32_t)len),
				    "'--ports' (source or destination) without a target", NULL);
		r.failed = !r.skip;
	}
	if (!r.failed) {
		im->out = &c->body;
		write_rule(&r, c, line, len);
		im->out = saved;
	}
	if (!r.failed && !r.skip) {
		if (r.ct && !c->ct) {
			c->ct = true;
			c->ct_line = lineno;
		}
		if (r.callee) {
			if (sl_grow((void **)&c->calls, &c->callcap, c->ncalls + 1,
				    sizeof(*c->calls)))
				abort();
			c->calls[c->ncalls++] = r.callee - 1;
		}
	}
	free(r.lim_rate);
	free(r.lim_burst);
	free(r.log);
	sl_buf_fini(&r.m);
	sl_buf_fini(&r.alt[0]);
	sl_buf_fini(&r.alt[1]);
	free(r.verdict);
	free(r.comment);
}

static void chain_line(struct ipt *ipt, uint32_t lineno, struct tok *t, size_t n)
{
	struct imp *im = ipt->im;
	const char *name = t[0].s + 1;
	struct ipt_chain *c;
	bool builtin =
	    !strcmp(name, "INPUT") || !strcmp(name, "FORWARD") || !strcmp(name, "OUTPUT");

	if (!*name || n < 2) {
		sl_error(im->diag, imp_loc(im, lineno, 1, t[0].len), "malformed chain line");
		return;
	}
	if (find_chain(ipt, name)) {
		sl_error(im->diag, imp_loc(im, lineno, 1, t[0].len), "chain '%s' declared twice",
			 name);
		return;
	}
	if (builtin && strcmp(t[1].s, "ACCEPT") && strcmp(t[1].s, "DROP")) {
		sl_error(im->diag, imp_loc(im, lineno, t[1].col, t[1].len),
			 "policy '%s' of a built-in chain: sluice has accept and drop", t[1].s);
		return;
	}
	if (sl_grow((void **)&ipt->chains, &ipt->cap, ipt->nchains + 1, sizeof(*ipt->chains)))
		abort();
	c = &ipt->chains[ipt->nchains++];
	*c = (struct ipt_chain){.name = strdup(name), .builtin = builtin, .line = lineno};
	if (builtin) {
		char lower[16];

		for (size_t i = 0; i <= strlen(name); i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		c->sname = imp_name(NULL, lower);
		c->policy = strdup(!strcmp(t[1].s, "ACCEPT") ? "accept" : "drop");
	} else {
		c->sname = imp_name(NULL, name);
	}
	/* tables and chains share one namespace; rules name chains as they are read */
	for (size_t i = 0; i + 1 < ipt->nchains; i++) {
		bool table_name =
		    !builtin && (!strcmp(c->sname, "input") || !strcmp(c->sname, "forward") ||
				 !strcmp(c->sname, "output"));

		if (table_name || !strcmp(ipt->chains[i].sname, c->sname)) {
			char *old = c->sname;

			c->sname = imp_name("c_", old);
			free(old);
			i = (size_t)-1;
		}
	}
	sl_buf_puts(&c->body, "");
}

static const char *default_hook(const char *chain)
{
	return !strcmp(chain, "OUTPUT") ? "tc egress" : "tc ingress";
}

/* Does chain i, or a chain it reaches, test ct state? (The first such chain, or NULL.) */
static const struct ipt_chain *reaches_ct(const struct ipt *ipt, size_t i, bool *seen)
{
	const struct ipt_chain *c = &ipt->chains[i];

	if (seen[i])
		return NULL;
	seen[i] = true;
	if (c->ct)
		return c;
	for (size_t k = 0; k < c->ncalls; k++) {
		const struct ipt_chain *f = reaches_ct(ipt, c->calls[k], seen);

		if (f)
			return f;
	}
	return NULL;
}

/*
 * sluice keeps one flow table per policy, tested by one table (its companion
 * tracks the other direction): conntrack in two imported chains cannot be one
 * policy. Each can be imported on its own (--hook CHAIN=none for the others).
 */
static void check_ct_tables(struct ipt *ipt)
{
	const struct ipt_chain *first = NULL;

	for (size_t i = 0; i < ipt->nchains; i++) {
		const struct ipt_chain *c = &ipt->chains[i], *f;
		bool *seen;

		if (!c->builtin ||
		    !strcmp(imp_hook(ipt->im, c->name, NULL, default_hook(c->name)), "none"))
			continue;
		seen = calloc(ipt->nchains, sizeof(*seen));
		if (!seen)
			abort();
		f = reaches_ct(ipt, i, seen);
		free(seen);
		if (!f)
			continue;
		if (!first) {
			first = c;
			continue;
		}
		sl_error(ipt->im->diag, imp_loc(ipt->im, f->ct_line, 1, 2),
			 "connection state in chains %s and %s: a sluice policy has one flow "
			 "table, tested by one table",
			 first->name, c->name);
		sl_hint(ipt->im->diag, imp_loc(ipt->im, f->ct_line, 1, 2),
			"import each of them alone: --hook %s=none, then --hook %s=none", c->name,
			first->name);
		return;
	}
}

static void write_sets(struct ipt *ipt)
{
	for (size_t i = 0; i < ipt->nsets; i++) {
		char *sname = imp_name(NULL, ipt->sets[i]);

		sl_buf_printf(ipt->im->out,
			      "\n# ipset '%s': its contents are not in %s-save; load them with\n"
			      "#   sluice-load set load ... %s FILE   (one element a line)\n"
			      "# An address set (hash:ip, hash:net) is assumed: a set of ports or\n"
			      "# MAC addresses will not load into it.\n"
			      "set %s {\n    type %s\n    flags interval\n    size 65536"
			      "                     # ipset's default maxelem\n}\n",
			      ipt->sets[i], ipt->v6 ? "ip6tables" : "iptables", sname, sname,
			      ipt->v6 ? "ipv6_addr" : "ipv4_addr");
		free(sname);
	}
}

static void write_policy(struct ipt *ipt)
{
	struct imp *im = ipt->im;
	struct sl_buf *out = im->out;
	const char *fam = ipt->v6 ? "ip6" : "ip";

	sl_buf_printf(out,
		      "# Imported by `sluice import iptables` from %s (%s-save, filter table).\n"
		      "# Each built-in chain is a table on a hook (--hook CHAIN=HOOK, or =none):\n",
		      im->o->name, ipt->v6 ? "ip6tables" : "iptables");
	for (size_t i = 0; i < ipt->nchains; i++)
		if (ipt->chains[i].builtin)
			sl_buf_printf(out, "#   %s -> %s\n", ipt->chains[i].name,
				      imp_hook(im, ipt->chains[i].name, NULL,
					       default_hook(ipt->chains[i].name)));
	sl_buf_printf(out,
		      "# (tc ingress sees every arriving packet, the host's and the forwarded;\n"
		      "# attach each table where its chain's traffic passes.) %s sees only\n"
		      "# %s packets: each table accepts the others first (they are not its to "
		      "judge).\n",
		      ipt->v6 ? "ip6tables" : "iptables", ipt->v6 ? "IPv6" : "IPv4");
	sl_buf_puts(out, ipt->notes.s ? ipt->notes.s : "");
	for (size_t i = 0; i < ipt->nchains; i++)
		if (ipt->chains[i].ct) {
			sl_buf_puts(out,
				    "# ct state is sluice's own flow table (packet-semantics.md "
				    "section 10), kept\n# by the table and a companion on the "
				    "other direction of the same device:\n# it sees that device's "
				    "traffic only, not the host's other interfaces.\n");
			break;
		}
	write_sets(ipt);
	for (size_t i = 0; i < ipt->nchains; i++) {
		struct ipt_chain *c = &ipt->chains[i];
		const char *hook;

		if (!c->builtin)
			continue;
		hook = imp_hook(im, c->name, NULL, default_hook(c->name));
		if (!strcmp(hook, "none"))
			continue;
		sl_buf_printf(out,
			      "\ntable %s {\n    hook %s\n    policy %s\n\n"
			      "    meta protocol != %s accept\n%s}\n",
			      c->sname, hook, c->policy, fam, c->body.s);
	}
	for (size_t i = 0; i < ipt->nchains; i++) {
		struct ipt_chain *c = &ipt->chains[i];

		if (!c->builtin)
			sl_buf_printf(out, "\nchain %s {\n%s}\n", c->sname, c->body.s);
	}
}

/* Is this ip6tables-save output? Its header says so; else an IPv6 address does. */
static bool is_v6(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	size_t first = nl ? (size_t)(nl - text) : len;

	if (memmem(text, first, "ip6tables-save", 14))
		return true;
	if (memmem(text, first, "iptables-save", 13))
		return false;
	return memmem(text, len, "-m icmp6", 8) || memmem(text, len, "ipv6-icmp", 9);
}

int sl_import_iptables(const char *text, size_t len, uint32_t file, const struct sl_import_opts *o,
		       struct sl_diag *diag, struct sl_buf *out)
{
	struct imp im = {.o = o, .diag = diag, .file = file, .out = out};
	struct ipt ipt = {.im = &im, .v6 = is_v6(text, len)};
	const char *table = NULL;
	size_t tlen = 0, pos = 0;
	uint32_t lineno = 0, table_line = 0;
	bool seen_filter = false;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		struct tok *t = NULL;
		size_t nt = 0;
		bool filter = table && tlen == 6 && !memcmp(table, "filter", 6);

		pos += n + 1;
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (tokenize(line, n, &t, &nt)) {
			sl_error(diag, imp_loc(&im, lineno, (uint32_t)nt, 1), "unterminated quote");
			continue;
		}
		if (!nt || t[0].s[0] == '#') {
			toks_free(t, nt);
			continue;
		}
		if (t[0].s[0] == '*') {
			table = line + t[0].col;
			tlen = strlen(t[0].s) - 1;
			table_line = lineno;
			if (!strcmp(t[0].s, "*filter")) {
				if (seen_filter)
					sl_error(diag, imp_loc(&im, lineno, 1, t[0].len),
						 "a second filter table");
				seen_filter = true;
			} else {
				char what[64];

				snprintf(what, sizeof(what), "the %s table", t[0].s + 1);
				if (imp_unsupported(&im, imp_loc(&im, lineno, 1, t[0].len), what,
						    NULL))
					sl_buf_printf(&ipt.notes,
						      "# skipped: the %s table (%s:%u)\n",
						      t[0].s + 1, o->name, lineno);
			}
		} else if (!strcmp(t[0].s, "COMMIT")) {
			table = NULL;
		} else if (!table) {
			sl_error(diag, imp_loc(&im, lineno, 1, t[0].len),
				 "'%s' outside a table (*filter ... COMMIT)", t[0].s);
		} else if (!filter) {
			/* reported once at the table */
		} else if (t[0].s[0] == ':') {
			chain_line(&ipt, lineno, t, nt);
		} else if (!strcmp(t[0].s, "-A") || !strcmp(t[0].s, "--append")) {
			/* the first token may be a [packets:bytes] counter (iptables-save -c) */
			rule_line(&ipt, lineno, line, n, t, nt);
		} else if (t[0].s[0] == '[' && nt > 1 && !strcmp(t[1].s, "-A")) {
			rule_line(&ipt, lineno, line, n, t + 1, nt - 1);
		} else {
			sl_error(diag, imp_loc(&im, lineno, t[0].col, t[0].len),
				 "expected ':CHAIN', '-A CHAIN ...' or 'COMMIT', not '%s'", t[0].s);
		}
		toks_free(t, nt);
	}
	if (table)
		sl_error(diag, imp_loc(&im, table_line, 1, 1), "table without COMMIT");
	if (!seen_filter && !diag->nerrors)
		sl_diag_plain(diag, SL_SEV_ERROR, "%s: no *filter table", o->name);
	if (!diag->nerrors)
		check_ct_tables(&ipt);
	if (!diag->nerrors)
		write_policy(&ipt);
	for (size_t i = 0; i < ipt.nchains; i++) {
		free(ipt.chains[i].name);
		free(ipt.chains[i].sname);
		free(ipt.chains[i].policy);
		sl_buf_fini(&ipt.chains[i].body);
		free(ipt.chains[i].calls);
	}
	free(ipt.chains);
	for (size_t i = 0; i < ipt.nsets; i++)
		free(ipt.sets[i]);
	free(ipt.sets);
	sl_buf_fini(&ipt.notes);
	return diag->nerrors ? -EINVAL : 0;
}
