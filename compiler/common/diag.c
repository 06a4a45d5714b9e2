// SPDX-License-Identifier: GPL-2.0-only
#include "common/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void sl_sources_init(struct sl_sources *srcs)
{
	memset(srcs, 0, sizeof(*srcs));
}

void sl_sources_fini(struct sl_sources *srcs)
{
	for (size_t i = 0; i < srcs->nfiles; i++) {
		free(srcs->files[i].path);
		free(srcs->files[i].text);
		free(srcs->files[i].lines);
	}
	free(srcs->files);
	memset(srcs, 0, sizeof(*srcs));
}

static int index_lines(struct sl_source *src)
{
	size_t cap = 0, n = 0;
	size_t *lines = NULL;

	if (sl_grow((void **)&lines, &cap, 1, sizeof(*lines)))
		return -ENOMEM;
	lines[n++] = 0;
	for (size_t i = 0; i < src->size; i++) {
		if (src->text[i] != '\n' || i + 1 == src->size)
			continue;
		if (sl_grow((void **)&lines, &cap, n + 1, sizeof(*lines))) {
			free(lines);
			return -ENOMEM;
		}
		lines[n++] = i + 1;
	}
	src->lines = lines;
	src->nlines = n;
	return 0;
}

static int add_owned(struct sl_sources *srcs, char *path, char *text, size_t size,
		     struct sl_loc included_from)
{
	struct sl_source *src;
	int r;

	if (sl_grow((void **)&srcs->files, &srcs->cap, srcs->nfiles + 1, sizeof(*srcs->files)) ||
	    srcs->nfiles >= INT32_MAX) {
		free(path);
		free(text);
		return -ENOMEM;
	}
	src = &srcs->files[srcs->nfiles];
	memset(src, 0, sizeof(*src));
	src->path = path;
	src->text = text;
	src->size = size;
	src->included_from = included_from;
	r = index_lines(src);
	if (r) {
		free(path);
		free(text);
		return r;
	}
	return (int)srcs->nfiles++;
}

int sl_sources_add(struct sl_sources *srcs, const char *path, const char *text, size_t size)
{
	char *p = strdup(path), *t = malloc(size + 1);

	if (!p || !t) {
		free(p);
		free(t);
		return -ENOMEM;
	}
	memcpy(t, text, size);
	t[size] = '\0';
	return add_owned(srcs, p, t, size, SL_LOC_NONE);
}

int sl_sources_load(struct sl_sources *srcs, const char *path, struct sl_loc included_from)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0, cap = 0;
	FILE *f;
	char *p;
	int r = 0;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (sl_grow((void **)&text, &cap, size + 65536 + 1, 1)) {
			r = -ENOMEM;
			break;
		}
		got = fread(text + size, 1, cap - size - 1, f);
		size += got;
		if (got == 0) {
			if (ferror(f))
				r = -EIO;
			break;
		}
	}
	fclose(f);
	if (r)
		return r;
	if (!text && sl_grow((void **)&text, &cap, 1, 1))
		return -ENOMEM;
	text[size] = '\0';
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	return add_owned(srcs, p, TAKE_PTR(text), size, included_from);
}

const struct sl_source *sl_sources_get(const struct sl_sources *srcs, uint32_t file)
{
	if (!srcs || file >= srcs->nfiles)
		return NULL;
	return &srcs->files[file];
}

const char *sl_source_line(const struct sl_source *src, uint32_t line, size_t *len)
{
	size_t start, end;

	if (!src || line == 0 || line > src->nlines)
		return NULL;
	start = src->lines[line - 1];
	end = line < src->nlines ? src->lines[line] : src->size;
	while (end > start && (src->text[end - 1] == '\n' || src->text[end - 1] == '\r'))
		end--;
	*len = end - start;
	return src->text + start;
}

void sl_diag_init(struct sl_diag *d, const struct sl_sources *srcs, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->srcs = srcs;
	d->out = out ? out : stderr;
}

/* Where a diagnostic sorts: its root file, then (line, col) from the root down the includes. */
#define SL_DIAG_KEY_DEPTH 20

struct sl_diag_entry {
	uint32_t key[1 + 2 * SL_DIAG_KEY_DEPTH];
	uint32_t nkey;
	size_t seq;
	char *text;
	size_t len;
};

static void make_key(const struct sl_diag *d, struct sl_loc loc, struct sl_diag_entry *e)
{
	struct sl_loc chain[SL_DIAG_KEY_DEPTH];
	unsigned n = 0;

	while (n < SL_DIAG_KEY_DEPTH) {
		const struct sl_source *src = sl_sources_get(d->srcs, loc.file);

		if (!src)
			break;
		chain[n++] = loc;
		loc = src->included_from;
	}
	if (n == 0) { /* no position: stays after the diagnostic before it */
		if (d->nentries)
			memcpy(e->key, d->entries[d->nentries - 1].key, sizeof(e->key));
		e->nkey = d->nentries ? d->entries[d->nentries - 1].nkey : 0;
		return;
	}
	e->key[0] = chain[n - 1].file;
	e->nkey = 1;
	for (unsigned i = n; i-- > 0;) {
		e->key[e->nkey++] = chain[i].line;
		e->key[e->nkey++] = chain[i].col;
	}
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct sl_diag_entry *a = pa, *b = pb;

	for (uint32_t i = 0; i < a->nkey && i < b->nkey; i++) {
		if (a->key[i] != b->key[i])
			return a->key[i] < b->key[i] ? -1 : 1;
	}
	if (a->nkey != b->nkey)
		return a->nkey < b->nkey ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void sl_diag_hold(struct sl_diag *d)
{
	d->held++;
}

/* Write `len` bytes through a 64 KiB buffer: few write(2) calls on an unbuffered stderr. */
struct out_buf {
	FILE *out;
	char buf[65536];
	size_t n;
};

static void out_put(struct out_buf *o, const char *s, size_t len)
{
	if (o->n + len > sizeof(o->buf) && o->n) {
		fwrite(o->buf, 1, o->n, o->out);
		o->n = 0;
	}
	if (len > sizeof(o->buf)) {
		fwrite(s, 1, len, o->out);
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
}

void sl_diag_release(struct sl_diag *d)
{
	static const char stop[] = "sluice: too many errors, stopping\n";
	struct out_buf *o;

	if (!d->held || --d->held)
		return;
	if (d->nentries)
		qsort(d->entries, d->nentries, sizeof(*d->entries), entry_cmp);
	o = malloc(sizeof(*o));
	if (o) {
		o->out = d->out;
		o->n = 0;
	}
	for (size_t i = 0; i < d->nentries; i++) {
		if (o)
			out_put(o, d->entries[i].text, d->entries[i].len);
		else
			fwrite(d->entries[i].text, 1, d->entries[i].len, d->out);
		free(d->entries[i].text);
	}
	if (o && o->n)
		fwrite(o->buf, 1, o->n, d->out);
	free(o);
	if (d->stopped)
		fwrite(stop, 1, sizeof(stop) - 1, d->out);
	fflush(d->out);
	free(d->entries);
	d->entries = NULL;
	d->nentries = d->cap = 0;
	d->stopped = false;
}

/* One formatted diagnostic (or a note of the last one): printed now, or kept. */
static void emit(struct sl_diag *d, enum sl_severity sev, struct sl_loc loc, char *text, size_t len)
{
	struct sl_diag_entry *e;

	if (!d->held) {
		fwrite(text, 1, len, d->out);
		free(text);
		return;
	}
	if ((sev == SL_SEV_NOTE || sev == SL_SEV_HINT) && d->nentries) {
		e = &d->entries[d->nentries - 1];
		char *grown = realloc(e->text, e->len + len);

		if (grown) {
			memcpy(grown + e->len, text, len);
			e->text = grown;
			e->len += len;
		}
		free(text);
		return;
	}
	if (sl_grow((void **)&d->entries, &d->cap, d->nentries + 1, sizeof(*d->entries))) {
		fwrite(text, 1, len, d->out); /* no memory to sort: at least say it */
		free(text);
		return;
	}
	e = &d->entries[d->nentries];
	make_key(d, loc, e);
	e->seq = d->nentries++;
	e->text = text;
	e->len = len;
}

static const char *severity_name(enum sl_severity sev)
{
	switch (sev) {
	case SL_SEV_ERROR:
		return "error";
	case SL_SEV_WARNING:
		return "warning";
	case SL_SEV_HINT:
		return "hint";
	default:
		return "note";
	}
}

/* Show at most this much of a line: a 1 MB line must not flood the terminal. */
#define SL_DIAG_LINE_WINDOW 120

static void print_caret_line(FILE *out, const struct sl_source *src, const struct sl_loc *loc)
{
	size_t len, start = 0, col0, span;
	const char *text = sl_source_line(src, loc->line, &len);
	char gutter[16];

	if (!text)
		return;
	col0 = loc->col ? loc->col - 1 : 0;
	if (col0 > len)
		col0 = len;
	if (col0 > SL_DIAG_LINE_WINDOW / 2)
		start = col0 - SL_DIAG_LINE_WINDOW / 2;
	if (len - start > SL_DIAG_LINE_WINDOW)
		len = start + SL_DIAG_LINE_WINDOW;
	snprintf(gutter, sizeof(gutter), "%u", loc->line);
	fprintf(out, " %s | %s", gutter, start ? "..." : "");
	for (size_t i = start; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		size_t u = c >= 0x80 ? sl_utf8_len((const unsigned char *)text + i, len - i) : 0;

		/* Only printable text is echoed: no control bytes, no broken UTF-8. */
		if (u) {
			fwrite(text + i, 1, u, out);
			i += u - 1;
			continue;
		}
		fputc(c == '\t' ? ' ' : (c < 0x20 || c >= 0x7f) ? '?' : c, out);
	}
	fputc('\n', out);
	fprintf(out, " %*s | %s", (int)strlen(gutter), "", start ? "   " : "");
	for (size_t i = start; i < col0; i++)
		fputc(' ', out);
	fputc('^', out);
	span = loc->len > 1 ? loc->len - 1 : 0;
	for (size_t i = 0; i < span && col0 + 1 + i < len; i++)
		fputc('~', out);
	fputc('\n', out);
}

void sl_diag_report(struct sl_diag *d, enum sl_severity sev, struct sl_loc loc, const char *fmt,
		    ...)
{
	const struct sl_source *src = sl_sources_get(d->srcs, loc.file);
	unsigned limit = d->max_errors ? d->max_errors : 50;
	bool primary = sev == SL_SEV_ERROR || sev == SL_SEV_WARNING;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	va_list ap;

	if (sev == SL_SEV_ERROR)
		d->nerrors++;
	else if (sev == SL_SEV_WARNING)
		d->nwarnings++;
	if (primary)
		d->dropped = (sev == SL_SEV_WARNING && d->quiet_warnings) || d->nerrors > limit;
	if (d->dropped || d->nerrors > limit)
		return;

	/* Formatted whole, then written at once: stderr is unbuffered. */
	out = open_memstream(&text, &len);
	if (!out)
		out = d->out;
	if (src)
		fprintf(out, "%s:%u:%u: %s: ", src->path, loc.line, loc.col, severity_name(sev));
	else
		fprintf(out, "sluice: %s: ", severity_name(sev));
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	if (src && primary)
		print_caret_line(out, src, &loc);
	if (sev == SL_SEV_ERROR && d->nerrors == limit) {
		if (d->held)
			d->stopped = true;
		else
			fprintf(out, "sluice: too many errors, stopping\n");
	}
	if (out == d->out)
		return;
	fclose(out);
	if (text)
		emit(d, sev, loc, text, len);
}

void sl_diag_plain(struct sl_diag *d, enum sl_severity sev, const char *fmt, ...)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	va_list ap;

	if (sev == SL_SEV_ERROR)
		d->nerrors++;
	else if (sev == SL_SEV_WARNING)
		d->nwarnings++;
	out = open_memstream(&text, &len);
	if (!out)
		out = d->out;
	fprintf(out, "sluice: %s: ", severity_name(sev));
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	if (out == d->out)
		return;
	fclose(out);
	if (text)
		emit(d, sev, SL_LOC_NONE, text, len);
}

static size_t edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	if (la >= SL_ARRAY_SIZE(row) || lb >= SL_ARRAY_SIZE(row))
		return limit + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0], best;

		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);

			row[j] = sl_min(sl_min(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
			best = sl_min(best, row[j]);
		}
		if (best > limit)
			return limit + 1;
	}
	return row[lb];
}

const char *sl_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t limit = strlen(word) <= 3 ? 1 : 2, best = limit + 1;
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, candidates[i], limit);

		if (dist < best) {
			best = dist;
			found = candidates[i];
		}
	}
	return found;
}
