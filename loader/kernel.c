// SPDX-License-Identifier: GPL-2.0-only
/*
 * The running kernel's capabilities, checked before loading (kernel.h).
 * Release comparisons cover what has no cheap probe; the program type and
 * the cgroup_skb test-run view are probed.
 */
#include "kernel.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "meta.h"
#include "util.h"

/* Every program: JMP32 (5.1), frozen read-only maps and the 1M budget (5.2). */
static const struct sl_kfeature base_feature = {
    "BPF programs as sluice emits them (JMP32 jumps, read-only maps, the verifier's "
    "1-million-instruction budget)",
    5, 2};
static const struct sl_kfeature xdp_link = {"BPF links for XDP (attach, atomic replace)", 5, 9};
static const struct sl_kfeature cgroup_link = {"BPF links for cgroups (attach, atomic replace)", 5,
					       7};

static const struct sl_kfeature ringbuf = {"BPF ring buffers (the records of `log` rules)", 5, 8};
static const struct sl_kfeature xdp_load_bytes = {
    "bpf_xdp_load_bytes (the packet bytes of `log` records on xdp)", 5, 18};

static bool older(unsigned major, unsigned minor, const struct sl_kfeature *f)
{
	return major < f->major || (major == f->major && minor < f->minor);
}

const struct sl_kfeature *sl_kernel_missing(uint32_t hook, bool attach, bool logs, unsigned major,
					    unsigned minor)
{
	if (older(major, minor, &base_feature))
		return &base_feature;
	if (logs && older(major, minor, &ringbuf))
		return &ringbuf;
	if (logs && hook == SLUICE_HOOK_XDP && older(major, minor, &xdp_load_bytes))
		return &xdp_load_bytes;
	if (!attach)
		return NULL;
	if (hook == SLUICE_HOOK_XDP && older(major, minor, &xdp_link))
		return &xdp_link;
	if ((hook == SLUICE_HOOK_CGROUP_INGRESS || hook == SLUICE_HOOK_CGROUP_EGRESS) &&
	    older(major, minor, &cgroup_link))
		return &cgroup_link;
	/* tc: tcx (6.6) when the kernel has it, legacy clsact + cls_bpf before. */
	return NULL;
}

int sl_kernel_check(uint32_t hook, bool attach, bool logs)
{
	const char *ignore = getenv("SLUICE_IGNORE_KERNEL_VERSION");
	const struct sl_kfeature *f;
	unsigned major = 0, minor = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0; /* unknown release: let the kernel judge */
	f = ignore && !strcmp(ignore, "1") ? NULL
					   : sl_kernel_missing(hook, attach, logs, major, minor);
	if (f) {
		sl_err(-EOPNOTSUPP,
		       "this kernel (Linux %s) lacks %s, which %s programs need: Linux >= %u.%u",
		       u.release, f->what, sl_hook_name(hook), f->major, f->minor);
		sl_hint("run on a newer kernel (lang-spec/kernel-requirements.md lists what each "
			"hook needs); if this kernel has the feature backported, set "
			"SLUICE_IGNORE_KERNEL_VERSION=1");
		return -EOPNOTSUPP;
	}
	/*
	 * The probe says 0 for any refused load; a socket filter (any kernel with
	 * bpf()) tells a missing program type from missing privileges.
	 */
	if (libbpf_probe_bpf_prog_type(sl_kernel_prog_type(hook), NULL) == 0 &&
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, NULL) == 1) {
		sl_err(-EOPNOTSUPP, "this kernel (Linux %s) has no %s programs (%s)", u.release,
		       sl_hook_name(hook), libbpf_bpf_prog_type_str(sl_kernel_prog_type(hook)));
		sl_hint("the kernel was built without them; use a kernel configured with "
			"CONFIG_BPF_SYSCALL%s",
			hook == SLUICE_HOOK_CGROUP_INGRESS || hook == SLUICE_HOOK_CGROUP_EGRESS
			    ? " and CONFIG_CGROUP_BPF"
			: hook == SLUICE_HOOK_XDP ? ""
						  : " and CONFIG_NET_CLS_BPF");
		return -EOPNOTSUPP;
	}
	return 0;
}

int sl_kernel_prepare_test_run(struct bpf_program *prog, uint32_t hook)
{
	enum bpf_prog_type type;
	struct utsname u;
	int err;

	err = sl_kernel_test_run_type(hook, &type);
	if (err == -EOPNOTSUPP) {
		if (uname(&u))
			strcpy(u.release, "?");
		sl_err(err,
		       "this kernel (Linux %s) cannot test-run %s programs on packets: its "
		       "BPF_PROG_TEST_RUN gives them no packet data (fixed in Linux 6.14), and "
		       "it has no LWT_IN programs to stand in",
		       u.release, sl_hook_name(hook));
		sl_hint("attached programs are not affected; test on a kernel >= 6.14 or one "
			"with CONFIG_LWTUNNEL_BPF");
		return err;
	}
	if (err)
		return 0; /* the probe could not run: the load says why */
	if (type == bpf_program__type(prog))
		return 0;
	bpf_program__set_type(prog, type);
	bpf_program__set_expected_attach_type(prog, 0);
	return 0;
}
