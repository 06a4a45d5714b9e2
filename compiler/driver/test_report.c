// SPDX-License-Identifier: GPL-2.0-only
/* The output of `sluice test` (test_report.h): lines, TAP, JUnit XML. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "driver/test_report.h"
#include "object/object.h"
#include "testcase/testcase.h"

struct outcome {
	char *path, *text, *msg, *note;
	unsigned line;
};

struct sl_report {
	FILE *out;
	bool tap;
	size_t n, cap, failed, notes;
	struct outcome *cases;
};

struct sl_report *sl_report_new(FILE *out, bool tap, size_t ncases)
{
	struct sl_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->out = out;
	r->tap = tap;
	if (tap)
		fprintf(out, "TAP version 13\n1..%zu\n", ncases);
	return r;
}

void sl_report_free(struct sl_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->cases[i].path);
		free(r->cases[i].text);
		free(r->cases[i].msg);
		free(r->cases[i].note);
	}
	free(r->cases);
	free(r);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A TAP description: '#' would start a directive. */
static void tap_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void sl_report_case(struct sl_report *r, const char *path, const struct sl_testcase *c,
		    const char *msg, const char *note)
{
	struct outcome *o;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct outcome *grown = realloc(r->cases, cap * sizeof(*grown));

		if (!grown) {
			fprintf(stderr, "sluice: error: out of memory\n");
			exit(2);
		}
		r->cases = grown;
		r->cap = cap;
	}
	o = &r->cases[r->n++];
	*o = (struct outcome){strdup(path), strdup(c->text), dup_or_null(msg), dup_or_null(note),
			      c->loc.line};
	if (!o->path || !o->text || (msg && !o->msg) || (note && !o->note)) {
		fprintf(stderr, "sluice: error: out of memory\n");
		exit(2);
	}
	r->failed += msg != NULL;
	r->notes += note != NULL;
	if (r->tap) {
		fprintf(r->out, "%sok %zu - %s:%u ", msg ? "not " : "", r->n, path, c->loc.line);
		tap_text(r->out, c->text);
		fputc('\n', r->out);
		if (msg)
			fprintf(r->out, "# %s:%u: %s\n", path, c->loc.line, msg);
		if (note)
			fprintf(r->out, "# %s:%u: %s\n", path, c->loc.line, note);
		return;
	}
	if (msg)
		fprintf(r->out, "%s:%u: %s\n", path, c->loc.line, msg);
	if (note)
		fprintf(r->out, "%s:%u: note: %s\n", path, c->loc.line, note);
}

void sl_report_line(struct sl_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->tap)
		fputs("# ", r->out);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}

size_t sl_report_end(struct sl_report *r)
{
	fprintf(r->out, "%s%zu passed, %zu failed", r->tap ? "# " : "", r->n - r->failed,
		r->failed);
	if (r->notes)
		fprintf(r->out, " (%zu with a note)", r->notes);
	fputc('\n', r->out);
	fflush(r->out);
	return r->failed;
}

/* Text in an XML attribute or element; characters XML 1.0 cannot hold become '?'. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			fputc(ch < 0x20 && ch != '\t' && ch != '\n' ? '?' : ch, f);
		}
	}
}

/* The cases of one test file are one <testsuite>, in the order they ran. */
static void junit_suite(FILE *f, const struct sl_report *r, size_t from, size_t to)
{
	size_t failed = 0;

	for (size_t i = from; i < to; i++)
		failed += r->cases[i].msg != NULL;
	fputs("  <testsuite name=\"", f);
	xml_text(f, r->cases[from].path);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n", to - from, failed);
	for (size_t i = from; i < to; i++) {
		const struct outcome *o = &r->cases[i];

		fputs("    <testcase classname=\"", f);
		xml_text(f, o->path);
		fprintf(f, "\" name=\"line %u: ", o->line);
		xml_text(f, o->text);
		fputs("\" file=\"", f);
		xml_text(f, o->path);
		fprintf(f, "\" line=\"%u\"", o->line);
		if (!o->msg && !o->note) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		if (o->msg) {
			fputs("      <failure message=\"", f);
			xml_text(f, o->msg);
			fputs("\"/>\n", f);
		}
		if (o->note) {
			fputs("      <system-out>", f);
			xml_text(f, o->note);
			fputs("</system-out>\n", f);
		}
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

int sl_report_junit(const struct sl_report *r, const char *path)
{
	char *buf = NULL;
	size_t len = 0, from = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -ENOMEM;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"sluice test\" tests=\"%zu\" failures=\"%zu\">\n",
		r->n, r->failed);
	for (size_t i = 1; i <= r->n; i++) {
		if (i == r->n || strcmp(r->cases[i].path, r->cases[from].path)) {
			junit_suite(f, r, from, i);
			from = i;
		}
	}
	fputs("</testsuites>\n", f);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	err = sl_obj_write_file_atomic(path, buf, len);
	free(buf);
	return err;
}
