// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include <sluice/log.h>

#include "kernel.h"
#include "obj.h"
#include "iface.h"
#include "ct.h"
#include "validate.h"
#include "util.h"

static char libbpf_log[16384];
static size_t libbpf_log_len;

/* Append `n` bytes, keeping the tail when the buffer is full. */
static void log_append(const char *text, size_t n)
{
	if (n >= sizeof(libbpf_log) / 2) {
		text += n - sizeof(libbpf_log) / 2;
		n = sizeof(libbpf_log) / 2;
	}
	if (libbpf_log_len + n >= sizeof(libbpf_log)) {
		size_t drop = libbpf_log_len + n - sizeof(libbpf_log) / 2;

		if (drop > libbpf_log_len)
			drop = libbpf_log_len;
		memmove(libbpf_log, libbpf_log + drop, libbpf_log_len - drop);
		libbpf_log_len -= drop;
	}
	memcpy(libbpf_log + libbpf_log_len, text, n);
	libbpf_log_len += n;
}

/*
 * libbpf passes the whole verifier log as one message (up to 16 MiB at log
 * level 1): keep its first line (the BEGIN marker explain_verifier() looks
 * for) and its tail, where the verifier says why it refused the program.
 */
#define TAIL_BYTES (sizeof(libbpf_log) / 2 - 512)

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[1024], *text = small;
	const char *nl;
	va_list again;
	int n;

	if (level == LIBBPF_DEBUG && !sl_verbose)
		return 0;
	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		text = malloc((size_t)n + 1);
		if (text)
			n = vsnprintf(text, (size_t)n + 1, fmt, again);
		else {
			text = small;
			n = sizeof(small) - 1;
		}
	}
	va_end(again);
	if (n < 0)
		goto out;
	if (sl_verbose) {
		fputs(text, stderr);
		goto out;
	}
	nl = memchr(text, '\n', (size_t)n);
	if ((size_t)n >= sizeof(libbpf_log) / 2 && nl && nl - text < 256) {
		static const char cut[] = "[...]\n";

		log_append(text, (size_t)(nl + 1 - text));
		log_append(cut, sizeof(cut) - 1);
		log_append(text + n - TAIL_BYTES, TAIL_BYTES);
	} else {
		log_append(text, (size_t)n);
	}
out:
	if (text != small)
		free(text);
	return n;
}

void sl_libbpf_capture(void)
{
	libbpf_set_print(libbpf_print);
}

static void dump_libbpf_log(void)
{
	if (!libbpf_log_len)
		return;
	fprintf(stderr, "sluice-load: libbpf said:\n");
	sl_put_sanitized(stderr, libbpf_log, libbpf_log_len);
	libbpf_log_len = 0;
}

static const char *find_mem(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(hay + i, needle, k))
			return hay + i;
	return NULL;
}

/*
 * The verifier's log, as libbpf passed it on: its last lines say why, and its
 * last "; " line is the policy line the rejected instruction came from
 * (sluice puts "<text> @ <file>:<line>" into .BTF.ext line_info).
 */
static bool explain_verifier(void)
{
	static const char begin[] = "-- BEGIN PROG LOAD LOG --\n",
			  end[] = "-- END PROG LOAD LOG --";
	const char *b = find_mem(libbpf_log, libbpf_log_len, begin), *e, *line = NULL, *p;
	int lines = 0;

	if (!b)
		return false;
	b += strlen(begin);
	e = find_mem(b, libbpf_log + libbpf_log_len - b, end);
	if (!e)
		e = libbpf_log + libbpf_log_len;
	for (p = b; p < e;
	     p = memchr(p, '\n', e - p) ? (const char *)memchr(p, '\n', e - p) + 1 : e)
		if (p[0] == ';' && p + 1 < e && p[1] == ' ')
			line = p;
	/* The last 12 lines: the instruction refused and the verifier's reason. */
	for (p = e; p > b && lines <= 12; p--)
		if (p[-1] == '\n')
			lines++;
	fprintf(stderr, "sluice-load: the verifier said (last lines):\n");
	sl_put_sanitized(stderr, p, e - p);
	if (line) {
		const char *nl = memchr(line, '\n', e - line);

		fprintf(stderr, "sluice-load: policy line of the refused instruction: ");
		sl_put_sanitized(stderr, line + 2, (nl ? nl : e) - line - 2);
		fputc('\n', stderr);
	}
	libbpf_log_len = 0;
	return true;
}

bool sl_obj_has_log(const struct sl_obj *o)
{
	return bpf_object__find_map_by_name(o->obj, SLUICE_LOG_MAP) != NULL;
}

void sl_strerror(int err, char *buf, size_t len)
{
	/* libbpf's own codes (LIBBPF_ERRNO__*, 4000..) have no strerror text. */
	if (libbpf_strerror(err, buf, len))
		snprintf(buf, len, "error %d", err);
}

bool sl_explain_bpf_perm(int err)
{
	if (err != -EPERM && err != -EACCES && err != -ENOSYS)
		return false;
	if (err == -ENOSYS) {
		sl_hint("this kernel has no bpf() system call (CONFIG_BPF_SYSCALL is off); use a "
			"kernel with BPF");
		return true;
	}
	if (geteuid() != 0)
		sl_hint("the kernel allows this only with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN "
			"(or CAP_SYS_ADMIN): run as root, e.g. with sudo");
	else
		sl_hint("root was refused: check capabilities (capsh --print), lockdown "
			"(/sys/kernel/security/lockdown) and seccomp/LSM policy of this container");
	return true;
}

static enum bpf_attach_type hook_expected_attach(uint32_t hook)
{
	switch (hook) {
	case SLUICE_HOOK_XDP:
		return BPF_XDP;
	case SLUICE_HOOK_CGROUP_INGRESS:
		return BPF_CGROUP_INET_INGRESS;
	case SLUICE_HOOK_CGROUP_EGRESS:
		return BPF_CGROUP_INET_EGRESS;
	default:
		return 0;
	}
}

static int pick_program(struct sl_obj *o)
{
	const char *want = sl_meta_str(o->meta, o->table->prog_str);
	enum bpf_prog_type type = sl_kernel_prog_type(o->table->hook);
	struct bpf_program *p;

	bpf_object__for_each_program(p, o->obj)
	{
		if (strcmp(bpf_program__name(p), want) && !sl_ct_is_companion(o, p)) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		if (!strcmp(bpf_program__name(p), want))
			o->prog = p;
	}
	if (!o->prog) {
		sl_err(-ENOENT,
		       "'%s': the metadata names program '%s' for table '%s', but the object has "
		       "no such program",
		       o->path, want, sl_meta_str(o->meta, o->table->name_str));
		sl_hint("the object is damaged or was edited; rebuild it with `sluice build`");
		return -ENOENT;
	}
	if (bpf_program__type(o->prog) == BPF_PROG_TYPE_UNSPEC)
		bpf_program__set_type(o->prog, type);
	if (bpf_program__type(o->prog) != type) {
		sl_err(-EINVAL,
		       "'%s': program '%s' has BPF program type %s, but table '%s' is for %s",
		       o->path, want, libbpf_bpf_prog_type_str(bpf_program__type(o->prog)),
		       sl_meta_str(o->meta, o->table->name_str), sl_hook_name(o->table->hook));
		sl_hint("the object is damaged or was edited; rebuild it with `sluice build`");
		return -EINVAL;
	}
	if (hook_expected_attach(o->table->hook))
		bpf_program__set_expected_attach_type(o->prog,
						      hook_expected_attach(o->table->hook));
	return sl_ct_pick(o, hook_expected_attach);
}

static int map_layout_err(const struct sl_obj *o, const struct bpf_map *m, const char *want)
{
	sl_err(-EINVAL, "'%s': map '%s' is not %s (type %s, key %u, value %u bytes, %u entries)",
	       o->path, bpf_map__name(m), want, libbpf_bpf_map_type_str(bpf_map__type(m)),
	       bpf_map__key_size(m), bpf_map__value_size(m), bpf_map__max_entries(m));
	sl_hint(
	    "the object does not follow include/sluice/abi.h: rebuild it with a matching sluice");
	return -EINVAL;
}

#define SL_MAP_BYTES_MAX (256ull << 20)

/* What creating map m would have the kernel allocate, roughly. */
static uint64_t map_bytes(const struct bpf_map *m)
{
	enum bpf_map_type t = bpf_map__type(m);
	uint64_t n = (uint64_t)bpf_map__max_entries(m) *
		     ((uint64_t)bpf_map__key_size(m) + bpf_map__value_size(m));
	int cpus = libbpf_num_possible_cpus();

	if ((t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH) && cpus > 0)
		n *= (uint64_t)cpus;
	return n;
}

/* The maps the loader reads must have the layout abi.h gives them; no map may be huge. */
static int check_maps(const struct sl_obj *o)
{
	const struct bpf_map *c = o->counters, *d = o->decisions;
	const struct sluice_meta_header *h = &o->meta->hdr;
	uint32_t slots = h->nrules > h->ncounters ? h->nrules : h->ncounters;
	struct bpf_map *m;

	bpf_object__for_each_map(m, o->obj)
	{
		if (map_bytes(m) <= SL_MAP_BYTES_MAX)
			continue;
		sl_err(-E2BIG, "'%s': map '%s' would take %llu MiB of kernel memory (%u entries)",
		       o->path, bpf_map__name(m), (unsigned long long)(map_bytes(m) >> 20),
		       bpf_map__max_entries(m));
		sl_hint("the object is damaged or was edited; rebuild it with `sluice build`");
		return -E2BIG;
	}
	if (c && bpf_map__max_entries(c) > (slots ? slots : 1))
		return map_layout_err(o, c, "sized for the rules of the metadata");

	if (c && (bpf_map__type(c) != BPF_MAP_TYPE_PERCPU_ARRAY || bpf_map__key_size(c) != 4 ||
		  bpf_map__value_size(c) != sizeof(struct sluice_counter) ||
		  bpf_map__max_entries(c) < o->meta->hdr.ncounters))
		return map_layout_err(
		    o, c, "a per-CPU array of {packets, bytes} with a slot per counter");
	if ((o->meta->hdr.flags & SLUICE_META_F_DECISIONS) && !d)
		return sl_err(-EINVAL,
			      "'%s': metadata says decisions are recorded, but map '%s' is missing",
			      o->path, SLUICE_DECISION_MAP);
	if (d && (bpf_map__type(d) != BPF_MAP_TYPE_ARRAY || bpf_map__key_size(d) != 4 ||
		  bpf_map__value_size(d) != 4 || bpf_map__max_entries(d) < 1))
		return map_layout_err(o, d, "a one-entry array of u32");
	return 0;
}

static int read_object(struct sl_obj *o)
{
	_cleanup_free_ void *meta = NULL;
	struct sl_elf_view view;
	char why[200];
	int err;

	err = sl_read_file(o->path, &o->data, &o->size);
	if (err) {
		sl_err(err, "cannot open object '%s': %s", o->path,
		       err == -EINVAL ? "not a regular file" : strerror(-err));
		sl_hint("check the path; build objects with `sluice build POLICY.sluice -o OBJ`");
		return err;
	}
	err = sl_validate_object(o->data, o->size, &view, why, sizeof(why));
	if (err == -ENOMEM)
		return sl_err(err, "out of memory");
	if (err && !strcmp(why, "not an ELF file")) {
		sl_err(err, "'%s' is not an ELF object", o->path);
		sl_hint("pass the .o that `sluice build` wrote");
		return err;
	}
	if (err) {
		sl_err(err, "'%s' is damaged: %s", o->path, why);
		sl_hint("rebuild it with `sluice build`; nothing was loaded");
		return err;
	}
	if (!view.meta) {
		sl_err(-EINVAL, "'%s' has no %s section: it was not built by sluice", o->path,
		       SLUICE_META_SECTION);
		sl_hint("build it with `sluice build POLICY.sluice -o OBJ`; other BPF objects can "
			"be attached with bpftool or ip");
		return -EINVAL;
	}
	/* The section may sit at any offset of the file: the parser wants it aligned. */
	meta = malloc(view.meta_size ? view.meta_size : 1);
	if (!meta)
		return sl_err(-ENOMEM, "out of memory");
	memcpy(meta, view.meta, view.meta_size);
	err = sl_meta_parse(meta, view.meta_size, &o->meta, why, sizeof(why));
	if (err == -ENOMEM)
		return sl_err(err, "out of memory");
	if (err) {
		sl_err(err, "'%s': invalid %s section: %s", o->path, SLUICE_META_SECTION, why);
		sl_hint("rebuild the object with a sluice compiler matching this sluice-load "
			"(metadata version %u)",
			SLUICE_META_VERSION);
	}
	return err;
}

int sl_obj_open(const char *path, const char *table, struct sl_obj **out)
{
	struct sl_obj *o = calloc(1, sizeof(*o));
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = path);
	const char *cmap;
	char msg[128];
	int err;

	if (!o)
		return -ENOMEM;
	o->path = path;
	o->prog_fd = -1;
	o->ct_prog_fd = -1;
	err = read_object(o);
	if (!err)
		err = sl_meta_pick_table(o->meta, path, table, &o->table);
	if (err)
		goto fail;
	o->obj = bpf_object__open_mem(o->data, o->size, &opts);
	if (!o->obj) {
		err = -errno;
		sl_strerror(err, msg, sizeof(msg));
		sl_err(err, "libbpf cannot open '%s': %s", path, msg);
		dump_libbpf_log();
		sl_hint("the object is damaged; rebuild it with `sluice build`");
		goto fail;
	}
	err = pick_program(o);
	if (err)
		goto fail;
	cmap = sl_meta_str(o->meta, o->meta->hdr.counter_map_str);
	if (*cmap) {
		o->counters = bpf_object__find_map_by_name(o->obj, cmap);
		if (!o->counters) {
			err = sl_err(-ENOENT,
				     "'%s': metadata names counter map '%s', the object has none",
				     path, cmap);
			goto fail;
		}
	}
	if (o->meta->hdr.flags & SLUICE_META_F_DECISIONS)
		o->decisions = bpf_object__find_map_by_name(o->obj, SLUICE_DECISION_MAP);
	err = check_maps(o);
	if (err)
		goto fail;
	*out = o;
	return 0;
fail:
	sl_obj_close(o);
	return err;
}

int sl_obj_load(struct sl_obj *o)
{
	int err;

	char msg[128];

	/* A clear error on an old kernel rather than the verifier's refusal. */
	err = sl_ct_check_kernel(o);
	if (!err)
		err = sl_iface_fill(o);
	if (err)
		return err;
	libbpf_log_len = 0;
	err = bpf_object__load(o->obj);
	if (err) {
		sl_strerror(err, msg, sizeof(msg));
		if (find_mem(libbpf_log, libbpf_log_len, "-- BEGIN PROG LOAD LOG --")) {
			sl_err(err, "the verifier refused table '%s' of '%s': %s",
			       sl_meta_str(o->meta, o->table->name_str), o->path, msg);
			explain_verifier();
			sl_hint("the compiler made a program the kernel will not run: report the "
				"policy, the lines above and `uname -r` to the sluice developers");
			return err;
		}
		sl_err(err, "the kernel did not load table '%s' of '%s': %s",
		       sl_meta_str(o->meta, o->table->name_str), o->path, msg);
		if (!sl_explain_bpf_perm(err)) {
			dump_libbpf_log();
			sl_hint("if the verifier rejected it, report the policy and the log above "
				"to the sluice developers");
		}
		return err;
	}
	o->prog_fd = bpf_program__fd(o->prog);
	o->ct_prog_fd = o->ct_prog ? bpf_program__fd(o->ct_prog) : -1;
	return 0;
}

void sl_obj_close(struct sl_obj *o)
{
	if (!o)
		return;
	bpf_object__close(o->obj);
	bpf_object__close(o->ext_target);
	sl_meta_free(o->meta);
	free(o->data);
	free(o);
}
