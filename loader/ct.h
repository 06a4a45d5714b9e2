/* SPDX-License-Identifier: GPL-2.0-only */
/* Tables that track connections: their companion program and flow map (ct.c). */
#pragma once

#include <stdbool.h>

#include "obj.h"

/* The hook of the companion of a table at `hook` (enum sluice_meta_hook). */
uint32_t sl_ct_companion_hook(uint32_t hook);
/* Whether a program at `hook` sees packets leaving the host. */
bool sl_ct_hook_out(uint32_t hook);
/* Whether p is the companion of the object's table. */
bool sl_ct_is_companion(const struct sl_obj *o, const struct bpf_program *p);
/* Finds and prepares the companion and the flow map, when the table has them; 0 or -errno. */
int sl_ct_pick(struct sl_obj *o, enum bpf_attach_type (*expected)(uint32_t hook));
