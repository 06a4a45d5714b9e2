/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ownership hand-off and cleanup attributes, shared by the compiler and the
 * loader (which links nothing from compiler/, so these live beside abi.h).
 */
#ifndef SLUICE_CLEANUP_H
#define SLUICE_CLEANUP_H

#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define SL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Take ownership out of a cleanup-managed variable: the caller becomes the owner. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _sl_tmp = (p);                                                       \
		(p) = NULL;                                                                        \
		_sl_tmp;                                                                           \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _sl_tmp_fd = (fd);                                                             \
		(fd) = -1;                                                                         \
		_sl_tmp_fd;                                                                        \
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

#define _cleanup_free_	__attribute__((cleanup(sl_freep)))
#define _cleanup_close_ __attribute__((cleanup(sl_closep)))

#endif /* SLUICE_CLEANUP_H */
