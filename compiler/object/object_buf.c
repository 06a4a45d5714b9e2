// SPDX-License-Identifier: GPL-2.0-only
/* Byte buffers and de-duplicating string tables for the object writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_priv.h"
#include "common/util.h"

void sl_obj_buf_fini(struct sl_obj_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int sl_buf_reserve(struct sl_obj_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return -ENOMEM;
	if (b->len + extra <= b->cap)
		return 0;
	while (cap < b->len + extra) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int sl_obj_buf_append(struct sl_obj_buf *b, const void *data, size_t len)
{
	int r = sl_buf_reserve(b, len);

	if (r)
		return r;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int sl_obj_buf_append_u32(struct sl_obj_buf *b, uint32_t v)
{
	return sl_obj_buf_append(b, &v, sizeof(v));
}

int sl_obj_buf_pad(struct sl_obj_buf *b, size_t align)
{
	size_t pad = (align - b->len % align) % align;
	int r = sl_buf_reserve(b, pad);

	if (r)
		return r;
	memset(b->data + b->len, 0, pad);
	b->len += pad;
	return 0;
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int strtab_rehash(struct sl_obj_strtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 64;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->nslots; i++) {
		uint32_t v = t->slots[i];
		size_t j;

		if (!v)
			continue;
		j = str_hash((const char *)t->buf.data + v - 1) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = v;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

int sl_obj_strtab_init(struct sl_obj_strtab *t)
{
	memset(t, 0, sizeof(*t));
	return sl_obj_buf_append(&t->buf, "", 1);
}

void sl_obj_strtab_fini(struct sl_obj_strtab *t)
{
	sl_obj_buf_fini(&t->buf);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int sl_obj_strtab_add(struct sl_obj_strtab *t, const char *s, uint32_t *off)
{
	size_t len = strlen(s), j;
	int r;

	if (!*s) {
		*off = 0;
		return 0;
	}
	if ((t->nused + 1) * 2 > t->nslots) {
		r = strtab_rehash(t);
		if (r)
			return r;
	}
	j = str_hash(s) & (t->nslots - 1);
	for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
		if (!strcmp((const char *)t->buf.data + t->slots[j] - 1, s)) {
			*off = t->slots[j] - 1;
			return 0;
		}
	}
	if (t->buf.len + len + 1 >= UINT32_MAX)
		return -E2BIG;
	*off = (uint32_t)t->buf.len;
	r = sl_obj_buf_append(&t->buf, s, len + 1);
	if (r)
		return r;
	t->slots[j] = *off + 1;
	t->nused++;
	return 0;
}
