/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * JSON text for the compiler's and the loader's --json outputs (abi/json.c):
 * one escaper, so every command writes the same strings.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0. */
size_t sl_utf8_len(const unsigned char *p, size_t n);

/*
 * s as a JSON string, quotes included. Bytes that are not UTF-8 (a cgroup
 * path or a file name may hold any byte) become U+00XX, so the output is
 * always valid JSON; NULL is written as "".
 */
void sl_json_str(FILE *f, const char *s);
