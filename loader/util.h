/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers for sluice-load: ownership hand-off, cleanup attributes and
 * the error/hint printers. The cleanup macros come from include/sluice/cleanup.h,
 * shared with the compiler (the loader links nothing from compiler/).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sluice/cleanup.h>

/* Exit codes of every sluice-load command. */
enum {
	SL_EXIT_OK = 0,
	SL_EXIT_FAIL = 1,
	SL_EXIT_USAGE = 2,
};

/* "sluice-load: error: <msg>" on stderr; returns -EINVAL-like err for chaining. */
int sl_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "sluice-load: hint: <msg>": what the user can do about the last error. */
void sl_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Verbose diagnostics (-v). */
extern bool sl_verbose;
void sl_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file; returns 0 or -errno. */
int sl_read_file(const char *path, char **data, size_t *size);

#include <stdio.h>

#include <sluice/json.h> /* sl_json_str(), sl_utf8_len() */

/* n bytes of s on f, with control bytes and invalid UTF-8 shown as \xNN. */
void sl_put_sanitized(FILE *f, const char *s, size_t n);

/* Parse a decimal u32; returns 0 or -EINVAL. */
int sl_parse_u32(const char *s, uint32_t *out);
