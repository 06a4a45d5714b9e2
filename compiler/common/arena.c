// SPDX-License-Identifier: GPL-2.0-only
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_ARENA_CHUNK (64 * 1024)
#define SL_ARENA_ALIGN 16

struct sl_arena_chunk {
	struct sl_arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct sl_arena {
	struct sl_arena_chunk *head;
	size_t total;
	struct sl_arena *children, *next; /* sl_arena_child(): freed with the parent */
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "sluice: out of memory\n");
		abort();
	}
	return p;
}

struct sl_arena *sl_arena_new(void)
{
	return xcalloc(1, sizeof(struct sl_arena));
}

static void free_chunks(struct sl_arena *arena)
{
	struct sl_arena_chunk *c, *next;

	for (c = arena->head; c; c = next) {
		next = c->next;
		free(c);
	}
	arena->head = NULL;
	arena->total = 0;
}

void sl_arena_free(struct sl_arena *arena)
{
	struct sl_arena *child, *next;

	if (!arena)
		return;
	for (child = arena->children; child; child = next) {
		next = child->next;
		sl_arena_free(child);
	}
	free_chunks(arena);
	free(arena);
}

struct sl_arena *sl_arena_child(struct sl_arena *parent)
{
	struct sl_arena *child = xcalloc(1, sizeof(*child));

	child->next = parent->children;
	parent->children = child;
	return child;
}

void sl_arena_release(struct sl_arena *arena)
{
	free_chunks(arena);
}

void sl_arena_freep(struct sl_arena **arena)
{
	sl_arena_free(*arena);
	*arena = NULL;
}

void *sl_arena_alloc(struct sl_arena *arena, size_t size)
{
	struct sl_arena_chunk *c = arena->head;
	size_t need = (size + SL_ARENA_ALIGN - 1) & ~(size_t)(SL_ARENA_ALIGN - 1);
	void *p;

	if (size > SIZE_MAX / 2) {
		fprintf(stderr, "sluice: allocation too large\n");
		abort();
	}
	if (!c || c->size - c->used < need) {
		size_t chunk = need > SL_ARENA_CHUNK ? need : SL_ARENA_CHUNK;

		c = xcalloc(1, sizeof(*c) + chunk);
		c->size = chunk;
		c->next = arena->head;
		arena->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	arena->total += need;
	return p;
}

void *sl_arena_calloc(struct sl_arena *arena, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / 2 / size) {
		fprintf(stderr, "sluice: allocation too large\n");
		abort();
	}
	return sl_arena_alloc(arena, n * size);
}

void *sl_arena_realloc(struct sl_arena *arena, const void *old, size_t old_n, size_t new_n,
		       size_t size)
{
	void *p = sl_arena_calloc(arena, new_n, size);

	if (old && old_n)
		memcpy(p, old, (old_n < new_n ? old_n : new_n) * size);
	return p;
}

char *sl_arena_strndup(struct sl_arena *arena, const char *s, size_t n)
{
	char *p = sl_arena_alloc(arena, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sl_arena_strdup(struct sl_arena *arena, const char *s)
{
	return sl_arena_strndup(arena, s, strlen(s));
}

char *sl_arena_printf(struct sl_arena *arena, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = sl_arena_alloc(arena, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

size_t sl_arena_used(const struct sl_arena *arena)
{
	return arena->total;
}
