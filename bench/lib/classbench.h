/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ClassBench rule sets and header traces (see $SLUICE_SHARED_DIR/classbench/README.md
 * for the formats), the naive first-match reference that the bench holds every
 * compiled object to, and the deterministic trace generator used where no trace
 * is shipped. Deliberately independent of the compiler: it shares nothing with
 * sluice but the diagnostics printer.
 *
 * Matching semantics, chosen to agree with how the rules are written as sluice
 * policies (classbench2sluice) and how headers are turned into packets
 * (packet.h): a header is an IPv4 packet; it carries ports only when its
 * protocol is TCP (6) or UDP (17). A rule's port range other than 0-65535
 * therefore matches only TCP/UDP packets: on a rule for another exact
 * protocol it can never match, on a protocol-wildcard rule it means "TCP or
 * UDP" (sluice's `th sport/dport`).
 *
 * The sets over IPv6 (family CB_IP6, `--family ip6` of the tools): a header's
 * IPv4 source address s is the first 32-bit word of the IPv6 source, the rest
 * zero (a rule's s/len becomes s::/len); its destination d is the second word
 * of 2001:db8::/32 (d/len becomes 2001:db8:d::/(32 + len)). Every header is
 * then an IPv6 packet, and a rule matches it exactly when the IPv4 rule
 * matches the IPv4 header, so the reference below serves both families.
 * Headers whose protocol is an IPv6 extension header number have no such
 * form (cb_ip6_extension_header): IPv6 workloads leave them out.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

#define CB_PROTO_TCP 6
#define CB_PROTO_UDP 17

enum cb_family { CB_IP4, CB_IP6 };

/* The first word of every destination address of the IPv6 sets. */
#define CB_IP6_DST_WORD0 0x20010db8u

/* Protocol numbers that IPv6 takes for extension headers: no IPv6 header carries them. */
static inline bool cb_ip6_extension_header(uint8_t proto)
{
	return proto == 0 || proto == 43 || proto == 44 || proto == 51 || proto == 60;
}

/* "ip4" or "ip6"; returns 0 or -EINVAL. */
int cb_family_parse(const char *text, enum cb_family *out);

struct cb_rule {
	uint32_t src, dst;	  /* prefix values, host bits cleared */
	uint8_t src_len, dst_len; /* 0..32 */
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
	uint8_t proto;
	bool proto_any; /* mask 0x00: any protocol */
	uint32_t line;	/* line in the rule file */
};

struct cb_rules {
	struct cb_rule *v;
	size_t n;
	size_t total; /* rules in the file; n is less when a prefix was asked for */
};

struct cb_header {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint32_t aimed; /* the rule the generator aimed at (not necessarily the first match) */
};

struct cb_trace {
	struct cb_header *v;
	size_t n;
};

/*
 * Load the first `limit` rules of a ClassBench rule file (all of them when
 * limit is 0). The whole file is checked even past the limit. Errors are
 * reported through `diag` as file:line:col with the line and a caret.
 * Returns 0, -EINVAL for a malformed file, or another -errno.
 */
int cb_rules_load(const char *path, size_t limit, struct sl_sources *srcs, struct sl_diag *diag,
		  struct cb_rules *out);
void cb_rules_free(struct cb_rules *rules);

/* Load a trace file (tab-separated header lines). Same conventions. */
int cb_trace_load(const char *path, struct sl_sources *srcs, struct sl_diag *diag,
		  struct cb_trace *out);
void cb_trace_free(struct cb_trace *trace);

/*
 * Make `count` headers the way ClassBench's trace generator does: pick a rule
 * at random, then a random corner of its box (each field at its low or high
 * end; a wildcard protocol becomes 0 or 255). Deterministic for a seed.
 */
int cb_trace_generate(const struct cb_rules *rules, size_t count, uint64_t seed,
		      struct cb_trace *out);
/* Write a trace in ClassBench's format. Returns 0 or -errno. */
int cb_trace_write(const struct cb_trace *trace, const char *path);

static inline bool cb_proto_has_ports(uint8_t proto)
{
	return proto == CB_PROTO_TCP || proto == CB_PROTO_UDP;
}

static inline bool cb_ports_wild(uint16_t lo, uint16_t hi)
{
	return lo == 0 && hi == 0xffff;
}

/* Whether the rule can match any packet at all (ports on a non-TCP/UDP protocol cannot). */
bool cb_rule_satisfiable(const struct cb_rule *rule);
bool cb_rule_matches(const struct cb_rule *rule, const struct cb_header *hdr);
/* Index of the first rule matching the header, or -1: a plain scan, the reference. */
long cb_first_match(const struct cb_rules *rules, const struct cb_header *hdr);
/*
 * The same answer, faster on generated traces: when the rule the header was
 * aimed at matches it, the first match cannot come later, so only the rules
 * before it are scanned. Falls back to the full scan otherwise.
 */
long cb_first_match_hinted(const struct cb_rules *rules, const struct cb_header *hdr);

static inline uint32_t cb_prefix_mask(unsigned len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

/* The action convention of the bench: rule i (0-based) drops when i is odd, else accepts. */
static inline bool cb_rule_drops(size_t index)
{
	return index & 1;
}

/* splitmix64: small, seedable and the same everywhere. */
static inline uint64_t cb_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
