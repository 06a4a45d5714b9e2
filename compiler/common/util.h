/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by every stage: ownership hand-off, cleanup attributes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Values of network fields go up to 128 bits (IPv6 addresses). */
typedef unsigned __int128 sl_u128;

#define SL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define sl_min(a, b) ((a) < (b) ? (a) : (b))
#define sl_max(a, b) ((a) > (b) ? (a) : (b))

/* Take ownership out of a cleanup-managed variable: the caller becomes the owner. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _sl_tmp = (p);                                   \
		(p) = NULL;                                                    \
		_sl_tmp;                                                       \
	})

#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _sl_tmp_fd = (fd);                                         \
		(fd) = -1;                                                     \
		_sl_tmp_fd;                                                    \
	})

static inline void sl_freep(void *p)
{
	free(*(void **)p);
}

static inline void sl_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ __attribute__((cleanup(sl_freep)))
#define _cleanup_close_ __attribute__((cleanup(sl_closep)))

/*
 * Grow a dynamic array so that index n fits. Returns 0 or -ENOMEM.
 * Usage: if (sl_grow((void **)&v, &cap, n + 1, sizeof(*v))) ...
 */
int sl_grow(void **array, size_t *cap, size_t need, size_t elem_size);

/* Format a 128-bit unsigned value in decimal into buf (at least 40 bytes). */
char *sl_u128_str(sl_u128 v, char *buf);
