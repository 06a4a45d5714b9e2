// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel half of `sluice test --kernel` (test_kernel.h). Loads through
 * libbpf from the object's bytes, as `sluice-load run` does, so what is
 * tested is the object `sluice build` writes (with decisions recorded).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "driver/test_kernel.h"
#include "ir/ir.h"
#include "kernel.h" /* loader/: the program type this kernel test-runs a hook with */
#include "sluice/abi.h"

bool sl_test_kernel_usable(char *why, size_t size)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_probe", 4, 4, 1, NULL);

	if (fd < 0) {
		snprintf(why, size,
			 "cannot create a BPF map (%s): run as root, or with CAP_BPF, "
			 "CAP_PERFMON and CAP_NET_ADMIN",
			 strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/*
 * libbpf's messages: warnings and errors (a refused program's verifier log)
 * go to stderr, but not its word on the metadata section, which is sluice's
 * own and expected.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (strstr(line, "skipping unrecognized data section") && strstr(line, ".sluice."))
		return 0;
	return fputs(line, stderr);
}

void sl_test_kernel_close(struct sl_test_kernel *k)
{
	if (k->obj)
		bpf_object__close(k->obj);
	k->obj = NULL;
	k->prog_fd = k->decision_fd = k->ct_prog_fd = k->flows_fd = -1;
}

/* Test-run p with the program type this kernel gives its hook the packet with. */
static int test_run_type(struct bpf_program *p, enum sl_hook hook)
{
	enum bpf_prog_type type;
	int err = sl_kernel_test_run_type((uint32_t)hook, &type);

	if (err == -EOPNOTSUPP) {
		fprintf(stderr,
			"sluice: error: this kernel's test run of %s programs does not give them "
			"the packet, and it has no BPF_PROG_TYPE_LWT_IN to stand in\n",
			sl_hook_name(hook));
		return err;
	}
	if (!err && type != bpf_program__type(p)) {
		bpf_program__set_type(p, type);
		bpf_program__set_expected_attach_type(p, 0);
	}
	return 0;
}

int sl_test_kernel_open(const void *image, size_t size, const char *prog, enum sl_hook hook,
			const char *companion, enum sl_hook ct_hook, struct sl_test_kernel *k)
{
	struct bpf_program *ct = NULL;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = prog);
	struct bpf_program *p, *mine = NULL;
	struct bpf_map *map;
	int err;

	*k = (struct sl_test_kernel){.hook = hook,
				     .prog_fd = -1,
				     .decision_fd = -1,
				     .ct_hook = ct_hook,
				     .ct_prog_fd = -1,
				     .flows_fd = -1};
	libbpf_set_print(libbpf_print);
	k->obj = bpf_object__open_mem(image, size, &opts);
	if (!k->obj) {
		err = -errno;
		fprintf(stderr, "sluice: error: libbpf cannot open the compiled object: %s\n",
			strerror(-err));
		return err;
	}
	bpf_object__for_each_program(p, k->obj)
	{
		bool it = !strcmp(bpf_program__name(p), prog);
		bool comp = companion && !strcmp(bpf_program__name(p), companion);

		bpf_program__set_autoload(p, it || comp);
		if (it)
			mine = p;
		if (comp)
			ct = p;
	}
	if (companion && !ct) {
		fprintf(stderr, "sluice: error: the object has no program '%s'\n", companion);
		sl_test_kernel_close(k);
		return -ENOENT;
	}
	if (!mine) {
		fprintf(stderr, "sluice: error: the object has no program '%s'\n", prog);
		sl_test_kernel_close(k);
		return -ENOENT;
	}
	err = test_run_type(mine, hook);
	if (!err && ct)
		err = test_run_type(ct, ct_hook);
	if (err) {
		sl_test_kernel_close(k);
		return err;
	}
	err = bpf_object__load(k->obj);
	if (err) {
		fprintf(stderr, "sluice: error: the kernel refused program '%s' (%s): %s\n", prog,
			sl_hook_name(hook), strerror(-err));
		sl_test_kernel_close(k);
		return err;
	}
	k->prog_fd = bpf_program__fd(mine);
	map = bpf_object__find_map_by_name(k->obj, SLUICE_DECISION_MAP);
	k->decision_fd = map ? bpf_map__fd(map) : -1;
	if (ct) {
		k->ct_prog_fd = bpf_program__fd(ct);
		map = bpf_object__find_map_by_name(k->obj, SLUICE_FLOW_MAP);
		k->flows_fd = map ? bpf_map__fd(map) : -1;
	}
	return 0;
}

/* The verdict a program's return code means: 1 accept, 0 drop, -1 neither. */
static int verdict_of(enum sl_hook hook, int32_t ret)
{
	switch (hook) {
	case SL_HOOK_XDP:
		return ret == 2 /* XDP_PASS */ ? 1 : ret == 1 /* XDP_DROP */ ? 0 : -1;
	case SL_HOOK_TC_INGRESS:
	case SL_HOOK_TC_EGRESS:
		return ret == 0 || ret == -1 /* TC_ACT_OK, TC_ACT_UNSPEC */ ? 1
		       : ret == 2 /* TC_ACT_SHOT */			    ? 0
									    : -1;
	default:
		return ret == 1 ? 1 : ret == 0 ? 0 : -1;
	}
}

/* Frames net/bpf/test_run.c refuses (loader/cmd_run.c says the same). */
static bool refused(enum sl_hook hook, const uint8_t *f, size_t len, char *why, size_t size)
{
	uint16_t type = len >= 14 ? (uint16_t)(f[12] << 8 | f[13]) : 0;
	bool skb = hook != SL_HOOK_XDP;

	if (len < 14)
		snprintf(why, size, "the kernel cannot test-run frames under 14 bytes");
	else if (skb && ((type == SL_ETH_P_IP && len < 14 + 20) ||
			 (type == SL_ETH_P_IPV6 && len < 14 + 40)))
		snprintf(why, size,
			 "the kernel cannot test-run tc or cgroup_skb frames with a cut IP header");
	else
		return false;
	return true;
}

/* One test run; a frame the kernel will not test-run is -EOPNOTSUPP, the reason in why. */
static int run_frame(int prog_fd, struct bpf_test_run_opts *opts, size_t len, char *why,
		     size_t size)
{
	int err;

	if (!bpf_prog_test_run_opts(prog_fd, opts))
		return 0;
	err = -errno;
	if (err == -EINVAL) {
		snprintf(why, size, "the kernel refused to test-run this frame (%zu bytes)", len);
		return -EOPNOTSUPP;
	}
	fprintf(stderr, "sluice: error: the kernel's test run failed: %s\n", strerror(-err));
	return err;
}

int sl_test_kernel_run(const struct sl_test_kernel *k, const uint8_t *frame, size_t len,
		       bool *accept, uint32_t *rule, char *why, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .repeat = 1);
	uint32_t key = 0, unset = SL_TEST_KERNEL_UNKNOWN;
	int v;

	if (refused(k->hook, frame, len, why, size))
		return -EOPNOTSUPP;
	if (k->decision_fd >= 0 && bpf_map_update_elem(k->decision_fd, &key, &unset, BPF_ANY)) {
		fprintf(stderr, "sluice: error: cannot reset the decision map: %s\n",
			strerror(errno));
		return -errno;
	}
	v = run_frame(k->prog_fd, &opts, len, why, size);
	if (v)
		return v;
	v = verdict_of(k->hook, (int32_t)opts.retval);
	if (v < 0) {
		fprintf(stderr, "sluice: error: the program returned %d, not a verdict of %s\n",
			(int32_t)opts.retval, sl_hook_name(k->hook));
		return -EINVAL;
	}
	*accept = v == 1;
	*rule = SL_TEST_KERNEL_UNKNOWN;
	if (k->decision_fd >= 0 && bpf_map_lookup_elem(k->decision_fd, &key, rule))
		*rule = SL_TEST_KERNEL_UNKNOWN;
	return 0;
}

int sl_test_kernel_fill_sets(const struct sl_test_kernel *k, const struct sl_ir *ir,
			     const char *const *map_names)
{
	for (uint32_t i = 0; i < ir->nsets; i++) {
		const struct sl_ir_set *s = &ir->sets[i];
		bool lpm = s->flags & SLUICE_SET_F_INTERVAL;
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = lpm ? BPF_F_NO_PREALLOC : 0);
		struct bpf_map *outer = bpf_object__find_map_by_name(k->obj, map_names[i]);
		struct sluice_set_value v = {0}; /* never expires: a case has no clock */
		uint32_t zero = 0;
		int inner, err = 0;

		if (!outer) {
			fprintf(stderr, "sluice: error: the object has no map '%s' for set '%s'\n",
				map_names[i], s->name);
			return -ENOENT;
		}
		inner = bpf_map_create(lpm ? BPF_MAP_TYPE_LPM_TRIE : BPF_MAP_TYPE_HASH, "slt_set",
				       s->key_size, sizeof(v), s->capacity, &opts);
		if (inner < 0) {
			err = -errno;
			fprintf(stderr, "sluice: error: cannot create the map of set '%s': %s\n",
				s->name, strerror(-err));
			return err;
		}
		for (uint32_t j = 0; j < s->nkeys && !err; j++)
			if (bpf_map_update_elem(inner, s->keys + (size_t)j * s->key_size, &v,
						BPF_ANY))
				err = -errno;
		if (!err && bpf_map_update_elem(bpf_map__fd(outer), &zero, &inner, BPF_ANY))
			err = -errno;
		close(inner);
		if (err) {
			fprintf(stderr, "sluice: error: cannot fill the map of set '%s': %s\n",
				s->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

int sl_test_kernel_flush_flows(const struct sl_test_kernel *k)
{
	struct sluice_flow_key key;

	if (k->flows_fd < 0)
		return 0;
	/* delete the first key until none is left: deleting as we walk would skip keys */
	while (!bpf_map_get_next_key(k->flows_fd, NULL, &key)) {
		if (bpf_map_delete_elem(k->flows_fd, &key)) {
			int err = -errno;

			fprintf(stderr, "sluice: error: cannot empty the flow table: %s\n",
				strerror(-err));
			return err;
		}
	}
	return 0;
}

int sl_test_kernel_run_companion(const struct sl_test_kernel *k, const uint8_t *frame, size_t len,
				 char *why, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .repeat = 1);
	int err;

	if (refused(k->ct_hook, frame, len, why, size))
		return -EOPNOTSUPP;
	err = run_frame(k->ct_prog_fd, &opts, len, why, size);
	if (err)
		return err;
	if (verdict_of(k->ct_hook, (int32_t)opts.retval) != 1) {
		fprintf(stderr, "sluice: error: the companion program returned %d, not accept\n",
			(int32_t)opts.retval);
		return -EPROTO;
	}
	return 0;
}
