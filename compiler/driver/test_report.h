/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `sluice test` prints: one line per failed case and a summary
 * (`N passed, M failed`), or TAP version 13 (--tap); and the JUnit XML
 * report (--junit FILE) for CI systems that read that.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sl_testcase;
struct sl_report;

/* Report to `out`; `ncases` is the TAP plan. NULL when out of memory. */
struct sl_report *sl_report_new(FILE *out, bool tap, size_t ncases);
void sl_report_free(struct sl_report *r);

/*
 * The outcome of one case of test file `path`: `msg` says why it failed
 * (NULL when it passed), `note` anything else worth saying (a case the
 * kernel could not run), or NULL.
 */
void sl_report_case(struct sl_report *r, const char *path, const struct sl_testcase *c,
		    const char *msg, const char *note);
/* A line after the cases (--coverage): as it is, or as a TAP comment. */
void sl_report_line(struct sl_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The summary; returns the number of failed cases. */
size_t sl_report_end(struct sl_report *r);
/* Write the JUnit XML report to `path` (replaced atomically). 0 or -errno. */
int sl_report_junit(const struct sl_report *r, const char *path);
