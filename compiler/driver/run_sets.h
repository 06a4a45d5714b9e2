/* SPDX-License-Identifier: GPL-2.0-only */
/* `sluice run --set NAME=FILE` (run_sets.c). */
#pragma once

#include "ir/ir.h"

/*
 * For each "NAME=FILE" in specs, set NAME of ir holds FILE's elements (one a
 * line, sluice/set_text.h) for the interpreter. 0, or 2 after an error
 * message on stderr (usage: unknown set, unreadable file, bad element, full).
 */
int sl_run_load_sets(struct sl_ir *ir, const char *const *specs, unsigned n);
