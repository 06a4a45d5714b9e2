// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tables that track connections (`ct state`, include/sluice/abi.h): the
 * object carries a companion program for the other direction and the flow
 * map both share. Here: find and check them when the object is opened.
 * Attaching the two as one unit: cmd_attach.c.
 */
#include <errno.h>
#include <string.h>

#include "ct.h"
#include "kernel.h"
#include "util.h"

uint32_t sl_ct_companion_hook(uint32_t hook)
{
	switch (hook) {
	case SLUICE_HOOK_TC_EGRESS:
		return SLUICE_HOOK_TC_INGRESS;
	case SLUICE_HOOK_CGROUP_INGRESS:
		return SLUICE_HOOK_CGROUP_EGRESS;
	case SLUICE_HOOK_CGROUP_EGRESS:
		return SLUICE_HOOK_CGROUP_INGRESS;
	default: /* XDP and tc ingress see no outgoing packet: tc egress does */
		return SLUICE_HOOK_TC_EGRESS;
	}
}

bool sl_ct_hook_out(uint32_t hook)
{
	return hook == SLUICE_HOOK_TC_EGRESS || hook == SLUICE_HOOK_CGROUP_EGRESS;
}

bool sl_ct_is_companion(const struct sl_obj *o, const struct bpf_program *p)
{
	return o->table->ct_prog_str &&
	       !strcmp(bpf_program__name(p), sl_meta_str(o->meta, o->table->ct_prog_str));
}

int sl_ct_pick(struct sl_obj *o, enum bpf_attach_type (*expected)(uint32_t hook))
{
	const char *want;
	struct bpf_program *p;
	struct bpf_map *m;
	uint32_t hook;

	if (!o->table->ct_prog_str)
		return 0;
	want = sl_meta_str(o->meta, o->table->ct_prog_str);
	hook = sl_ct_companion_hook(o->table->hook);
	bpf_object__for_each_program(p, o->obj)
	{
		if (!strcmp(bpf_program__name(p), want))
			o->ct_prog = p;
	}
	if (!o->ct_prog) {
		sl_err(-ENOENT,
		       "'%s': the metadata names companion program '%s', but the object "
		       "has no such program",
		       o->path, want);
		sl_hint("the object is damaged or was edited; rebuild it with `sluice build`");
		return -ENOENT;
	}
	bpf_program__set_autoload(o->ct_prog, true);
	bpf_program__set_type(o->ct_prog, sl_kernel_prog_type(hook));
	if (expected(hook))
		bpf_program__set_expected_attach_type(o->ct_prog, expected(hook));
	o->ct_hook = hook;
	m = bpf_object__find_map_by_name(o->obj, SLUICE_FLOW_MAP);
	if (!m || bpf_map__type(m) != BPF_MAP_TYPE_LRU_HASH ||
	    bpf_map__key_size(m) != sizeof(struct sluice_flow_key) ||
	    bpf_map__value_size(m) != sizeof(struct sluice_flow)) {
		sl_err(-EINVAL,
		       "'%s': the table tracks connections, but map '%s' is missing or not "
		       "an LRU hash of struct sluice_flow_key -> struct sluice_flow",
		       o->path, SLUICE_FLOW_MAP);
		sl_hint("the object is damaged or was edited; rebuild it with `sluice build`");
		return -EINVAL;
	}
	o->flows = m;
	return 0;
}
