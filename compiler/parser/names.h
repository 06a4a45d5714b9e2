/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Symbolic values: the names a policy may write instead of numbers
 * (`ether type ip`, `meta l4proto tcp`, `icmp type echo-request`,
 * `tcp flags syn`, `ip frag later`, `ip dscp ef`). lang-spec/reference.md
 * lists them; this table is their single definition.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/field.h"

struct sl_value_name {
	const char *name;
	uint32_t value;
};

/* The names a value kind accepts (n = 0 when it takes numbers only). */
const struct sl_value_name *sl_value_names(enum sl_value_kind kind, size_t *n);
/* Look up a name; false when the kind has no such name. */
bool sl_value_name_lookup(enum sl_value_kind kind, const char *name, uint32_t *value);
/* The preferred name of a value, or NULL (listings). */
const char *sl_value_name_of(enum sl_value_kind kind, uint32_t value);
