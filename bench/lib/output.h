/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where the bench tools write their output, the way `sluice build` writes an
 * object (compiler/object/object_file.c): readers see the old file or the whole
 * new one (a temporary file in the target's directory renamed over it); a
 * target that exists and is not a regular file (/dev/null, a FIFO) is written
 * in place, since renaming over it would replace the node with a file.
 */
#pragma once

#include <stdio.h>

/* Writes the whole output to f; returns 0 or -errno. */
typedef int (*cb_output_fn)(FILE *f, const void *ctx);

/*
 * Write through `fn` to `path`, or to stdout when path is NULL or "-".
 * Returns 0 or -errno (-EISDIR for a directory); on error no new file is left.
 */
int cb_write_output(const char *path, cb_output_fn fn, const void *ctx);
