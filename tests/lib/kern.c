// SPDX-License-Identifier: GPL-2.0-only
#include "kern.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "emit/bpf_object.h"
#include "kernel.h" /* loader/: how this kernel test-runs cgroup_skb programs */

#define LOG_SIZE (16u << 20)

bool sl_kern_required(void)
{
	const char *v = getenv("SLUICE_REQUIRE_KERNEL");

	return v && !strcmp(v, "1");
}

int sl_kern_skip(const char *test, const char *why)
{
	if (sl_kern_required()) {
		fprintf(stderr, "%s: FAIL: kernel required (SLUICE_REQUIRE_KERNEL=1) but %s\n",
			test, why);
		return 1;
	}
	fprintf(stderr, "%s: skipped: %s\n", test, why);
	return SL_KERN_SKIP;
}

bool sl_kern_usable(char *why, size_t size)
{
	if (geteuid() != 0) {
		snprintf(why, size, "not root");
		return false;
	}
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_probe", 4, 4, 1, NULL);

	if (fd < 0) {
		snprintf(why, size, "cannot create a BPF map: %s", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static void prog_init(struct sl_kern_prog *p, enum sl_hook hook)
{
	memset(p, 0, sizeof(*p));
	p->fd = p->counter_fd = p->decision_fd = -1;
	p->hook = hook;
}

void sl_kern_prog_close(struct sl_kern_prog *p)
{
	if (p->obj) {
		bpf_object__close(p->obj); /* owns fd and the map fds */
	} else {
		if (p->fd >= 0)
			close(p->fd);
		for (unsigned i = 0; i < p->nowned; i++)
			close(p->owned_map_fds[i]);
	}
	prog_init(p, p->hook);
}

static enum bpf_prog_type hook_prog_type(enum sl_hook hook)
{
	switch (hook) {
	case SL_HOOK_XDP:
		return BPF_PROG_TYPE_XDP;
	case SL_HOOK_TC_INGRESS:
	case SL_HOOK_TC_EGRESS:
		return BPF_PROG_TYPE_SCHED_CLS;
	default:
		return BPF_PROG_TYPE_CGROUP_SKB;
	}
}

static enum bpf_attach_type hook_attach_type(enum sl_hook hook)
{
	switch (hook) {
	case SL_HOOK_CGROUP_INGRESS:
		return BPF_CGROUP_INET_INGRESS;
	case SL_HOOK_CGROUP_EGRESS:
		return BPF_CGROUP_INET_EGRESS;
	case SL_HOOK_XDP:
		return BPF_XDP;
	default:
		return 0;
	}
}

static void read_prog_info(struct sl_kern_prog *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(p->fd, &info, &len)) {
		p->verified_insns = info.verified_insns;
		p->xlated_insns = info.xlated_prog_len / sizeof(struct bpf_insn);
	}
}

/*
 * Data maps (.rodata.*, .data.*) as libbpf makes them: one value holding the
 * whole section; read-only ones then frozen.
 */
static int create_map(const struct sl_bpf_map *m);

static int create_map(const struct sl_bpf_map *m)
{
	bool data = m->home != SL_BPF_MAP_DEF, rodata = m->home == SL_BPF_MAP_RODATA;
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = m->flags | (rodata ? BPF_F_RDONLY_PROG : 0));
	uint32_t value_size = data ? m->value_size * m->max_entries : m->value_size;
	char name[BPF_OBJ_NAME_LEN];
	uint32_t zero = 0;
	int fd, err = 0, tmpl = -1;

	snprintf(name, sizeof(name), "%s", m->name);
	if (m->inner) {
		/* a map-in-map needs an inner map of the template's shape to exist */
		tmpl = create_map(m->inner);
		if (tmpl < 0)
			return tmpl;
		opts.inner_map_fd = tmpl;
	}
	fd = bpf_map_create(m->type, name, m->key_size, value_size, data ? 1 : m->max_entries,
			    &opts);
	if (tmpl >= 0)
		close(tmpl);
	if (fd < 0)
		return -errno;
	if (data && m->init && bpf_map_update_elem(fd, &zero, m->init, BPF_ANY))
		err = -errno;
	if (!err && rodata && bpf_map_freeze(fd))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * The type to load a `hook` program as for test runs: its own, except for
 * cgroup_skb on kernels whose test runs give it no packet (loader/kernel.h).
 */
static enum bpf_prog_type test_run_type(enum sl_hook hook)
{
	enum bpf_prog_type type;

	if (sl_kernel_test_run_type((uint32_t)hook, &type))
		return hook_prog_type(hook);
	return type;
}

static int load_with_log(enum sl_hook hook, const char *name, const struct bpf_insn *insns,
			 size_t n, char **log)
{
	enum bpf_prog_type type = test_run_type(hook);
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type =
			type == hook_prog_type(hook) ? hook_attach_type(hook) : 0);
	char pname[BPF_OBJ_NAME_LEN];
	int fd, err;

	snprintf(pname, sizeof(pname), "%s", name);
	fd = bpf_prog_load(type, pname, "GPL", insns, n, &opts);
	if (fd >= 0 || !log)
		return fd >= 0 ? fd : -errno;
	err = -errno;
	/* Load again for the log: the tail of a rotated log says what went wrong. */
	*log = calloc(1, LOG_SIZE);
	if (!*log)
		return err;
	opts.log_buf = *log;
	opts.log_size = LOG_SIZE;
	opts.log_level = 1;
	fd = bpf_prog_load(type, pname, "GPL", insns, n, &opts);
	if (fd >= 0) {
		close(fd); /* flaky first failure: report it anyway */
	}
	return err;
}

int sl_kern_load_raw(const struct sl_bpf_object *obj, uint32_t prog, struct sl_kern_prog *out,
		     char **log)
{
	const struct sl_bpf_prog *bp;
	struct bpf_insn *insns;
	int fds[64];
	int err = 0;

	if (log)
		*log = NULL;
	if (prog >= obj->nprogs || obj->nmaps > SL_ARRAY_SIZE(fds))
		return -EINVAL;
	bp = &obj->progs[prog];
	prog_init(out, bp->hook);
	for (uint32_t i = 0; i < obj->nmaps; i++) {
		fds[i] = create_map(&obj->maps[i]);
		if (fds[i] < 0) {
			err = fds[i];
			goto fail;
		}
		out->owned_map_fds[out->nowned++] = fds[i];
	}
	insns = malloc(sizeof(*insns) * (bp->ninsns ? bp->ninsns : 1));
	if (!insns) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(insns, bp->insns, sizeof(*insns) * bp->ninsns);
	for (uint32_t i = 0; i < bp->nrelocs; i++) {
		const struct sl_bpf_reloc *r = &bp->relocs[i];

		/* kfuncs need libbpf's BTF id resolution: load those objects as ELF */
		if (r->kind != SL_BPF_RELOC_MAP || r->insn + 1 >= bp->ninsns ||
		    r->map >= obj->nmaps) {
			free(insns);
			err = -EINVAL;
			goto fail;
		}
		/* data maps are addressed by value plus the offset in imm, as libbpf does */
		insns[r->insn + 1].imm = insns[r->insn].imm;
		insns[r->insn].src_reg = obj->maps[r->map].home != SL_BPF_MAP_DEF
					     ? BPF_PSEUDO_MAP_VALUE
					     : BPF_PSEUDO_MAP_FD;
		insns[r->insn].imm = fds[r->map];
	}
	out->fd = load_with_log(bp->hook, bp->name, insns, bp->ninsns, log);
	free(insns);
	if (out->fd < 0) {
		err = out->fd;
		goto fail;
	}
	if (obj->counter_map >= 0) {
		out->counter_fd = fds[obj->counter_map];
		out->ncounters = obj->maps[obj->counter_map].max_entries;
	}
	if (obj->decision_map >= 0)
		out->decision_fd = fds[obj->decision_map];
	err = sl_kern_sets_raw(out, obj, fds);
	if (err)
		goto fail;
	read_prog_info(out);
	return 0;
fail:
	sl_kern_prog_close(out);
	return err;
}

static enum sl_hook prog_hook(const struct bpf_program *prog)
{
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_XDP:
		return SL_HOOK_XDP;
	case BPF_PROG_TYPE_SCHED_CLS:
		return SL_HOOK_TC_INGRESS;
	default:
		return bpf_program__expected_attach_type(prog) == BPF_CGROUP_INET_EGRESS
			   ? SL_HOOK_CGROUP_EGRESS
			   : SL_HOOK_CGROUP_INGRESS;
	}
}

static char *elf_log;
static size_t elf_log_len;

static int collect_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[4096];
	int n = vsnprintf(line, sizeof(line), fmt, args);

	if (n <= 0 || level == LIBBPF_DEBUG)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	char *grown = realloc(elf_log, elf_log_len + n + 1);

	if (!grown)
		return 0;
	elf_log = grown;
	memcpy(elf_log + elf_log_len, line, n + 1);
	elf_log_len += n;
	return 0;
}

int sl_kern_load_elf(const void *image, size_t size, const char *prog_name,
		     struct sl_kern_prog *out, char **log)
{
	struct bpf_object *obj;
	struct bpf_program *prog = NULL;
	struct bpf_map *map;
	libbpf_print_fn_t old;
	enum sl_hook hook = SL_HOOK_XDP;
	int err;

	if (log)
		*log = NULL;
	prog_init(out, SL_HOOK_XDP);
	elf_log = NULL;
	elf_log_len = 0;
	old = libbpf_set_print(collect_log);
	obj = bpf_object__open_mem(image, size, NULL);
	err = obj ? 0 : -errno;
	if (!err) {
		prog = prog_name ? bpf_object__find_program_by_name(obj, prog_name)
				 : bpf_object__next_program(obj, NULL);
		err = prog ? 0 : -ENOENT;
	}
	if (!err) {
		hook = prog_hook(prog); /* before a test-run type replaces the program's */
		if (test_run_type(hook) != hook_prog_type(hook)) {
			bpf_program__set_type(prog, test_run_type(hook));
			bpf_program__set_expected_attach_type(prog, 0);
		}
		err = sl_kern_sets_elf(out, obj, false);
		if (!err)
			err = bpf_object__load(obj);
	}
	libbpf_set_print(old);
	if (log)
		*log = elf_log;
	else
		free(elf_log);
	elf_log = NULL;
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	out->obj = obj;
	out->fd = bpf_program__fd(prog);
	out->hook = hook;
	map = bpf_object__find_map_by_name(obj, SLUICE_COUNTER_MAP);
	if (map) {
		out->counter_fd = bpf_map__fd(map);
		out->ncounters = bpf_map__max_entries(map);
	}
	map = bpf_object__find_map_by_name(obj, SLUICE_DECISION_MAP);
	if (map)
		out->decision_fd = bpf_map__fd(map);
	err = sl_kern_sets_elf(out, obj, true);
	if (err) {
		sl_kern_prog_close(out);
		return err;
	}
	read_prog_info(out);
	return 0;
}

bool sl_kern_runnable(enum sl_hook hook, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	unsigned type;

	if (len < 14)
		return false;
	if (hook == SL_HOOK_XDP)
		return true;
	type = (f[12] << 8) | f[13];
	return !((type == 0x0800 && len < 14 + 20) || (type == 0x86dd && len < 14 + 40));
}

int sl_kern_run(const struct sl_kern_prog *p, const void *frame, size_t len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);

	if (!sl_kern_runnable(p->hook, frame, len))
		return -EOPNOTSUPP;
	if (bpf_prog_test_run_opts(p->fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

int sl_kern_counter(const struct sl_kern_prog *p, uint32_t id, struct sluice_counter *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct sluice_counter *vals;

	memset(out, 0, sizeof(*out));
	if (p->counter_fd < 0 || ncpus <= 0)
		return -ENOENT;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(p->counter_fd, &id, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	for (int i = 0; i < ncpus; i++) {
		out->packets += vals[i].packets;
		out->bytes += vals[i].bytes;
	}
	free(vals);
	return 0;
}

int sl_kern_counters_reset(const struct sl_kern_prog *p)
{
	int ncpus = libbpf_num_possible_cpus();
	struct sluice_counter *zero;
	int err = 0;

	if (p->counter_fd < 0)
		return 0;
	zero = calloc(ncpus > 0 ? ncpus : 1, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (uint32_t id = 0; id < p->ncounters && !err; id++) {
		if (bpf_map_update_elem(p->counter_fd, &id, zero, BPF_ANY))
			err = -errno;
	}
	free(zero);
	return err;
}

int sl_kern_decision(const struct sl_kern_prog *p, uint32_t *rule)
{
	uint32_t key = 0;

	if (p->decision_fd < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(p->decision_fd, &key, rule) ? -errno : 0;
}

int sl_kern_decision_set(const struct sl_kern_prog *p, uint32_t rule)
{
	uint32_t key = 0;

	if (p->decision_fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(p->decision_fd, &key, &rule, BPF_ANY) ? -errno : 0;
}

int sl_kern_retval_verdict(enum sl_hook hook, uint32_t retval)
{
	if ((int)retval == sl_verdict_retval(hook, SL_VERDICT_ACCEPT))
		return 1;
	if ((int)retval == sl_verdict_retval(hook, SL_VERDICT_DROP))
		return 0;
	return -1;
}
