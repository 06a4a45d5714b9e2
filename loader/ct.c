// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tables that track connections (`ct state`, include/sluice/abi.h): the
 * object carries a companion program for the other direction and the flow
 * map both share. Here: find and check them when the object is opened.
 * Attaching the two as one unit: cmd_attach.c.
 */
#include <errno.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ct.h"
#include "kernel.h"
#include "state.h"
#include "target.h"
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

static const char *hook_dir(uint32_t hook)
{
	switch (hook) {
	case SLUICE_HOOK_TC_INGRESS:
		return "tc-ingress";
	case SLUICE_HOOK_TC_EGRESS:
		return "tc-egress";
	case SLUICE_HOOK_CGROUP_INGRESS:
		return "ingress";
	case SLUICE_HOOK_CGROUP_EGRESS:
		return "egress";
	default:
		return "xdp";
	}
}

void sl_ct_target(const struct sl_target *t, uint32_t hook, struct sl_target *out)
{
	char *slash;

	*out = *t;
	out->hook = hook;
	out->order_flag = 0; /* --before/--after place the table, not its companion */
	out->rel_id = 0;
	slash = strrchr(out->pin_dir, '/');
	if (slash)
		snprintf(slash + 1, sizeof(out->pin_dir) - (size_t)(slash + 1 - out->pin_dir), "%s",
			 hook_dir(hook));
}

void sl_ct_view(const struct sl_obj *o, struct sl_obj *view, struct sluice_meta_table *table)
{
	*view = *o;
	*table = *o->table;
	table->hook = o->ct_hook;
	view->table = table;
	view->prog = o->ct_prog;
	view->prog_fd = o->ct_prog_fd;
	view->counters = NULL;
	view->ct_view = true;
}

int sl_ct_reuse_flows(struct sl_obj *o, const char *dir)
{
	int fd, err;

	if (!o->flows)
		return 0;
	fd = sl_pin_open(dir, "flows");
	if (fd < 0)
		return 0; /* no table running there tracks: the new one starts empty */
	err = bpf_map__reuse_fd(o->flows, fd);
	close(fd);
	if (err)
		return sl_err(err, "cannot carry the flow table of %s over: %s", dir,
			      strerror(-err));
	return 0;
}

int sl_ct_probe_helper(enum bpf_prog_type type, uint32_t func_id)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_JMP | BPF_CALL, .imm = (int32_t)func_id},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	char log[1024] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	int fd = bpf_prog_load(type, "sluice_probe", "GPL", insns, SL_ARRAY_SIZE(insns), &opts);
	int err = -errno;

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	/* The verifier's words for a helper it does not know, or not for this type. */
	return strstr(log, "invalid func ") || strstr(log, "unknown func ") ? 0 : err;
}

int sl_ct_check_kernel(const struct sl_obj *o)
{
	/* The kill tests' kind of hook: probe a helper no kernel has, to see the error. */
	const char *test = getenv("SLUICE_TEST_CT_HELPER");
	uint32_t func = test ? (uint32_t)strtoul(test, NULL, 0) : BPF_FUNC_ktime_get_coarse_ns;
	const uint32_t hooks[] = {o->table->hook, o->ct_hook};
	struct utsname u;

	if (!o->ct_prog)
		return 0;
	for (size_t i = 0; i < SL_ARRAY_SIZE(hooks); i++) {
		/* -errno: the probe could not tell (privileges?): the load will say. */
		if (sl_ct_probe_helper(sl_kernel_prog_type(hooks[i]), func))
			continue;
		sl_err(-EOPNOTSUPP,
		       "table '%s' of '%s' tracks connections (`ct state`): its programs call "
		       "bpf_ktime_get_coarse_ns(), which this kernel (Linux %s) lacks for %s "
		       "programs: Linux >= 5.11",
		       sl_meta_str(o->meta, o->table->name_str), o->path,
		       uname(&u) ? "?" : u.release, sl_hook_name(hooks[i]));
		sl_hint("run it on a newer kernel, or without `ct state` "
			"(lang-spec/kernel-requirements.md)");
		return -EOPNOTSUPP;
	}
	return 0;
}
