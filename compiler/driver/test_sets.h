/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `sluice test`: the contents of named sets a test file gives its cases
 * (`set NAME = { ... }`, lang-spec/test-format.md section 8), for the
 * interpreter (the IR set's elements) and for the kernel (its map keys).
 */
#pragma once

#include "common/arena.h"
#include "common/diag.h"
#include "ir/ir.h"
#include "testcase/testcase.h"

/* What every set of ir holds before a test file changes it: the policy's elements. */
struct sl_test_sets {
	uint32_t n;
	const struct sl_ir_set_elem **elems;
	uint32_t *nelems, *nkeys;
	const uint8_t **keys;
};

int sl_test_sets_save(struct sl_test_sets *s, const struct sl_ir *ir);
/* Every set back to the policy's elements (a new test file starts from them). */
void sl_test_sets_reset(const struct sl_test_sets *s, const struct sl_ir *ir);
void sl_test_sets_fini(struct sl_test_sets *s);
/*
 * Set d->name of ir holds d's elements from now on (interpreter and keys).
 * Errors are reported at the element (or the name) through diag: -EINVAL.
 */
int sl_test_sets_apply(const struct sl_ir *ir, struct sl_arena *arena, struct sl_diag *diag,
		       const struct sl_tc_setdef *d);
