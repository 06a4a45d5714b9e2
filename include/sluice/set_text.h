/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The text form of named-set elements (abi/set_text.c): one element a line,
 * as `sluice-load set add/del/load` and `sluice run --set NAME=FILE` read it
 * and `sluice-load set list` prints it. Hand-written (the loader links no
 * flex or bison); nothing in the text is trusted.
 *
 *   element  := field { " . " field } [ "timeout" duration ]
 *   field    := value [ "/" prefixlen ] | value "-" value
 *   value    := IPv4 | IPv6 | MAC (aa:bb:cc:dd:ee:ff) | protocol name or number
 *             | port name or number
 *   duration := { number ( "d" | "h" | "m" | "s" | "ms" ) }   e.g. 1h30m, 10m, 45s
 *
 * Concatenation dots need white space around them (an IPv4 address has dots
 * of its own). `#` starts a comment; a line holding only white space and a
 * comment is no element (sl_set_text_parse returns 1).
 *
 * Parsing gives field values (struct sl_set_elem); the binary codec
 * (sluice/set_key.h) turns them into map keys and back.
 */
#ifndef SLUICE_SET_TEXT_H
#define SLUICE_SET_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The element types of abi.h's set records, by their size in the key. */
enum sl_set_ftype {
	SL_SETF_IPV4 = 1,    /* ipv4_addr, 4 bytes */
	SL_SETF_IPV6 = 2,    /* ipv6_addr, 16 bytes */
	SL_SETF_ETHER = 3,   /* ether_addr, 6 bytes */
	SL_SETF_PROTO = 4,   /* inet_proto, 1 byte */
	SL_SETF_SERVICE = 5, /* inet_service (a port), 2 bytes */
};

#define SL_SET_MAX_FIELDS 4
#define SL_SET_MAX_BYTES  16

struct sl_set_shape {
	uint32_t nfields;
	uint32_t type[SL_SET_MAX_FIELDS]; /* enum sl_set_ftype */
	bool interval;			  /* prefixes and ranges allowed */
	uint32_t range_field;		  /* interval: the one field that may be wide */
};

/* One field as given: the inclusive range lo..hi, network byte order (lo == hi: one value). */
struct sl_set_field {
	uint8_t lo[SL_SET_MAX_BYTES];
	uint8_t hi[SL_SET_MAX_BYTES];
	uint32_t plen; /* the prefix length when the range is a prefix, else UINT32_MAX */
};

struct sl_set_elem {
	struct sl_set_field f[SL_SET_MAX_FIELDS];
	uint64_t timeout_ns; /* 0: none given */
};

/* Bytes of a field of type t in a key (0 for an unknown type). */
uint32_t sl_set_ftype_size(uint32_t t);
/* "ipv4_addr" ... */
const char *sl_set_ftype_name(uint32_t t);

/* Parses one element line of a set of shape s into e. 0, 1 (blank/comment) or -EINVAL + why. */
int sl_set_text_parse(const struct sl_set_shape *s, const char *line, size_t len,
		      struct sl_set_elem *e, char *why, size_t why_len);

/* Parses a duration ("10m", "1h30m", "500ms", "3600" = seconds) into ns. 0 or -EINVAL. */
int sl_set_text_duration(const char *s, size_t len, uint64_t *ns);

/* Writes e as text (prefixes as a/n, ranges as a-b, no timeout); returns the length. */
size_t sl_set_text_format(const struct sl_set_shape *s, const struct sl_set_elem *e, char *buf,
			  size_t len);
/* A duration as the parser reads it back: "1h30m", "10s", "0s". */
void sl_set_text_format_duration(uint64_t ns, char *buf, size_t len);

/*
 * Map keys (the layout of docs in CONTRACT-18 / abi.h): without `interval` the
 * fields packed in declared order (a hash key); with it a u32 prefix length
 * (host order) and the single-value fields in declared order, the range field
 * last (an LPM trie key), a range being its minimal prefix decomposition.
 */
#define SL_SET_MAX_KEYS 256 /* keys of one element: a 128-bit range at most 254 prefixes */
uint32_t sl_set_key_size(const struct sl_set_shape *s);
/* The keys of e (key_size bytes each) into keys (room for max); 0 or -EINVAL/-E2BIG + why. */
int sl_set_elem_keys(const struct sl_set_shape *s, const struct sl_set_elem *e, uint8_t *keys,
		     size_t max, size_t *n, char *why, size_t why_len);
/* A key back to fields (a prefix for interval sets); -EINVAL for a key no element gives. */
int sl_set_key_elem(const struct sl_set_shape *s, const uint8_t *key, struct sl_set_elem *e);

#endif /* SLUICE_SET_TEXT_H */
