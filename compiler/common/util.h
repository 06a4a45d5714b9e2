/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by every stage: ownership hand-off, cleanup attributes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Values of network fields go up to 128 bits (IPv6 addresses). */
typedef unsigned __int128 sl_u128;

#include <sluice/cleanup.h>
#include <sluice/json.h> /* sl_utf8_len(), shared with the loader */

#define sl_min(a, b) ((a) < (b) ? (a) : (b))
#define sl_max(a, b) ((a) > (b) ? (a) : (b))

/*
 * Grow a dynamic array so that index n fits. Returns 0 or -ENOMEM.
 * Usage: if (sl_grow((void **)&v, &cap, n + 1, sizeof(*v))) ...
 */
int sl_grow(void **array, size_t *cap, size_t need, size_t elem_size);

/* Format a 128-bit unsigned value in decimal into buf (at least 40 bytes). */
char *sl_u128_str(sl_u128 v, char *buf);
