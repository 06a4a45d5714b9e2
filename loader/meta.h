/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The choice of one of an object's tables from its metadata (read by obj.c
 * with the shared parser, sluice/meta.h, abi/meta.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <sluice/abi.h>
#include <sluice/hook.h>
#include <sluice/meta.h>

/* The table called name (or the only table when name is NULL); prints errors. */
int sl_meta_pick_table(const struct sl_meta *m, const char *path, const char *name,
		       const struct sluice_meta_table **out);
