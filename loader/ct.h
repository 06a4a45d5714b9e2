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
/* What an attachment is to connection tracking (struct sl_state.ct_role). */
enum sl_ct_role {
	SL_CT_ROLE_NONE = 0,
	SL_CT_ROLE_TABLE = 1,	  /* a table with a companion in the sibling directory */
	SL_CT_ROLE_COMPANION = 2, /* the companion of the table in the sibling directory */
};

struct sl_target;
/* The companion's target: t's device or cgroup at the companion hook (shares t's cgroup fd). */
void sl_ct_target(const struct sl_target *t, uint32_t hook, struct sl_target *out);
/* The companion's view of o: its program at its hook, no counters. */
void sl_ct_view(const struct sl_obj *o, struct sl_obj *view, struct sluice_meta_table *table);
/* Replace: the running flow table (pinned as "flows" in dir) serves the new object too. */
int sl_ct_reuse_flows(struct sl_obj *o, const char *dir);
/* Finds and prepares the companion and the flow map, when the table has them; 0 or -errno. */
int sl_ct_pick(struct sl_obj *o, enum bpf_attach_type (*expected)(uint32_t hook));
/*
 * 1 when programs of `type` may call helper func_id on this kernel, 0 when the
 * verifier does not know it (for that type), -errno when the probe could not tell.
 */
int sl_ct_probe_helper(enum bpf_prog_type type, uint32_t func_id);
/* A table that tracks connections on a kernel without what its flow table needs: 0 or -EOPNOTSUPP.
 */
int sl_ct_check_kernel(const struct sl_obj *o);
