/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bump allocator: one arena per compilation owns every AST node, IR rule and
 * interval array, and is released at once. Allocation failure aborts with a
 * message: a compiler that cannot allocate has nothing useful left to do, and
 * this keeps every pass free of NULL checks on tiny allocations.
 */
#pragma once

#include <stddef.h>

struct sl_arena;

struct sl_arena *sl_arena_new(void);
void sl_arena_free(struct sl_arena *arena);
void sl_arena_freep(struct sl_arena **arena);
#define _cleanup_arena_ __attribute__((cleanup(sl_arena_freep)))

/*
 * An arena whose memory can go before its parent's (sl_arena_release): what
 * only a stage needs (the AST's matches, once lowered). The parent frees it
 * with itself; it is not freed on its own.
 */
struct sl_arena *sl_arena_child(struct sl_arena *parent);
/* Free everything allocated from the arena so far; it stays usable. */
void sl_arena_release(struct sl_arena *arena);

/* Zeroed memory, 16-byte aligned (fits sl_u128). */
void *sl_arena_alloc(struct sl_arena *arena, size_t size);
void *sl_arena_calloc(struct sl_arena *arena, size_t n, size_t size);
/* Copy of old (old_n elements) into a new block of new_n elements. */
void *sl_arena_realloc(struct sl_arena *arena, const void *old, size_t old_n, size_t new_n,
		       size_t size);
char *sl_arena_strdup(struct sl_arena *arena, const char *s);
char *sl_arena_strndup(struct sl_arena *arena, const char *s, size_t n);
char *sl_arena_printf(struct sl_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for --stats and bench). */
size_t sl_arena_used(const struct sl_arena *arena);
