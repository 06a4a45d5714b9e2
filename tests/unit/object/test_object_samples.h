/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hand-built inputs for the object writer (what codegen and lowering will
 * produce): a policy source, its IR, and BPF programs that count packets in
 * the counter map. Shared by the unit tests and the object conformance tests.
 */
#pragma once

#include <stdbool.h>

#include "ir/ir.h"
#include "common/arena.h"
#include "object/object.h"
#include "common/diag.h"

enum sl_sample_kind {
	SL_SAMPLE_PASS,	   /* one XDP program: r0 = XDP_PASS; exit. No maps. */
	SL_SAMPLE_COUNTER, /* one XDP program that counts every packet in slot 0 */
	SL_SAMPLE_ALL, /* every hook, two tc tables in one section, decision map, rodata table */
};

struct sl_sample {
	struct sl_arena *arena;
	struct sl_sources srcs;
	struct sl_ir *ir;
	struct sl_bpf_object *obj;
};

/* Text of the policy the samples pretend to come from. */
extern const char sl_sample_policy[];

void sl_sample_build(struct sl_sample *s, enum sl_sample_kind kind);
void sl_sample_fini(struct sl_sample *s);
/* Serialise with default options; aborts on failure. */
void sl_sample_serialize(const struct sl_sample *s, int opt_level, void **image, size_t *size);
