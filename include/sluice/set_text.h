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
 * (sluice/set_key.h, i18c's) turns them into map keys and back. Listing shows
 * what the map holds: a range that is no prefix comes back as its prefixes.
 */
#ifndef SLUICE_SET_TEXT_H
#define SLUICE_SET_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sluice/set_key.h"

/*
 * Parses one element line of set d into e and *timeout_ns (0: none given).
 * 0, 1 (a blank or comment line) or -EINVAL with the reason in why. The element
 * is checked against the set (family, `flags interval`, which field may be wide),
 * so sl_set_elem_keys() accepts it.
 */
int sl_set_text_parse(const struct sl_set_desc *d, const char *line, size_t len,
		      struct sl_set_elem *e, uint64_t *timeout_ns, char *why, size_t why_len);

/* Parses a duration ("10m", "1h30m", "500ms", "3600" = seconds) into ns. 0 or -EINVAL. */
int sl_set_text_duration(const char *s, size_t len, uint64_t *ns);

/* Writes e as text (prefixes as a/n, ranges as a-b, no timeout); returns the length. */
size_t sl_set_text_format(const struct sl_set_desc *d, const struct sl_set_elem *e, char *buf,
			  size_t len);
/* A duration as the parser reads it back: "1h30m", "10s", "0s". */
void sl_set_text_format_duration(uint64_t ns, char *buf, size_t len);

#endif /* SLUICE_SET_TEXT_H */
