/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The metadata section of an object file, read with the shared parser
 * (sluice/meta.h, abi/meta.c), and the choice of one of its tables.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <sluice/abi.h>
#include <sluice/hook.h>
#include <sluice/meta.h>

/* Reads the section from an object file; prints what is wrong on error. */
int sl_meta_from_object(const char *path, struct sl_meta **out);
/* The table called name (or the only table when name is NULL); prints errors. */
int sl_meta_pick_table(const struct sl_meta *m, const char *path, const char *name,
		       const struct sluice_meta_table **out);
