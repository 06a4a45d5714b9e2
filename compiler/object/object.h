/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The object stage: code generation's result (emit/bpf_object.h: programs,
 * maps, relocations, line info) serialised into a BPF ELF object, with BTF,
 * .BTF.ext and the sluice metadata (include/sluice/abi.h). The reader
 * (object_read.h) and the listing (listing.h) serve `sluice dump --bpf`.
 */
#pragma once

#include <stddef.h>

#include "emit/bpf_object.h"

struct sl_obj_opts {
	int opt_level;
	const char *compiler; /* "sluice 0.1.0" */
};

/*
 * Serialise to an ELF image in memory (malloc'd, caller frees). Returns 0 or
 * -errno. The metadata describes the rules of `ir`: pass the IR as written
 * (before optimisation), so that removed rules keep their text and slots.
 */
int sl_obj_serialize(const struct sl_bpf_object *obj, const struct sl_ir *ir,
		     const struct sl_obj_opts *opts, struct sl_diag *diag, void **image,
		     size_t *size);

/* Write a file atomically: a temporary file in the same directory, fsync, rename. */
int sl_obj_write_file_atomic(const char *path, const void *data, size_t size);
