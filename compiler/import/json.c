// SPDX-License-Identifier: GPL-2.0-only
/* The strict JSON reader (json.h): recursive descent, depth-bounded. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/json.h"

struct jp {
	const char *s;
	size_t len, pos;
	uint32_t line;
	size_t line_start;
	char *err;
	size_t errlen;
	bool failed;
	uint32_t eline, ecol;
};

static void __attribute__((format(printf, 2, 3))) fail(struct jp *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	p->eline = p->line;
	p->ecol = (uint32_t)(p->pos - p->line_start + 1);
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

static void ws(struct jp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c == '\n') {
			p->line++;
			p->line_start = p->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		p->pos++;
	}
}

static struct sl_json *node(struct jp *p, enum sl_json_type type)
{
	struct sl_json *j = calloc(1, sizeof(*j));

	if (!j) {
		fail(p, "out of memory");
		return NULL;
	}
	j->type = type;
	j->line = p->line;
	j->col = (uint32_t)(p->pos - p->line_start + 1);
	j->len = 1;
	return j;
}

static bool lit(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return false;
	p->pos += n;
	return true;
}

static int hex4(struct jp *p)
{
	int v = 0;

	if (p->len - p->pos < 4) {
		fail(p, "a \\u escape needs four hex digits");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else {
			p->pos--;
			fail(p, "a \\u escape needs four hex digits");
			return -1;
		}
	}
	return v;
}

static bool put(char **buf, size_t *n, size_t *cap, const char *bytes, size_t k)
{
	if (sl_grow((void **)buf, cap, *n + k + 1, 1))
		return false;
	memcpy(*buf + *n, bytes, k);
	*n += k;
	(*buf)[*n] = '\0';
	return true;
}

static bool put_utf8(char **buf, size_t *n, size_t *cap, unsigned cp)
{
	char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	return put(buf, n, cap, b, k);
}

/* A string at p->pos (on the opening quote), decoded. NULL after fail(). */
static char *string(struct jp *p)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;

	p->pos++;
	if (!put(&buf, &n, &cap, "", 0))
		goto oom;
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return buf;
		}
		if (c < 0x20) {
			fail(p, "control byte 0x%02x in a string (escape it)", c);
			goto bad;
		}
		if (c == '\\') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e;
			int cp;

			p->pos++;
			if (p->pos >= p->len) {
				fail(p, "unterminated string");
				goto bad;
			}
			e = strchr(from, p->s[p->pos]);
			if (e && p->s[p->pos]) {
				p->pos++;
				if (!put(&buf, &n, &cap, &to[e - from], 1))
					goto oom;
				continue;
			}
			if (p->s[p->pos] != 'u') {
				fail(p, "unknown escape '\\%c'", p->s[p->pos]);
				goto bad;
			}
			p->pos++;
			cp = hex4(p);
			if (cp < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "a lone low surrogate");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				int lo;

				if (!lit(p, "\\u")) {
					fail(p, "a high surrogate without its low half");
					goto bad;
				}
				lo = hex4(p);
				if (lo < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "a high surrogate without its low half");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0) {
				fail(p, "\\u0000 (NUL) in a string");
				goto bad;
			}
			if (!put_utf8(&buf, &n, &cap, (unsigned)cp))
				goto oom;
			continue;
		}
		if (c >= 0x80) {
			size_t u =
			    sl_utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);

			if (!u) {
				fail(p, "a byte that is not UTF-8 in a string");
				goto bad;
			}
			if (!put(&buf, &n, &cap, p->s + p->pos, u))
				goto oom;
			p->pos += u;
			continue;
		}
		if (!put(&buf, &n, &cap, p->s + p->pos, 1))
			goto oom;
		p->pos++;
	}
oom:
	fail(p, "out of memory");
bad:
	free(buf);
	return NULL;
}

static bool digits(struct jp *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

static void number(struct jp *p, struct sl_json *j)
{
	size_t start = p->pos;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
			fail(p, "a number with a leading zero");
			return;
		}
	} else if (!digits(p)) {
		fail(p, "a number needs digits");
		return;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p)) {
			fail(p, "digits must follow the decimal point");
			return;
		}
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p)) {
			fail(p, "digits must follow the exponent");
			return;
		}
	}
	j->s = strndup(p->s + start, p->pos - start);
	j->len = (uint32_t)(p->pos - start);
	if (!j->s)
		fail(p, "out of memory");
}

static struct sl_json *value(struct jp *p, unsigned depth);

static bool add(struct jp *p, struct sl_json *j, size_t *cap, char *key, struct sl_json *v)
{
	if (j->n + 1 > *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct sl_json **vv = realloc(j->v, nc * sizeof(*vv));
		char **kk;

		if (!vv) {
			fail(p, "out of memory");
			return false;
		}
		j->v = vv;
		if (key) {
			kk = realloc(j->k, nc * sizeof(*kk));
			if (!kk) {
				fail(p, "out of memory");
				return false;
			}
			j->k = kk;
		}
		*cap = nc;
	}
	j->v[j->n] = v;
	if (key)
		j->k[j->n] = key;
	j->n++;
	return true;
}

static struct sl_json *container(struct jp *p, unsigned depth, bool object)
{
	struct sl_json *j = node(p, object ? SL_JSON_OBJECT : SL_JSON_ARRAY);
	char close = object ? '}' : ']';
	size_t cap = 0;

	if (!j)
		return NULL;
	if (depth >= SL_JSON_MAX_DEPTH) {
		fail(p, "nested deeper than %d levels", SL_JSON_MAX_DEPTH);
		return j;
	}
	p->pos++;
	ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct sl_json *v;

		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				fail(p, "expected a member name (a string)");
				return j;
			}
			key = string(p);
			if (!key)
				return j;
			for (size_t i = 0; i < j->n; i++)
				if (!strcmp(j->k[i], key)) {
					fail(p, "duplicate member \"%s\"", key);
					free(key);
					return j;
				}
			ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				fail(p, "expected ':' after a member name");
				free(key);
				return j;
			}
			p->pos++;
			ws(p);
		}
		v = value(p, depth + 1);
		if (!add(p, j, &cap, key, v)) {
			free(key);
			sl_json_free(v);
			return j;
		}
		if (p->failed)
			return j;
		ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			ws(p);
			if (p->pos < p->len && p->s[p->pos] == close) {
				fail(p, "a trailing comma");
				return j;
			}
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return j;
		}
		fail(p, "expected ',' or '%c'", close);
		return j;
	}
}

static struct sl_json *value(struct jp *p, unsigned depth)
{
	struct sl_json *j;
	char c;

	if (p->pos >= p->len) {
		fail(p, "expected a value, found the end of the input");
		return NULL;
	}
	c = p->s[p->pos];
	if (c == '{' || c == '[')
		return container(p, depth, c == '{');
	if (c == '"') {
		j = node(p, SL_JSON_STRING);
		if (j) {
			size_t start = p->pos;

			j->s = string(p);
			j->len = (uint32_t)(p->pos - start);
		}
		return j;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		j = node(p, SL_JSON_NUMBER);
		if (j)
			number(p, j);
		return j;
	}
	j = node(p, SL_JSON_NULL);
	if (!j)
		return NULL;
	if (lit(p, "null"))
		j->len = 4;
	else if (lit(p, "true"))
		*j = (struct sl_json){SL_JSON_BOOL, j->line, j->col, 4, true, NULL, 0, NULL, NULL};
	else if (lit(p, "false"))
		*j = (struct sl_json){SL_JSON_BOOL, j->line, j->col, 5, false, NULL, 0, NULL, NULL};
	else
		fail(p, "expected a value");
	return j;
}

int sl_json_parse(const char *text, size_t len, struct sl_json **out, uint32_t *line, uint32_t *col,
		  char *err, size_t errlen)
{
	struct jp p = {.s = text, .len = len, .line = 1, .err = err, .errlen = errlen};
	struct sl_json *j;

	*out = NULL;
	ws(&p);
	j = value(&p, 0);
	ws(&p);
	if (!p.failed && p.pos < p.len)
		fail(&p, "more after the JSON value");
	if (p.failed) {
		sl_json_free(j);
		*line = p.eline;
		*col = p.ecol;
		return -EINVAL;
	}
	*out = j;
	return 0;
}

void sl_json_free(struct sl_json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		sl_json_free(j->v[i]);
		if (j->k)
			free(j->k[i]);
	}
	free(j->v);
	free(j->k);
	free(j->s);
	free(j);
}

const struct sl_json *sl_json_get(const struct sl_json *j, const char *key)
{
	if (!j || j->type != SL_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		if (!strcmp(j->k[i], key))
			return j->v[i];
	return NULL;
}

bool sl_json_int(const struct sl_json *j, int64_t *v)
{
	char *end;

	if (!j || j->type != SL_JSON_NUMBER || strpbrk(j->s, ".eE"))
		return false;
	errno = 0;
	*v = strtoll(j->s, &end, 10);
	return !errno && !*end;
}
