// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
/*
 * classbench2sluice: write a ClassBench rule set as a sluice policy, one rule
 * per line, so the bench (and the differential fuzzer) can compile it.
 * Rule i (0-based) accepts when i is even and drops when i is odd; packets
 * matching nothing get the table policy (drop unless told otherwise).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classbench.h"
#include "common/field.h"
#include "output.h"
#include "common/util.h"

/* Lines before the first rule: two comments, `table {`, hook, policy. */
#define FIRST_RULE_LINE 6

struct options {
	const char *input, *output, *name;
	size_t limit;
	enum sl_hook hook;
	enum sl_verdict policy;
	enum cb_family family;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: classbench2sluice [OPTIONS] RULE-FILE\n\n"
		"Write a ClassBench rule set as a sluice policy (one table, one rule per line).\n"
		"Rule i (0-based) accepts when i is even and drops when i is odd.\n\n"
		"  -n, --rules N      only the first N rules (default: all)\n"
		"  -o, --output FILE  write there (atomically) instead of stdout\n"
		"      --hook HOOK    xdp (default), 'tc ingress', 'tc egress',\n"
		"                     'cgroup_skb ingress', 'cgroup_skb egress'\n"
		"                     (tc-ingress, cgroup_skb-egress, ... also work)\n"
		"      --name NAME    table name (default: from the file name)\n"
		"      --policy V     accept or drop (default) for packets matching no rule\n"
		"      --family F     ip4 (default) or ip6: the rules over IPv6 addresses (source\n"
		"                     s/len as s::/len, destination d/len as 2001:db8:d::/32+len)\n"
		"  -h, --help         this text\n\n"
		"Rule i is on line i + %d of the output. Rules for a protocol other than TCP\n"
		"or UDP that restrict ports can never match (such packets have no ports):\n"
		"they are written as a comment on their line.\n",
		FIRST_RULE_LINE);
}

static int parse_hook(const char *arg, enum sl_hook *out)
{
	const char *names[SL_HOOK_COUNT];
	char norm[64];
	size_t len = strlen(arg);

	if (len >= sizeof(norm))
		len = sizeof(norm) - 1;
	for (size_t i = 0; i < len; i++)
		norm[i] = arg[i] == '-' || arg[i] == '/' ? ' ' : arg[i];
	norm[len] = '\0';
	for (int h = 0; h < SL_HOOK_COUNT; h++) {
		names[h] = sl_hook_name(h);
		if (!strcmp(norm, names[h])) {
			*out = h;
			return 0;
		}
	}
	const char *guess = sl_suggest(norm, names, SL_HOOK_COUNT);

	fprintf(stderr, "classbench2sluice: error: unknown hook '%s'%s%s%s\n", arg,
		guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
	return -EINVAL;
}

static bool valid_name(const char *name)
{
	if (!*name || !(isalpha((unsigned char)*name) || *name == '_'))
		return false;
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	}
	return true;
}

/* "acl1_1000" from ".../acl1_1000"; anything not an identifier character becomes '_'. */
static char *name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name;

	base = base ? base + 1 : path;
	if (asprintf(&name, "%s%s", isalpha((unsigned char)*base) ? "" : "cb_", base) < 0)
		return NULL;
	for (char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	}
	return name;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"rules", required_argument, NULL, 'n'},  {"output", required_argument, NULL, 'o'},
	    {"hook", required_argument, NULL, 'H'},   {"name", required_argument, NULL, 'N'},
	    {"policy", required_argument, NULL, 'P'}, {"help", no_argument, NULL, 'h'},
	    {"family", required_argument, NULL, 'F'}, {0},
	};
	char *end;
	int c;

	*o = (struct options){.hook = SL_HOOK_XDP, .policy = SL_VERDICT_DROP};
	while ((c = getopt_long(argc, argv, "n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			o->limit = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || !o->limit) {
				fprintf(stderr,
					"classbench2sluice: error: --rules wants a positive "
					"number, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'H':
			if (parse_hook(optarg, &o->hook))
				return -EINVAL;
			break;
		case 'N':
			if (!valid_name(optarg)) {
				fprintf(stderr,
					"classbench2sluice: error: table name '%s' is not an "
					"identifier ([A-Za-z_][A-Za-z0-9_]*)\n",
					optarg);
				return -EINVAL;
			}
			o->name = optarg;
			break;
		case 'P':
			if (!strcmp(optarg, "accept") || !strcmp(optarg, "drop")) {
				o->policy =
				    !strcmp(optarg, "accept") ? SL_VERDICT_ACCEPT : SL_VERDICT_DROP;
				break;
			}
			fprintf(stderr,
				"classbench2sluice: error: --policy is accept or drop, not '%s'\n",
				optarg);
			return -EINVAL;
		case 'F':
			if (!cb_family_parse(optarg, &o->family))
				break;
			fprintf(stderr,
				"classbench2sluice: error: --family is ip4 or ip6, not '%s'\n",
				optarg);
			return -EINVAL;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -EINVAL;
	}
	o->input = argv[optind];
	return 0;
}

static void write_prefix(FILE *f, const char *field, uint32_t addr, unsigned len)
{
	if (!len)
		return;
	fprintf(f, "ip %s %u.%u.%u.%u", field, addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		addr & 0xff);
	if (len < 32)
		fprintf(f, "/%u", len);
	fputc(' ', f);
}

/* The IPv6 sets' addresses (classbench.h): s:: and 2001:db8:d::. */
static void write_prefix6(FILE *f, const char *field, uint32_t addr, unsigned len, bool dst)
{
	uint32_t w0 = dst ? CB_IP6_DST_WORD0 : addr, w1 = dst ? addr : 0;

	if (!len)
		return;
	fprintf(f, "ip6 %s %x:%x:%x:%x::/%u ", field, w0 >> 16, w0 & 0xffff, w1 >> 16, w1 & 0xffff,
		len + (dst ? 32 : 0));
}

static void write_ports(FILE *f, const char *proto, const char *member, uint16_t lo, uint16_t hi)
{
	if (cb_ports_wild(lo, hi))
		return;
	if (lo == hi)
		fprintf(f, "%s %s %u ", proto, member, lo);
	else
		fprintf(f, "%s %s %u-%u ", proto, member, lo, hi);
}

static void write_rule(FILE *f, const struct cb_rule *r, size_t index, enum cb_family family)
{
	bool ports =
	    !cb_ports_wild(r->sport_lo, r->sport_hi) || !cb_ports_wild(r->dport_lo, r->dport_hi);
	const char *l4 = "th";

	if (!cb_rule_satisfiable(r)) {
		fprintf(f,
			"\t# rule %zu: ports on protocol %u can never match (no TCP/UDP header)\n",
			index, r->proto);
		return;
	}
	fputc('\t', f);
	if (family == CB_IP6) {
		write_prefix6(f, "saddr", r->src, r->src_len, false);
		write_prefix6(f, "daddr", r->dst, r->dst_len, true);
	} else {
		write_prefix(f, "saddr", r->src, r->src_len);
		write_prefix(f, "daddr", r->dst, r->dst_len);
	}
	if (!r->proto_any) {
		if (!ports)
			fprintf(f, "%s %u ", family == CB_IP6 ? "meta l4proto" : "ip protocol",
				r->proto);
		l4 = r->proto == CB_PROTO_TCP ? "tcp" : "udp";
	}
	write_ports(f, l4, "sport", r->sport_lo, r->sport_hi);
	write_ports(f, l4, "dport", r->dport_lo, r->dport_hi);
	fputs(cb_rule_drops(index) ? "drop\n" : "accept\n", f);
}

static int write_policy(FILE *f, const struct options *o, const char *name,
			const struct cb_rules *rules)
{
	fprintf(f, "# Generated by classbench2sluice from %s: the first %zu of its %zu rules.\n",
		o->input, rules->n, rules->total);
	fprintf(f, "# Rule i (0-based) is on line i + %d; even rules accept, odd rules drop.\n",
		FIRST_RULE_LINE);
	fprintf(f, "table %s {\n\thook %s\n\tpolicy %s\n", name, sl_hook_name(o->hook),
		sl_verdict_name(o->policy));
	for (size_t i = 0; i < rules->n; i++)
		write_rule(f, &rules->v[i], i, o->family);
	fputs("}\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

struct policy_output {
	const struct options *o;
	const char *name;
	const struct cb_rules *rules;
};

static int write_policy_to(FILE *f, const void *ctx)
{
	const struct policy_output *p = ctx;

	return write_policy(f, p->o, p->name, p->rules);
}

static int write_output(const struct options *o, const char *name, const struct cb_rules *rules)
{
	struct policy_output p = {o, name, rules};

	return cb_write_output(o->output, write_policy_to, &p);
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *derived = NULL;
	struct cb_rules rules;
	struct sl_sources srcs;
	struct sl_diag diag;
	struct options o;
	int r;

	if (parse_options(argc, argv, &o))
		return 2;
	if (!o.name) {
		derived = name_from_path(o.input);
		if (!derived)
			return 2;
	}
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	r = cb_rules_load(o.input, o.limit, &srcs, &diag, &rules);
	if (!r) {
		r = write_output(&o, o.name ? o.name : derived, &rules);
		if (r)
			fprintf(stderr, "classbench2sluice: error: cannot write '%s': %s\n",
				o.output ? o.output : "stdout", strerror(-r));
		cb_rules_free(&rules);
	}
	sl_sources_fini(&srcs);
	return !r ? 0 : r == -EINVAL ? 1 : 2;
}
