// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR's text form (README.md, "Text form"): one line per table and per
 * rule, values in each field's own syntax, nothing that depends on memory
 * addresses or hash order, so that two dumps diff line by line.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

#define SL_IR_TEXT_VERSION 1

struct sl_name {
	unsigned value;
	const char *name;
};

static const struct sl_name ethertype_names[] = {
    {SL_ETH_P_IP, "ip"},
    {SL_ETH_P_ARP, "arp"},
    {SL_ETH_P_IPV6, "ip6"},
    {SL_ETH_P_8021Q, "vlan"},
};

static const struct sl_name proto_names[] = {
    {SL_IPPROTO_ICMP, "icmp"},
    {SL_IPPROTO_TCP, "tcp"},
    {SL_IPPROTO_UDP, "udp"},
    {SL_IPPROTO_ICMPV6, "icmpv6"},
};

static const struct sl_name icmp_names[] = {
    {0, "echo-reply"},		 {3, "destination-unreachable"},
    {4, "source-quench"},	 {5, "redirect"},
    {8, "echo-request"},	 {9, "router-advertisement"},
    {10, "router-solicitation"}, {11, "time-exceeded"},
    {12, "parameter-problem"},	 {13, "timestamp-request"},
    {14, "timestamp-reply"},	 {15, "info-request"},
    {16, "info-reply"},		 {17, "address-mask-request"},
    {18, "address-mask-reply"},
};

static const struct sl_name icmp6_names[] = {
    {1, "destination-unreachable"}, {2, "packet-too-big"},	  {3, "time-exceeded"},
    {4, "parameter-problem"},	    {128, "echo-request"},	  {129, "echo-reply"},
    {130, "mld-listener-query"},    {131, "mld-listener-report"}, {132, "mld-listener-done"},
    {133, "nd-router-solicit"},	    {134, "nd-router-advert"},	  {135, "nd-neighbor-solicit"},
    {136, "nd-neighbor-advert"},    {137, "nd-redirect"},
};

static const struct sl_name frag_names[] = {
    {SL_FRAG_NONE, "none"},
    {SL_FRAG_FIRST, "first"},
    {SL_FRAG_LATER, "later"},
};

static const struct sl_name ct_state_names[] = {
    {SL_CT_INVALID, "invalid"},		{SL_CT_NEW, "new"},
    {SL_CT_ESTABLISHED, "established"}, {SL_CT_RELATED, "related"},
    {SL_CT_UNTRACKED, "untracked"},
};

/* In the order nftables prints them. */
static const struct sl_name tcp_flag_names[] = {
    {0x01, "fin"}, {0x02, "syn"}, {0x04, "rst"}, {0x08, "psh"},
    {0x10, "ack"}, {0x20, "urg"}, {0x40, "ece"}, {0x80, "cwr"},
};

static const char *lookup_name(const struct sl_name *names, size_t n, sl_u128 v)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i].value == v)
			return names[i].name;
	}
	return NULL;
}

static const char *value_name(enum sl_value_kind kind, sl_u128 v)
{
	switch (kind) {
	case SL_KIND_ETHERTYPE:
		return lookup_name(ethertype_names, SL_ARRAY_SIZE(ethertype_names), v);
	case SL_KIND_PROTO:
		return lookup_name(proto_names, SL_ARRAY_SIZE(proto_names), v);
	case SL_KIND_ICMP_TYPE:
		return lookup_name(icmp_names, SL_ARRAY_SIZE(icmp_names), v);
	case SL_KIND_ICMP6_TYPE:
		return lookup_name(icmp6_names, SL_ARRAY_SIZE(icmp6_names), v);
	case SL_KIND_FRAG:
		return lookup_name(frag_names, SL_ARRAY_SIZE(frag_names), v);
	case SL_KIND_CT_STATE:
		return lookup_name(ct_state_names, SL_ARRAY_SIZE(ct_state_names), v);
	default:
		return NULL;
	}
}

static void print_tcp_flags(FILE *out, unsigned v)
{
	const char *sep = "";

	if (!v) {
		fputs("0x00", out);
		return;
	}
	for (size_t i = 0; i < SL_ARRAY_SIZE(tcp_flag_names); i++) {
		if (v & tcp_flag_names[i].value) {
			fprintf(out, "%s%s", sep, tcp_flag_names[i].name);
			sep = "|";
		}
	}
}

static void print_ipv6(FILE *out, sl_u128 v)
{
	unsigned char bytes[16];
	char buf[INET6_ADDRSTRLEN];

	for (int i = 15; i >= 0; i--) {
		bytes[i] = (unsigned char)v;
		v >>= 8;
	}
	fputs(inet_ntop(AF_INET6, bytes, buf, sizeof(buf)), out);
}

/* One value as the field's kind writes it; `named` allows symbolic names. */
static void print_value(FILE *out, enum sl_value_kind kind, sl_u128 v, bool named)
{
	const char *name = named ? value_name(kind, v) : NULL;
	char buf[48];

	if (name) {
		fputs(name, out);
		return;
	}
	switch (kind) {
	case SL_KIND_IPV4:
		fprintf(out, "%u.%u.%u.%u", (unsigned)(v >> 24) & 0xff, (unsigned)(v >> 16) & 0xff,
			(unsigned)(v >> 8) & 0xff, (unsigned)v & 0xff);
		break;
	case SL_KIND_IPV6:
		print_ipv6(out, v);
		break;
	case SL_KIND_MAC:
		for (int shift = 40; shift >= 0; shift -= 8)
			fprintf(out, "%02x%s", (unsigned)(v >> shift) & 0xff, shift ? ":" : "");
		break;
	case SL_KIND_ETHERTYPE:
		fprintf(out, "0x%04x", (unsigned)v);
		break;
	case SL_KIND_TCP_FLAGS:
		if (named)
			print_tcp_flags(out, (unsigned)v);
		else
			fprintf(out, "0x%02x", (unsigned)v);
		break;
	default:
		fputs(sl_u128_str(v, buf), out);
		break;
	}
}

/* Number of trailing one bits: the host part's width when host = lo ^ hi. */
static unsigned ones(sl_u128 host)
{
	unsigned n = 0;

	while (host & 1) {
		n++;
		host >>= 1;
	}
	return n;
}

static bool is_address(enum sl_value_kind kind)
{
	return kind == SL_KIND_IPV4 || kind == SL_KIND_IPV6;
}

static void print_interval(FILE *out, const struct sl_field_info *fi, struct sl_interval iv)
{
	if (iv.lo == iv.hi) {
		print_value(out, fi->kind, iv.lo, true);
		return;
	}
	if (is_address(fi->kind)) {
		sl_u128 host = iv.lo ^ iv.hi;

		if ((host & (host + 1)) == 0 && (iv.lo & host) == 0) {
			print_value(out, fi->kind, iv.lo, false);
			fprintf(out, "/%u", fi->bits - ones(host));
			return;
		}
	}
	if (fi->kind == SL_KIND_FRAG || fi->kind == SL_KIND_CT_STATE) {
		/* a small enumeration: name every member */
		for (sl_u128 v = iv.lo;; v++) {
			print_value(out, fi->kind, v, true);
			if (v == iv.hi)
				break;
			fputs(", ", out);
		}
		return;
	}
	print_value(out, fi->kind, iv.lo, false);
	fputc('-', out);
	print_value(out, fi->kind, iv.hi, false);
}

static size_t printed_elements(const struct sl_field_info *fi, struct sl_iset set)
{
	size_t n = 0;

	if (fi->kind != SL_KIND_FRAG && fi->kind != SL_KIND_CT_STATE)
		return set.n;
	for (uint32_t i = 0; i < set.n; i++)
		n += (size_t)(set.iv[i].hi - set.iv[i].lo) + 1;
	return n;
}

/*
 * tcp flags sets that are one masked match, `& (syn|ack) == syn`, print as
 * written; `mask`/`value` receive it. The set is one iff it has exactly the
 * 2^(free bits) members its constant bits allow.
 */
static bool tcp_flags_masked(struct sl_iset set, unsigned *mask, unsigned *value)
{
	unsigned all_and = 0xff, all_or = 0, count = 0;

	for (uint32_t i = 0; i < set.n; i++) {
		for (unsigned v = (unsigned)set.iv[i].lo; v <= (unsigned)set.iv[i].hi; v++) {
			all_and &= v;
			all_or |= v;
			count++;
		}
	}
	*mask = (all_and | ~all_or) & 0xff;
	*value = all_and;
	return count > 1 && count == 1u << (8 - __builtin_popcount(*mask));
}

static void print_flags_mask(FILE *out, unsigned mask)
{
	bool parens = __builtin_popcount(mask) > 1;

	fputs(parens ? "& (" : "& ", out);
	print_tcp_flags(out, mask);
	fputs(parens ? ") " : " ", out);
}

/*
 * tcp flags as written: one value, `& mask == value`, or their negations
 * when the complement has that shape; a set of values otherwise.
 */
static bool print_tcp_flags_pred(FILE *out, struct sl_iset set, struct sl_arena *a)
{
	struct sl_iset rest = sl_iset_complement(a, set, 0xff);
	unsigned mask, value;

	if (set.n == 1 && set.iv[0].lo == set.iv[0].hi)
		return false; /* a plain value */
	if (tcp_flags_masked(set, &mask, &value)) {
		print_flags_mask(out, mask);
		fputs("== ", out);
		print_tcp_flags(out, value);
		return true;
	}
	if (rest.n == 1 && rest.iv[0].lo == rest.iv[0].hi) {
		fputs("!= ", out);
		print_tcp_flags(out, (unsigned)rest.iv[0].lo);
		return true;
	}
	if (rest.n && tcp_flags_masked(rest, &mask, &value)) {
		print_flags_mask(out, mask);
		fputs("!= ", out);
		print_tcp_flags(out, value);
		return true;
	}
	return false;
}

static void print_pred_values(FILE *out, const struct sl_field_info *fi, struct sl_iset set)
{
	if (fi->kind == SL_KIND_TCP_FLAGS) {
		struct sl_arena *a = sl_arena_new();
		bool done = print_tcp_flags_pred(out, set, a);

		sl_arena_free(a);
		if (done)
			return;
	}
	if (printed_elements(fi, set) == 1) {
		print_interval(out, fi, set.iv[0]);
		return;
	}
	fputs("{ ", out);
	for (uint32_t i = 0; i < set.n; i++) {
		if (i)
			fputs(", ", out);
		print_interval(out, fi, set.iv[i]);
	}
	fputs(" }", out);
}

void sl_ir_dump_pred(const struct sl_ir_pred *pred, FILE *out)
{
	const struct sl_field_info *fi = sl_field_info(pred->field);

	if (!fi) {
		fprintf(out, "field#%u ?", (unsigned)pred->field);
		return;
	}
	fprintf(out, "%s ", fi->name);
	if (sl_iset_is_empty(pred->set)) {
		fputs("{ }", out);
		return;
	}
	print_pred_values(out, fi, pred->set);
}

static void print_loc(FILE *out, const struct sl_ir *ir, struct sl_loc loc)
{
	const struct sl_source *src = sl_sources_get(ir->srcs, loc.file);

	if (loc.file == SL_LOC_NONE.file)
		fputs("-", out);
	else
		fprintf(out, "%s:%u:%u", src ? src->path : "?", loc.line, loc.col);
}

static const char *chain_name(const struct sl_ir *ir, uint32_t idx)
{
	return idx < ir->nchains && ir->chains[idx].name ? ir->chains[idx].name : "?";
}

static void print_action(FILE *out, const struct sl_ir *ir, const struct sl_ir_rule *rule)
{
	if (rule->limit)
		sl_limit_print(rule->limit, out);
	if (rule->counter)
		fputs("counter ", out);
	if (rule->log)
		sl_log_print(rule->log, out);
	switch (rule->action) {
	case SL_IR_CONTINUE:
		fputs("continue", out);
		break;
	case SL_IR_ACCEPT:
		fputs("accept", out);
		break;
	case SL_IR_DROP:
		fputs("drop", out);
		break;
	case SL_IR_JUMP:
		fprintf(out, "jump %s", chain_name(ir, rule->target));
		break;
	case SL_IR_GOTO:
		fprintf(out, "goto %s", chain_name(ir, rule->target));
		break;
	case SL_IR_RETURN:
		fputs("return", out);
		break;
	}
}

static void dump_rule(FILE *out, const struct sl_ir *ir, const struct sl_ir_rule *rule)
{
	fprintf(out, "  rule %u ", rule->id);
	print_loc(out, ir, rule->loc);
	fputs(": ", out);
	if (!rule->npreds && !rule->nsetrefs)
		fputs("any", out);
	for (uint32_t i = 0; i < rule->npreds; i++) {
		if (i)
			fputs(", ", out);
		sl_ir_dump_pred(&rule->preds[i], out);
	}
	for (uint32_t i = 0; i < rule->nsetrefs; i++) {
		const struct sl_ir_setref *sr = &rule->setrefs[i];

		if (i || rule->npreds)
			fputs(", ", out);
		for (uint32_t f = 0; f < sr->nfields; f++)
			fprintf(out, "%s%s", f ? " . " : "", sl_field_info(sr->fields[f])->name);
		fprintf(out, " %s@%s", sr->negated ? "!= " : "",
			sr->set < ir->nsets ? ir->sets[sr->set].name : "?");
	}
	fputs(" -> ", out);
	print_action(out, ir, rule);
	fputc('\n', out);
}

static const struct sl_ir_table *table_of_chain(const struct sl_ir *ir, uint32_t chain)
{
	for (uint32_t t = 0; t < ir->ntables; t++) {
		if (ir->tables[t].entry == chain)
			return &ir->tables[t];
	}
	return NULL;
}

void sl_ir_dump(const struct sl_ir *ir, FILE *out)
{
	fprintf(out, "sluice-ir %d\n", SL_IR_TEXT_VERSION);
	fprintf(out, "policy %s\n", ir->name ? ir->name : "");
	fputs("source-sha256 ", out);
	for (size_t i = 0; i < sizeof(ir->source_hash); i++)
		fprintf(out, "%02x", ir->source_hash[i]);
	fprintf(out, "\nrules %u\n", ir->nrules);
	for (uint32_t t = 0; t < ir->ntables; t++) {
		const struct sl_ir_table *table = &ir->tables[t];

		fprintf(out, "table %s ", table->name);
		print_loc(out, ir, table->loc);
		fprintf(out, ": hook %s, policy %s, entry %s%s\n", sl_hook_name(table->hook),
			sl_verdict_name(table->policy), chain_name(ir, table->entry),
			table->accept_next ? ", accept next" : "");
	}
	for (uint32_t c = 0; c < ir->nchains; c++) {
		const struct sl_ir_chain *chain = &ir->chains[c];
		const struct sl_ir_table *table = table_of_chain(ir, c);

		fprintf(out, "\nchain %s ", chain->name);
		print_loc(out, ir, chain->loc);
		if (table)
			fprintf(out, ": entry of table %s", table->name);
		fputc('\n', out);
		for (uint32_t r = 0; r < chain->nrules; r++)
			dump_rule(out, ir, &chain->rules[r]);
	}
}
