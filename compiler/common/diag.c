// SPDX-License-Identifier: GPL-2.0-only
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
	va_list ap;

	if (sev == SL_SEV_ERROR)
		d->nerrors++;
	else if (sev == SL_SEV_WARNING)
		d->nwarnings++;
	if (sev == SL_SEV_WARNING && d->quiet_warnings)
		return;
	if (d->nerrors > limit)
		return;

	if (src)
		fprintf(d->out, "%s:%u:%u: %s: ", src->path, loc.line, loc.col, severity_name(sev));
	else
		fprintf(d->out, "sluice: %s: ", severity_name(sev));
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
	if (src && (sev == SL_SEV_ERROR || sev == SL_SEV_WARNING))
		print_caret_line(d->out, src, &loc);
	if (sev == SL_SEV_ERROR && d->nerrors == limit)
		fprintf(d->out, "sluice: too many errors, stopping\n");
}

void sl_diag_plain(struct sl_diag *d, enum sl_severity sev, const char *fmt, ...)
{
	va_list ap;

	if (sev == SL_SEV_ERROR)
		d->nerrors++;
	else if (sev == SL_SEV_WARNING)
		d->nwarnings++;
	fprintf(d->out, "sluice: %s: ", severity_name(sev));
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
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
