/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sources and diagnostics. Every stage reports problems through one
 * struct sl_diag, pointing at a struct sl_loc; the sources it knows let it
 * print the offending line with a caret, like a good C compiler:
 *
 *   edge.sluice:12:17: error: port 70000 is out of range 0-65535
 *      12 |     tcp dport 70000 accept
 *         |               ^~~~~
 *   edge.sluice:12:17: hint: ...
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A position in a policy source. file indexes sl_sources; line and col start at 1. */
struct sl_loc {
	uint32_t file;
	uint32_t line;
	uint32_t col;
	uint32_t len; /* length of the span the caret underlines (0 or 1 = one caret) */
};

#define SL_LOC_NONE ((struct sl_loc){UINT32_MAX, 0, 0, 0})

struct sl_source {
	char *path; /* as the user or the include named it, joined to the includer's dir */
	char *text; /* whole file, NUL-terminated (NULs inside are kept; size says the length) */
	size_t size;
	size_t *lines; /* byte offset of each line start */
	size_t nlines;
	struct sl_loc included_from; /* SL_LOC_NONE for a top-level file */
};

struct sl_sources {
	struct sl_source *files;
	size_t nfiles, cap;
};

void sl_sources_init(struct sl_sources *srcs);
void sl_sources_fini(struct sl_sources *srcs);
/* Load a file; returns its index or -errno. */
int sl_sources_load(struct sl_sources *srcs, const char *path, struct sl_loc included_from);
/* Add in-memory text (fuzzers, tests); returns its index or -errno. */
int sl_sources_add(struct sl_sources *srcs, const char *path, const char *text, size_t size);
const struct sl_source *sl_sources_get(const struct sl_sources *srcs, uint32_t file);
/* The text of one line without its newline; *len receives its length. NULL if out of range. */
const char *sl_source_line(const struct sl_source *src, uint32_t line, size_t *len);

enum sl_severity { SL_SEV_NOTE, SL_SEV_HINT, SL_SEV_WARNING, SL_SEV_ERROR };

struct sl_diag_entry;

struct sl_diag {
	const struct sl_sources *srcs;
	FILE *out; /* stderr by default */
	unsigned nerrors;
	unsigned nwarnings;
	unsigned max_errors; /* stop printing after this many (0 = 50) */
	bool werror;	     /* warnings count as errors */
	bool quiet_warnings;
	/* sl_diag_hold(): diagnostics kept here until the last sl_diag_release() */
	unsigned held;
	bool dropped; /* the last error or warning was not shown: nor are its notes */
	bool stopped; /* "too many errors" is due */
	struct sl_diag_entry *entries;
	size_t nentries, cap;
};

void sl_diag_init(struct sl_diag *d, const struct sl_sources *srcs, FILE *out);

/*
 * Keep diagnostics until the matching sl_diag_release(), which prints them
 * in source order (include positions expanded: a message inside an included
 * file comes where the include is), each error or warning with its notes,
 * in few large writes. Holds nest; the outermost release prints. Without a
 * hold every diagnostic is printed at once, in one write.
 */
void sl_diag_hold(struct sl_diag *d);
void sl_diag_release(struct sl_diag *d);

void sl_diag_report(struct sl_diag *d, enum sl_severity sev, struct sl_loc loc, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
#define sl_error(d, loc, ...)	sl_diag_report((d), SL_SEV_ERROR, (loc), __VA_ARGS__)
#define sl_warning(d, loc, ...) sl_diag_report((d), SL_SEV_WARNING, (loc), __VA_ARGS__)
#define sl_note(d, loc, ...)	sl_diag_report((d), SL_SEV_NOTE, (loc), __VA_ARGS__)
#define sl_hint(d, loc, ...)	sl_diag_report((d), SL_SEV_HINT, (loc), __VA_ARGS__)

/* Errors without a source position: "sluice: error: ..." */
void sl_diag_plain(struct sl_diag *d, enum sl_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline bool sl_diag_failed(const struct sl_diag *d)
{
	return d->nerrors > 0 || (d->werror && d->nwarnings > 0);
}

/* The closest candidate within a small edit distance, for "did you mean" hints; NULL if none. */
const char *sl_suggest(const char *word, const char *const *candidates, size_t n);
