// SPDX-License-Identifier: GPL-2.0-only
/* Named-set elements as text: parse one element line, format one back (sluice/set_text.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sluice/set_text.h"

struct name_value {
	const char *name;
	uint32_t value;
};

/* The compiler's protocol names (compiler/parser/names.c), the first of a value preferred. */
static const struct name_value protocols[] = {
    {"hopopt", 0},     {"icmp", 1},	   {"igmp", 2},	      {"ipip", 4},	{"tcp", 6},
    {"egp", 8},	       {"udp", 17},	   {"dccp", 33},      {"ipv6", 41},	{"ipv6-route", 43},
    {"ipv6-frag", 44}, {"rsvp", 46},	   {"gre", 47},	      {"esp", 50},	{"ah", 51},
    {"icmpv6", 58},    {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"ospf", 89},	{"pim", 103},
    {"vrrp", 112},     {"l2tp", 115},	   {"sctp", 132},     {"udplite", 136},
};

/* A few well-known ports (as in /etc/services, which a target host may lack); listed as numbers. */
static const struct name_value services[] = {
    {"ftp", 21},    {"ssh", 22},    {"telnet", 23}, {"smtp", 25},   {"domain", 53},
    {"dns", 53},    {"http", 80},   {"pop3", 110},  {"ntp", 123},   {"imap", 143},
    {"snmp", 161},  {"ldap", 389},  {"https", 443}, {"smtps", 465}, {"submission", 587},
    {"imaps", 993}, {"pop3s", 995},
};

static const char *tname(uint32_t t)
{
	const char *n = sl_set_type_name(t);

	return n ? n : "?";
}

static int fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A token of the line, quoted for messages: printable ASCII only, at most 60 bytes. */
static const char *quote(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = s[i];

		if (i == 60) {
			o += snprintf(buf + o, len - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}

static int parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!n || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int by_name(const struct name_value *t, size_t n, const char *s, size_t len, uint32_t *v)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && !strncmp(t[i].name, s, len)) {
			*v = t[i].value;
			return 0;
		}
	return -EINVAL;
}

static int parse_mac(const char *s, size_t n, uint8_t *out)
{
	if (n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		unsigned int b = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[i * 3 + k];

			if (!isxdigit((unsigned char)c))
				return -EINVAL;
			b = b * 16 +
			    (isdigit((unsigned char)c) ? c - '0' : (tolower(c) - 'a' + 10));
		}
		if (i < 5 && s[i * 3 + 2] != ':')
			return -EINVAL;
		out[i] = b;
	}
	return 0;
}

/* One value (no prefix, no range) of type t into out (network order). */
static int parse_value(uint32_t t, const char *s, size_t n, uint8_t *out, char *why, size_t wl)
{
	char buf[64], q[80];
	uint64_t v;
	uint32_t nv;

	if (!n)
		return fail(why, wl, "a %s is missing", tname(t));
	if (n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
	} else {
		buf[0] = '\0';
	}
	quote(s, n, q, sizeof(q));
	switch (t) {
	case SLUICE_SET_T_IPV4_ADDR:
		if (buf[0] && inet_pton(AF_INET, buf, out) == 1)
			return 0;
		if (buf[0] && inet_pton(AF_INET6, buf, buf + 32) == 1)
			return fail(why, wl, "'%s' is an IPv6 address, but the set holds ipv4_addr",
				    q);
		return fail(why, wl, "'%s' is not an IPv4 address (e.g. 192.0.2.1)", q);
	case SLUICE_SET_T_IPV6_ADDR:
		if (buf[0] && inet_pton(AF_INET6, buf, out) == 1)
			return 0;
		if (buf[0] && inet_pton(AF_INET, buf, buf + 32) == 1)
			return fail(why, wl, "'%s' is an IPv4 address, but the set holds ipv6_addr",
				    q);
		return fail(why, wl, "'%s' is not an IPv6 address (e.g. 2001:db8::1)", q);
	case SLUICE_SET_T_ETHER_ADDR:
		if (!parse_mac(s, n, out))
			return 0;
		return fail(why, wl, "'%s' is not a MAC address (e.g. 02:00:5e:10:00:01)", q);
	case SLUICE_SET_T_INET_PROTO:
		if (!parse_uint(s, n, 255, &v) ||
		    !by_name(protocols, sizeof(protocols) / sizeof(protocols[0]), s, n, &nv)) {
			out[0] = isdigit((unsigned char)s[0]) ? (uint8_t)v : (uint8_t)nv;
			return 0;
		}
		return fail(why, wl, "'%s' is not a protocol (a name such as tcp, or 0-255)", q);
	case SLUICE_SET_T_INET_SERVICE:
		if (!parse_uint(s, n, 65535, &v) ||
		    !by_name(services, sizeof(services) / sizeof(services[0]), s, n, &nv)) {
			uint32_t p = isdigit((unsigned char)s[0]) ? (uint32_t)v : nv;

			out[0] = p >> 8;
			out[1] = p & 0xff;
			return 0;
		}
		return fail(why, wl, "'%s' is not a port (0-65535, or a name such as https)", q);
	}
	return fail(why, wl, "unknown element type %u", t);
}

static size_t put_value(uint32_t t, const uint8_t *v, char *buf, size_t len);

static int cmp_bytes(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	return memcmp(a, b, n);
}

/* lo..hi of the prefix base/plen; -EINVAL when base has bits set past plen. */
static int prefix_range(uint32_t size, const uint8_t *base, uint32_t plen, uint8_t *lo, uint8_t *hi)
{
	for (uint32_t i = 0; i < size; i++) {
		uint32_t keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;
		uint8_t mask = keep ? (uint8_t)(0xff << (8 - keep)) : 0;

		if (base[i] & ~mask)
			return -EINVAL;
		lo[i] = base[i];
		hi[i] = base[i] | (uint8_t)~mask;
	}
	return 0;
}

static int parse_field(const struct sl_set_desc *d, uint32_t t, const char *s, size_t n,
		       struct sl_set_field *f, char *why, size_t wl)
{
	uint32_t size = sl_set_type_size(t);
	const char *slash = memchr(s, '/', n);
	char q[80];
	int err;

	memset(f, 0, sizeof(*f));
	quote(s, n, q, sizeof(q));
	if (slash) {
		uint64_t plen;
		uint8_t base[16];

		if (t != SLUICE_SET_T_IPV4_ADDR && t != SLUICE_SET_T_IPV6_ADDR &&
		    t != SLUICE_SET_T_ETHER_ADDR)
			return fail(why, wl, "'%s': a %s has no prefixes (use a range a-b)", q,
				    tname(t));
		err = parse_value(t, s, slash - s, base, why, wl);
		if (err)
			return err;
		if (parse_uint(slash + 1, n - (slash + 1 - s), (sl_set_type_size(t) * 8), &plen))
			return fail(why, wl, "'%s': the prefix length must be 0-%u", q,
				    (sl_set_type_size(t) * 8));
		if (prefix_range(size, base, plen, f->lo, f->hi)) {
			char lo[64];

			for (uint32_t i = 0; i < size; i++) {
				uint32_t keep = plen >= (i + 1) * 8 ? 8
						: plen > i * 8	    ? plen - i * 8
								    : 0;

				base[i] &= keep ? (uint8_t)(0xff << (8 - keep)) : 0;
			}
			put_value(t, base, lo, sizeof(lo));
			return fail(
			    why, wl,
			    "'%s' has bits set past the prefix length (did you mean %s/%u?)", q, lo,
			    (uint32_t)plen);
		}
	} else {
		/* A range a-b; a protocol name may hold a dash itself (ipv6-route). */
		uint8_t tmp[16];
		const char *dash = NULL;

		err = parse_value(t, s, n, f->lo, why, wl);
		if (!err) {
			memcpy(f->hi, f->lo, size);
		} else {
			for (const char *p = s; p < s + n; p++) {
				if (*p != '-')
					continue;
				if (!parse_value(t, s, p - s, f->lo, NULL, 0) &&
				    !parse_value(t, p + 1, s + n - p - 1, f->hi, NULL, 0)) {
					dash = p;
					break;
				}
			}
			if (!dash) {
				const char *m = memchr(s, '-', n);

				/* Say what is wrong with the side that does not parse. */
				if (m && parse_value(t, s, m - s, tmp, why, wl))
					return -EINVAL;
				if (m)
					return parse_value(t, m + 1, s + n - m - 1, tmp, why, wl);
				return err;
			}
			if (cmp_bytes(f->lo, f->hi, size) > 0)
				return fail(why, wl,
					    "'%s': the range's first value is above its last", q);
		}
	}
	if (!(d->flags & SLUICE_SET_F_INTERVAL) && cmp_bytes(f->lo, f->hi, size))
		return fail(why, wl,
			    "'%s' is a %s, but the set has no `flags interval`: its elements are "
			    "single values",
			    q, slash ? "prefix" : "range");
	return 0;
}

int sl_set_text_duration(const char *s, size_t n, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ms", 1000000ull},
		     {"s", 1000000000ull},
		     {"m", 60000000000ull},
		     {"h", 3600000000000ull},
		     {"d", 86400000000000ull}};
	uint64_t total = 0;
	size_t i = 0;

	if (!n)
		return -EINVAL;
	while (i < n) {
		size_t d = i, u;
		uint64_t v, mul = 0;

		while (d < n && isdigit((unsigned char)s[d]))
			d++;
		if (parse_uint(s + i, d - i, UINT32_MAX, &v))
			return -EINVAL;
		u = d;
		while (u < n && isalpha((unsigned char)s[u]))
			u++;
		if (u == d) {
			if (i || u != n) /* a bare number is seconds, only alone */
				return -EINVAL;
			mul = 1000000000ull;
		}
		for (size_t k = 0; u > d && k < sizeof(units) / sizeof(units[0]); k++)
			if (strlen(units[k].unit) == u - d && !strncmp(units[k].unit, s + d, u - d))
				mul = units[k].ns;
		if (!mul || v > (UINT64_MAX - total) / mul)
			return -EINVAL;
		total += v * mul;
		i = u;
	}
	*ns = total;
	return 0;
}

struct tok {
	const char *s;
	size_t n;
};

static size_t tokenize(const char *line, size_t len, struct tok *t, size_t max, bool *more)
{
	size_t n = 0, i = 0;

	*more = false;
	while (i < len) {
		size_t b;

		while (i < len && isspace((unsigned char)line[i]))
			i++;
		if (i >= len || line[i] == '#')
			break;
		b = i;
		while (i < len && !isspace((unsigned char)line[i]) && line[i] != '#')
			i++;
		if (n == max) {
			*more = true;
			break;
		}
		t[n++] = (struct tok){line + b, i - b};
	}
	return n;
}

static void shape_text(const struct sl_set_desc *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < s->nfields && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? " . " : "", tname(s->types[i]));
}

int sl_set_text_parse(const struct sl_set_desc *s, const char *line, size_t len,
		      struct sl_set_elem *e, uint64_t *timeout_ns, char *why, size_t wl)
{
	struct tok t[2 * SLUICE_SET_MAX_FIELDS + 2];
	uint32_t nf = 0, wide = 0, wide_at = 0;
	uint64_t timeout = 0;
	size_t nt, i = 0;
	bool more;
	char shape[80], q[80];

	memset(e, 0, sizeof(*e));
	if (!s->nfields || s->nfields > SLUICE_SET_MAX_FIELDS)
		return fail(why, wl, "a set of %u fields", s->nfields);
	for (uint32_t k = 0; k < s->nfields; k++)
		if (!sl_set_type_size(s->types[k]))
			return fail(why, wl, "unknown element type %u", s->types[k]);
	shape_text(s, shape, sizeof(shape));
	nt = tokenize(line, len, t, sizeof(t) / sizeof(t[0]), &more);
	if (!nt)
		return 1;
	for (;;) {
		if (i >= nt || (t[i].n == 1 && t[i].s[0] == '.') ||
		    (t[i].n == 7 && !strncmp(t[i].s, "timeout", 7)))
			return fail(why, wl, "a value is missing: the set holds %s", shape);
		if (nf == s->nfields)
			return fail(why, wl, "too many values: the set holds %s", shape);
		if (parse_field(s, s->types[nf], t[i].s, t[i].n, &e->f[nf], why, wl))
			return -EINVAL;
		if (cmp_bytes(e->f[nf].lo, e->f[nf].hi, sl_set_type_size(s->types[nf]))) {
			wide++;
			wide_at = nf;
		}
		nf++;
		i++;
		if (i < nt && t[i].n == 1 && t[i].s[0] == '.') {
			i++;
			continue;
		}
		break;
	}
	if (nf < s->nfields)
		return fail(why, wl, "%u of %u values: the set holds %s (values joined by ' . ')",
			    nf, s->nfields, shape);
	if (wide > 1)
		return fail(why, wl,
			    "only one value of a concatenation may be a prefix or range (%u are)",
			    wide);
	if (wide && wide_at != s->range_field)
		return fail(why, wl,
			    "only the last value of a concatenation may be a prefix or range (here "
			    "value %u is)",
			    wide_at + 1);
	if (i < nt && t[i].n == 7 && !strncmp(t[i].s, "timeout", 7)) {
		if (i + 1 >= nt)
			return fail(why, wl, "`timeout` needs a duration, e.g. timeout 10m");
		if (sl_set_text_duration(t[i + 1].s, t[i + 1].n, &timeout) || !timeout)
			return fail(why, wl,
				    "'%s' is not a duration (e.g. 30s, 10m, 1h30m, 2d; not 0)",
				    quote(t[i + 1].s, t[i + 1].n, q, sizeof(q)));
		i += 2;
	}
	if (i < nt || more)
		return fail(why, wl, "unexpected '%s' after the element",
			    i < nt ? quote(t[i].s, t[i].n, q, sizeof(q)) : "...");
	*timeout_ns = timeout;
	return 0;
}

static size_t put_value(uint32_t t, const uint8_t *v, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	switch (t) {
	case SLUICE_SET_T_IPV4_ADDR:
	case SLUICE_SET_T_IPV6_ADDR:
		inet_ntop(t == SLUICE_SET_T_IPV4_ADDR ? AF_INET : AF_INET6, v, tmp, sizeof(tmp));
		return snprintf(buf, len, "%s", tmp);
	case SLUICE_SET_T_ETHER_ADDR:
		return snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2], v[3],
				v[4], v[5]);
	case SLUICE_SET_T_INET_PROTO:
		for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
			if (protocols[i].value == v[0])
				return snprintf(buf, len, "%s", protocols[i].name);
		return snprintf(buf, len, "%u", v[0]);
	case SLUICE_SET_T_INET_SERVICE:
		return snprintf(buf, len, "%u", (uint32_t)v[0] << 8 | v[1]);
	}
	return snprintf(buf, len, "?");
}

size_t sl_set_text_format(const struct sl_set_desc *s, const struct sl_set_elem *e, char *buf,
			  size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (uint32_t i = 0; i < s->nfields && i < SLUICE_SET_MAX_FIELDS && o < len; i++) {
		uint32_t t = s->types[i], size = sl_set_type_size(t);
		int plen = sl_set_field_plen(s, e, i);
		const struct sl_set_field *f = &e->f[i];

		if (i)
			o += snprintf(buf + o, len - o, " . ");
		if (o >= len)
			break;
		o += put_value(t, f->lo, buf + o, len - o);
		if (o >= len || !size || !cmp_bytes(f->lo, f->hi, size))
			continue;
		if (plen >= 0 && t != SLUICE_SET_T_INET_PROTO && t != SLUICE_SET_T_INET_SERVICE) {
			o += snprintf(buf + o, len - o, "/%d", plen);
		} else {
			if (o < len)
				o += snprintf(buf + o, len - o, "-");
			if (o < len)
				o += put_value(t, f->hi, buf + o, len - o);
		}
	}
	return o < len ? o : (len ? len - 1 : 0);
}

void sl_set_text_format_duration(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"d", 86400000000000ull},
		     {"h", 3600000000000ull},
		     {"m", 60000000000ull},
		     {"s", 1000000000ull},
		     {"ms", 1000000ull}};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(units) / sizeof(units[0]) && o < len; k++) {
		if (ns < units[k].ns)
			continue;
		o += snprintf(buf + o, len - o, "%llu%s", (unsigned long long)(ns / units[k].ns),
			      units[k].unit);
		ns %= units[k].ns;
	}
	if (!buf[0])
		snprintf(buf, len, "0s");
}
