// SPDX-License-Identifier: GPL-2.0-only
/*
 * libxdp's dispatcher protocol, the part sluice needs (xdp_multi.h). Not
 * linking libxdp: the loader stays on libbpf, libelf and libpcap; libxdp has
 * no atomic swap of one component (its replace is attach new + detach old,
 * both policies running in between) and wants to load the program itself,
 * which sluice's loader does (validation, maps, sets). The dispatcher
 * program is libxdp's own installed object, so its layout and version are
 * exactly what xdp-tools expect.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "hook.h"
#include "state.h"
#include "util.h"
#include "xdp_multi.h"

/* prog_dispatcher.h of libxdp 1.3 (version 2): the .rodata of xdp-dispatcher.o. */
#define DISP_MAGIC   236
#define DISP_VERSION 2
#define DISP_SLOTS   10
#define DISP_RETVAL  31 /* an empty slot's return: always continues */
#define XDP_DIR	     "/sys/fs/bpf/xdp"

struct disp_config {
	uint8_t magic;
	uint8_t version;
	uint8_t num_progs_enabled;
	uint8_t is_xdp_frags;
	uint32_t chain_call_actions[DISP_SLOTS];
	uint32_t run_prios[DISP_SLOTS];
	uint32_t program_flags[DISP_SLOTS];
};

struct comp {
	int fd;
	uint32_t id, prio, chain, flags;
};

struct chain {
	uint32_t ifindex;
	uint32_t disp_id; /* 0: no dispatcher attached */
	int disp_fd;
	uint32_t mode_flags; /* XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE of the attached one */
	struct comp c[DISP_SLOTS + 1];
	int n;
};

static void chain_free(struct chain *ch)
{
	for (int i = 0; i < ch->n; i++)
		if (ch->c[i].fd >= 0)
			close(ch->c[i].fd);
	if (ch->disp_fd >= 0)
		close(ch->disp_fd);
	ch->n = 0;
	ch->disp_fd = -1;
}

static int chain_read(uint32_t ifindex, const char *dev, struct chain *ch);
static int xdp_lock(void);

/* libxdp's dispatcher object, where libxdp1 installs it; NULL when it is not there. */
static const char *dispatcher_path(char *path, size_t len)
{
	static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu/bpf",
					   "/usr/lib/aarch64-linux-gnu/bpf", "/usr/lib64/bpf",
					   "/usr/lib/bpf", "/usr/local/lib/bpf"};
	const char *env = getenv("LIBXDP_OBJECT_PATH");

	if (env) {
		snprintf(path, len, "%s/xdp-dispatcher.o", env);
		if (!access(path, R_OK))
			return path;
	}
	for (size_t i = 0; i < SL_ARRAY_SIZE(dirs); i++) {
		snprintf(path, len, "%s/xdp-dispatcher.o", dirs[i]);
		if (!access(path, R_OK))
			return path;
	}
	return NULL;
}

/* libxdp's dispatcher with cfg, loaded; its slot functions' BTF ids in slot_btf. */
static int load_dispatcher(const struct disp_config *cfg, struct bpf_object **out,
			   uint32_t slot_btf[DISP_SLOTS])
{
	char buf[PATH_MAX];
	const char *path = dispatcher_path(buf, sizeof(buf));
	struct bpf_object *obj;
	struct bpf_program *p, *main = NULL;
	struct bpf_map *m, *rodata = NULL;
	char name[16];
	int err;

	if (!path) {
		sl_err(-ENOENT, "libxdp's dispatcher program xdp-dispatcher.o is not installed");
		sl_hint("install libxdp1 (Debian: apt-get install libxdp1), or set "
			"LIBXDP_OBJECT_PATH to the directory holding xdp-dispatcher.o");
		return -ENOENT;
	}
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return sl_err(-errno, "cannot open %s: %s", path, strerror(errno));
	bpf_object__for_each_program(p, obj)
	{
		if (!strcmp(bpf_program__name(p), "xdp_dispatcher"))
			main = p;
		else
			bpf_program__set_autoload(p, false);
	}
	bpf_object__for_each_map(m, obj) if (strstr(bpf_map__name(m), ".rodata")) rodata = m;
	if (!main || !rodata || bpf_map__value_size(rodata) != sizeof(*cfg)) {
		bpf_object__close(obj);
		sl_err(-EPROTO, "%s is not the libxdp dispatcher of version %d", path,
		       DISP_VERSION);
		sl_hint("sluice speaks dispatcher version 2 (libxdp 1.3); install that libxdp");
		return -EPROTO;
	}
	err = bpf_map__set_initial_value(rodata, cfg, sizeof(*cfg));
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return sl_err(err, "the kernel did not load libxdp's dispatcher: %s",
			      strerror(-err));
	}
	for (int i = 0; i < DISP_SLOTS; i++) {
		snprintf(name, sizeof(name), "prog%d", i);
		err = btf__find_by_name_kind(bpf_object__btf(obj), name, BTF_KIND_FUNC);
		if (err < 0) {
			bpf_object__close(obj);
			return sl_err(-EPROTO, "%s has no slot %s", path, name);
		}
		slot_btf[i] = err;
	}
	*out = obj;
	return 0;
}

/*
 * Whether the kernel loads freplace programs at all: libxdp's own check, its
 * xdp_pass as an extension of the dispatcher's compat_test. Some kernels
 * refuse every program that attaches through a BPF trampoline (EPERM).
 */
static int probe_freplace(int disp_fd)
{
	char buf[PATH_MAX];
	const char *path = dispatcher_path(buf, sizeof(buf));
	struct bpf_object *obj = path ? bpf_object__open_file(path, NULL) : NULL;
	struct bpf_program *p;
	int err = -ENOENT;

	if (!obj)
		return sl_err(-errno, "cannot open libxdp's dispatcher: %s", strerror(errno));
	bpf_object__for_each_program(p, obj)
	{
		if (strcmp(bpf_program__name(p), "xdp_pass")) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		bpf_program__set_type(p, BPF_PROG_TYPE_EXT);
		bpf_program__set_expected_attach_type(p, 0);
		err = bpf_program__set_attach_target(p, disp_fd, "compat_test");
	}
	if (!err)
		err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (!err)
		return 0;
	sl_err(err,
	       "this kernel does not load freplace programs (BPF_PROG_TYPE_EXT: %s), which "
	       "libxdp's dispatcher needs",
	       strerror(-err));
	sl_hint("attach without --multi (the device is then sluice's alone); on this kernel "
		"xdp-tools fall back to one program per device too");
	return err;
}

/* What --multi can check before anything changes: the device's program and mode. */
static int check_device(const struct sl_target *t)
{
	uint32_t want = t->xdp_mode == SL_XDP_NATIVE	? XDP_FLAGS_DRV_MODE
			: t->xdp_mode == SL_XDP_GENERIC ? XDP_FLAGS_SKB_MODE
							: 0;
	struct sl_netns saved;
	struct chain ch;
	int err;

	int lock;

	err = sl_netns_enter(t->netns, &saved);
	if (err)
		return err;
	lock = xdp_lock();
	if (lock < 0) {
		sl_netns_leave(&saved);
		return lock;
	}
	err = chain_read(t->ifindex, t->dev, &ch);
	if (err == -ENOENT)
		sl_err(err, "%s is gone", t->dev);
	close(lock);
	if (!err && ch.disp_id && want && want != ch.mode_flags) {
		err = sl_err(-EINVAL, "the dispatcher on %s runs in %s mode, not %s", t->dev,
			     ch.mode_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
			     want == XDP_FLAGS_SKB_MODE ? "generic" : "native");
		sl_hint("omit --mode, or give the mode of the programs already there");
	}
	chain_free(&ch);
	sl_netns_leave(&saved);
	return err;
}

int sl_xdp_multi_prepare(struct sl_obj *o, const struct sl_target *t)
{
	struct disp_config cfg = {.magic = DISP_MAGIC, .version = DISP_VERSION};
	uint32_t slots[DISP_SLOTS];
	struct bpf_object *disp;
	int err, disp_fd;

	err = check_device(t);
	if (err)
		return err;

	/*
	 * The program is verified against a template dispatcher's prog0; the kernel
	 * re-checks the prototype when it is linked to the real one's slot.
	 */
	cfg.num_progs_enabled = 1;
	cfg.chain_call_actions[0] = 1u << DISP_RETVAL;
	err = load_dispatcher(&cfg, &disp, slots);
	if (err)
		return err;
	o->ext_target = disp;
	disp_fd = bpf_program__fd(bpf_object__find_program_by_name(disp, "xdp_dispatcher"));
	err = probe_freplace(disp_fd);
	if (err)
		return err;
	bpf_program__set_type(o->prog, BPF_PROG_TYPE_EXT);
	bpf_program__set_expected_attach_type(o->prog, 0);
	err = bpf_program__set_attach_target(o->prog, disp_fd, "prog0");
	if (err)
		return sl_err(err, "cannot make '%s' an freplace program: %s", o->path,
			      strerror(-err));
	return 0;
}

static int xdp_lock(void)
{
	int fd;

	if (mkdir(XDP_DIR, 0700) && errno != EEXIST)
		return sl_err(-errno, "cannot create %s: %s", XDP_DIR, strerror(errno));
	fd = open(XDP_DIR, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sl_err(-errno, "cannot open %s: %s", XDP_DIR, strerror(errno));
	/* libxdp's lock: the same flock on the same directory. */
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return sl_err(-errno, "cannot lock %s: %s", XDP_DIR, strerror(errno));
	}
	return fd;
}

static void disp_dir(char *buf, size_t len, uint32_t ifindex, uint32_t id)
{
	snprintf(buf, len, XDP_DIR "/dispatch-%u-%u", ifindex, id);
}

static void remove_disp_dir(uint32_t ifindex, uint32_t id)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];

	disp_dir(dir, sizeof(dir), ifindex, id);
	for (int i = 0; i < DISP_SLOTS; i++) {
		snprintf(path, sizeof(path), "%s/prog%d-link", dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/prog%d-prog", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

/* Reads what runs on ifindex (current netns) into ch; a non-dispatcher program is an error. */
static int chain_read(uint32_t ifindex, const char *dev, struct chain *ch)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), map_id = 0, key = 0;
	struct disp_config cfg;
	char dir[PATH_MAX];
	_cleanup_close_ int map_fd = -1;

	memset(ch, 0, sizeof(*ch));
	ch->ifindex = ifindex;
	ch->disp_fd = -1;
	if (bpf_xdp_query(ifindex, 0, &q)) {
		/* The device went (deleted with its namespace): nothing runs there; callers say so.
		 */
		if (errno == ENODEV || errno == ENOENT)
			return -ENOENT;
		return sl_err(-errno, "cannot query XDP on %s: %s", dev, strerror(errno));
	}
	if (q.attach_mode == XDP_ATTACHED_NONE)
		return 0;
	if (q.attach_mode == XDP_ATTACHED_MULTI || q.attach_mode == XDP_ATTACHED_HW) {
		sl_err(-EBUSY, "%s has XDP programs in more than one mode (or offloaded)", dev);
		sl_hint("detach them first (`xdp-loader unload %s --all`)", dev);
		return -EBUSY;
	}
	ch->mode_flags =
	    q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	ch->disp_fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (ch->disp_fd < 0)
		return sl_err(-errno, "cannot open XDP program %u of %s: %s", q.prog_id, dev,
			      strerror(errno));
	info.nr_map_ids = 1;
	info.map_ids = (uintptr_t)&map_id;
	if (bpf_obj_get_info_by_fd(ch->disp_fd, &info, &len))
		return sl_err(-errno, "cannot read XDP program %u: %s", q.prog_id, strerror(errno));
	if (strcmp(info.name, "xdp_dispatcher") || info.nr_map_ids != 1) {
		sl_err(-EBUSY,
		       "%s holds XDP program %u ('%s'), which is not libxdp's dispatcher: it "
		       "cannot be shared",
		       dev, q.prog_id, info.name);
		sl_hint("detach it first (a sluice attachment without --multi: `sluice-load "
			"detach --xdp %s`; else `ip link set %s xdp off`), then attach both "
			"through the dispatcher (`--multi`, `xdp-loader`)",
			dev, dev);
		return -EBUSY;
	}
	map_fd = bpf_map_get_fd_by_id(map_id);
	if (map_fd < 0 || bpf_map_lookup_elem(map_fd, &key, &cfg))
		return sl_err(-errno, "cannot read the configuration of dispatcher %u: %s",
			      q.prog_id, strerror(errno));
	if (cfg.magic != DISP_MAGIC || cfg.version != DISP_VERSION ||
	    cfg.num_progs_enabled > DISP_SLOTS) {
		sl_err(-EPROTO, "the dispatcher on %s has version %u; sluice speaks version %d",
		       dev, cfg.version, DISP_VERSION);
		sl_hint("unload it (`xdp-loader unload %s --all`) and attach again", dev);
		return -EPROTO;
	}
	ch->disp_id = q.prog_id;
	disp_dir(dir, sizeof(dir), ifindex, ch->disp_id);
	for (int i = 0; i < cfg.num_progs_enabled; i++) {
		struct comp *c = &ch->c[ch->n];
		char name[16];

		snprintf(name, sizeof(name), "prog%d-prog", i);
		c->fd = sl_pin_open(dir, name);
		if (c->fd < 0)
			return sl_err(c->fd, "the pins of dispatcher %u (%s/%s) are missing: %s",
				      ch->disp_id, dir, name, strerror(-c->fd));
		ch->n++;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(c->fd, &info, &len))
			return -errno;
		c->id = info.id;
		c->prio = cfg.run_prios[i];
		c->chain = cfg.chain_call_actions[i];
		c->flags = cfg.program_flags[i];
	}
	return 0;
}

/*
 * Builds a dispatcher running ch's components, pins it, switches the device
 * to it and unpins the old one. Until the switch nothing visible changed (a
 * kill leaves an unattached dispatch-* directory at most).
 */
static int chain_commit(struct chain *ch, const char *dev, uint32_t want_mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	struct disp_config cfg = {.magic = DISP_MAGIC, .version = DISP_VERSION};
	uint32_t slots[DISP_SLOTS], mode, new_id;
	struct bpf_object *disp = NULL;
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int links[DISP_SLOTS], disp_fd, err, nlinks = 0;

	if (!ch->n) {
		/* The last one goes: the device goes back to no XDP program. */
		aopts.old_prog_fd = ch->disp_fd;
		if (ch->disp_id &&
		    bpf_xdp_detach(ch->ifindex, ch->mode_flags | XDP_FLAGS_REPLACE, &aopts))
			return sl_err(-errno, "cannot remove the dispatcher from %s: %s", dev,
				      strerror(errno));
		if (ch->disp_id)
			remove_disp_dir(ch->ifindex, ch->disp_id);
		return 0;
	}
	cfg.num_progs_enabled = ch->n;
	for (int i = 0; i < ch->n; i++) {
		cfg.chain_call_actions[i] = ch->c[i].chain | (1u << DISP_RETVAL);
		cfg.run_prios[i] = ch->c[i].prio;
		cfg.program_flags[i] = ch->c[i].flags;
	}
	err = load_dispatcher(&cfg, &disp, slots);
	if (err)
		return err;
	disp_fd = bpf_program__fd(bpf_object__find_program_by_name(disp, "xdp_dispatcher"));
	if (bpf_obj_get_info_by_fd(disp_fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	new_id = info.id;
	disp_dir(dir, sizeof(dir), ch->ifindex, new_id);
	if (mkdir(dir, 0700)) {
		err = sl_err(-errno, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	for (int i = 0; i < ch->n; i++) {
		lopts.target_btf_id = slots[i];
		links[i] = bpf_link_create(ch->c[i].fd, disp_fd, 0, &lopts);
		if (links[i] < 0) {
			err = sl_err(-errno,
				     "cannot link program %u into slot prog%d of the "
				     "dispatcher: %s",
				     ch->c[i].id, i, strerror(errno));
			goto unpin;
		}
		nlinks++;
		snprintf(path, sizeof(path), "%s/prog%d-link", dir, i);
		if (bpf_obj_pin(links[i], path)) {
			err = sl_err(-errno, "cannot pin %s: %s", path, strerror(errno));
			goto unpin;
		}
		snprintf(path, sizeof(path), "%s/prog%d-prog", dir, i);
		if (bpf_obj_pin(ch->c[i].fd, path)) {
			err = sl_err(-errno, "cannot pin %s: %s", path, strerror(errno));
			goto unpin;
		}
	}
	/* No mode flag: the kernel takes native when the driver has it, else generic. */
	mode = ch->disp_id ? ch->mode_flags : want_mode;
	if (ch->disp_id)
		aopts.old_prog_fd = ch->disp_fd; /* libbpf: 0 = none expected */
	err = bpf_xdp_attach(ch->ifindex, disp_fd,
			     mode | (ch->disp_id ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST),
			     &aopts);
	if (!err && !mode) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		bpf_xdp_query(ch->ifindex, 0, &q);
		mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	}
	if (err) {
		sl_err(err, "cannot attach libxdp's dispatcher to %s: %s", dev, strerror(-err));
		if (err == -EBUSY || err == -EEXIST)
			sl_hint("another XDP program is attached to %s (a bpf_link: `sluice-load "
				"list`, `bpftool net`), or it changed meanwhile: retry",
				dev);
		goto unpin;
	}
	ch->mode_flags = mode;
	if (ch->disp_id)
		remove_disp_dir(ch->ifindex, ch->disp_id);
	ch->disp_id = new_id;
	goto out;
unpin:
	remove_disp_dir(ch->ifindex, new_id);
out:
	for (int i = 0; i < nlinks; i++)
		close(links[i]);
	bpf_object__close(disp);
	return err;
}

static uint32_t want_flags(uint32_t xdp_mode)
{
	return xdp_mode == SL_XDP_NATIVE    ? XDP_FLAGS_DRV_MODE
	       : xdp_mode == SL_XDP_GENERIC ? XDP_FLAGS_SKB_MODE
					    : 0;
}

int sl_xdp_multi_add(const struct sl_target *t, int prog_fd, struct sl_state *st)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), want = want_flags(t->xdp_mode);
	_cleanup_close_ int lock = xdp_lock();
	struct chain ch;
	int err, at;

	if (lock < 0)
		return lock;
	err = chain_read(t->ifindex, t->dev, &ch);
	if (err == -ENOENT)
		sl_err(err, "%s is gone", t->dev);
	if (err)
		goto out;
	if (ch.disp_id && want && want != ch.mode_flags) {
		err = sl_err(-EINVAL, "the dispatcher on %s runs in %s mode, not %s", t->dev,
			     ch.mode_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
			     want == XDP_FLAGS_SKB_MODE ? "generic" : "native");
		sl_hint("omit --mode, or give the mode of the programs already there");
		goto out;
	}
	if (ch.n == DISP_SLOTS) {
		err = sl_err(-ENOSPC, "the dispatcher on %s has all its %d slots taken", t->dev,
			     DISP_SLOTS);
		goto out;
	}
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	/* Priority order; among equals the program that came first runs first. */
	for (at = 0; at < ch.n && ch.c[at].prio <= t->xdp_priority; at++)
		;
	memmove(&ch.c[at + 1], &ch.c[at], (ch.n - at) * sizeof(ch.c[0]));
	ch.c[at] = (struct comp){.fd = dup(prog_fd),
				 .id = info.id,
				 .prio = t->xdp_priority,
				 .chain = 1u << 2 /* XDP_PASS */};
	ch.n++;
	err = chain_commit(&ch, t->dev, want);
	if (!err) {
		st->xdp_mode = ch.mode_flags == XDP_FLAGS_SKB_MODE ? SL_XDP_GENERIC : SL_XDP_NATIVE;
		st->xdp_priority = t->xdp_priority;
	}
out:
	chain_free(&ch);
	return err;
}

/* Runs fn on st's chain under libxdp's lock, in st's network namespace. */
static int with_chain(const struct sl_state *st, uint32_t id, int new_fd, bool *runs)
{
	struct sl_netns saved;
	struct chain ch;
	int lock, err, at = -1;

	err = sl_state_netns_enter(st, &saved);
	if (err)
		return err;
	lock = xdp_lock();
	if (lock < 0) {
		sl_netns_leave(&saved);
		return lock;
	}
	err = chain_read(st->ifindex, st->ifname, &ch);
	for (int i = 0; !err && i < ch.n; i++)
		if (ch.c[i].id == id)
			at = i;
	if (runs) {
		*runs = !err && at >= 0;
	} else if (!err && at >= 0) {
		close(ch.c[at].fd);
		if (new_fd >= 0) {
			struct bpf_prog_info info = {};
			uint32_t len = sizeof(info);

			bpf_obj_get_info_by_fd(new_fd, &info, &len);
			ch.c[at].fd = dup(new_fd);
			ch.c[at].id = info.id;
		} else {
			memmove(&ch.c[at], &ch.c[at + 1], (ch.n - at - 1) * sizeof(ch.c[0]));
			ch.n--;
		}
		err = chain_commit(&ch, st->ifname, 0);
	} else if (!err && new_fd >= 0) {
		err = sl_err(-ENOENT, "program %u does not run in the dispatcher on %s", id,
			     st->ifname);
	}
	chain_free(&ch);
	close(lock);
	sl_netns_leave(&saved);
	return err;
}

int sl_xdp_multi_swap(const struct sl_state *st, uint32_t old_id, int new_fd)
{
	return with_chain(st, old_id, new_fd, NULL);
}

int sl_xdp_multi_remove(const struct sl_state *st, uint32_t prog_id)
{
	return with_chain(st, prog_id, -1, NULL);
}

int sl_xdp_multi_runs(const struct sl_state *st, uint32_t prog_id, bool *runs)
{
	return with_chain(st, prog_id, -1, runs);
}
