// SPDX-License-Identifier: GPL-2.0-only
/* attach, replace, detach and prune: the commands that change what is attached. */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "counters.h"
#include "hook.h"
#include "kernel.h"
#include "obj.h"
#include "state.h"
#include "target.h"
#include "util.h"

static const char attach_help[] =
    "usage: sluice-load attach OBJ [--table NAME] TARGET [--netns NAME|PATH]\n"
    "       sluice-load replace OBJ [--table NAME] TARGET [--netns NAME|PATH]\n"
    "\n"
    "attach loads table NAME of OBJ (the only table when omitted) and attaches it\n"
    "through a bpf_link; link, counter map and a state record are pinned under\n"
    "/sys/fs/bpf/sluice so that later runs find them. replace swaps the program of\n"
    "an existing attachment atomically (bpf_link_update): every packet is judged\n"
    "by the old or the new program; counters of rules whose text is unchanged\n"
    "carry over.\n"
    "\n"
    "TARGET:\n"
    "  --xdp DEV [--mode native|generic]   default native, generic when the driver lacks it\n"
    "  --tc DEV ingress|egress             tcx (kernel >= 6.6), else clsact + cls_bpf\n"
    "      [--before ID|--after ID]        tcx order relative to a program id (or link:ID)\n"
    "      [--tc-legacy]                   force clsact + cls_bpf (also SLUICE_TC_LEGACY=1)\n"
    "  --cgroup PATH ingress|egress        a cgroup v2 directory\n"
    "  --netns NAME|PATH                   resolve DEV and attach in that network namespace\n"
    "                                      (NAME = /run/netns/NAME)\n";

static const char detach_help[] =
    "usage: sluice-load detach TARGET [--netns NAME|PATH]\n"
    "\n"
    "Detaches what sluice attached at TARGET (--xdp DEV | --tc DEV ingress|egress |\n"
    "--cgroup PATH ingress|egress) and removes its pins.\n";

static const char prune_help[] =
    "usage: sluice-load prune\n"
    "\n"
    "Removes the pins of attachments the kernel has already dropped (device,\n"
    "network namespace or cgroup deleted); `list` shows them as 'defunct'.\n";

struct attach_args {
	const char *obj;
	const char *table;
	struct sl_target t;
};

static int parse_args(int argc, char **argv, bool want_obj, struct attach_args *a, const char *help)
{
	int i = 1;

	while (i < argc) {
		int r;

		if (sl_is_help(argv[i])) {
			fputs(help, stdout);
			return 1;
		}
		r = sl_target_parse_opt(&a->t, argc, argv, &i, want_obj);
		if (r < 0)
			return r;
		if (r)
			continue;
		if (want_obj && !strcmp(argv[i], "--table") && i + 1 < argc) {
			a->table = argv[i + 1];
			i += 2;
		} else if (want_obj && !a->obj && argv[i][0] != '-') {
			a->obj = argv[i++];
		} else {
			fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n",
				argv[i]);
			return -EINVAL;
		}
	}
	if (want_obj && !a->obj) {
		fprintf(stderr, "sluice-load: usage error: %s needs an object file\n", argv[0]);
		return -EINVAL;
	}
	return sl_target_check(&a->t, want_obj);
}

static int usage_exit(int r, const char *help)
{
	if (r > 0)
		return SL_EXIT_OK;
	fprintf(stderr, "\n%s", help);
	return SL_EXIT_USAGE;
}

/*
 * Between the first change and the last pin an interrupt would leave a
 * half-made attachment (a cls_bpf filter survives its process): terminal and
 * termination signals wait until the command is done. Taking the lock blocks
 * them; releasing it lets them in.
 */
static int lock_root(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return sl_pin_root_lock();
}

static void unlock_root(int *fd)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (*fd >= 0) {
		/* An empty root is not worth keeping (rmdir fails when it is not empty). */
		rmdir(sl_pin_root());
		close(*fd);
	}
	fflush(stdout);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static bool has_state(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/state", dir);
	return !stat(path, &st);
}

static int check_free(const struct sl_target *t)
{
	if (!has_state(t->pin_dir))
		return 0;
	sl_err(-EEXIST, "sluice already has a program attached as %s", sl_target_describe(t));
	sl_hint("use `sluice-load replace` to swap it, or `sluice-load detach` first");
	return -EEXIST;
}

static int check_taken(const struct sl_target *t)
{
	if (has_state(t->pin_dir))
		return 0;
	sl_err(-ENOENT, "sluice has nothing attached as %s", sl_target_describe(t));
	sl_hint("use `sluice-load attach` first; `sluice-load list` shows what is attached");
	return -ENOENT;
}

static int check_hook(const struct sl_obj *o, const struct sl_target *t)
{
	if (o->table->hook == t->hook)
		return 0;
	sl_err(-EINVAL, "table '%s' of '%s' is compiled for %s, not for %s",
	       sl_meta_str(o->meta, o->table->name_str), o->path, sl_hook_name(o->table->hook),
	       sl_hook_name(t->hook));
	sl_hint("attach it to a %s hook, or change `hook` in the policy and rebuild",
		sl_hook_name(o->table->hook));
	return -EINVAL;
}

/* Everything that can be checked without changing the system. */
static int prepare(struct attach_args *a, struct sl_obj **o)
{
	int err;

	err = sl_check_privileges(true, true, a->t.netns != NULL, "attaching");
	if (err)
		return err;
	err = sl_obj_open(a->obj, a->table, o);
	if (err)
		return err;
	err = check_hook(*o, &a->t);
	if (!err)
		err = sl_kernel_check((*o)->table->hook, true);
	if (err)
		return err;
	err = sl_target_resolve(&a->t);
	if (!err && !sl_tc_use_legacy(&a->t))
		err = sl_hook_check_order(&a->t);
	return err;
}

static int pin_fd(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_obj_pin(fd, path))
		return sl_err(-errno, "cannot pin %s: %s", path, strerror(errno));
	return 0;
}

static void fill_object(struct sl_state *st, const struct sl_obj *o)
{
	char abs[PATH_MAX];

	snprintf(st->object, sizeof(st->object), "%s", realpath(o->path, abs) ? abs : o->path);
	snprintf(st->table, sizeof(st->table), "%s", sl_meta_str(o->meta, o->table->name_str));
}

static int do_attach(struct attach_args *a, struct sl_obj *o)
{
	struct sl_target *t = &a->t;
	struct sl_state st = {};
	char staging[PATH_MAX], parent[PATH_MAX];
	_cleanup_close_ int state_fd = -1;
	int link_fd = -1, err;

	sl_target_fill_state(t, &st);
	fill_object(&st, o);
	st.attached_at = time(NULL);

	/* Pins go to a staging directory renamed into place last: all or nothing. (bpffs forbids
	 * dots in names.) */
	snprintf(parent, sizeof(parent), "%s", t->pin_dir);
	*strrchr(parent, '/') = '\0';
	snprintf(staging, sizeof(staging), "%s/staging-%d", parent, (int)getpid());
	err = sl_mkdirs(staging);
	if (err) {
		sl_err(err, "cannot create %s: %s", staging, strerror(-err));
		goto fail;
	}
	if (o->counters) {
		err = pin_fd(bpf_map__fd(o->counters), staging, "counters");
		if (err)
			goto fail;
	}
	err = sl_hook_attach(t, o->prog_fd, &st, &link_fd);
	if (err)
		goto fail;
	/* The record includes what attaching chose (xdp mode, tc handle). */
	state_fd = sl_state_create(&st, o->meta);
	if (state_fd < 0)
		err =
		    sl_err(state_fd, "cannot create the state record map: %s", strerror(-state_fd));
	else
		err = pin_fd(state_fd, staging, "state");
	if (!err)
		err = link_fd >= 0 ? pin_fd(link_fd, staging, "link")
				   : pin_fd(o->prog_fd, staging, "prog");
	if (!err && rename(staging, t->pin_dir))
		err = sl_err(-errno, "cannot move pins into %s: %s", t->pin_dir, strerror(errno));
	if (err)
		goto fail;
	if (link_fd >= 0)
		close(link_fd);
	return 0;
fail:
	sl_hook_undo(t, &st, link_fd);
	sl_pin_dir_remove(staging);
	return err;
}

static int print_attached(const struct sl_target *t, const struct sl_obj *o, const char *verb)
{
	struct sl_state st;
	struct sl_link_status s = {};

	if (!sl_state_read(t->pin_dir, &st, NULL))
		sl_hook_status(&st, t->pin_dir, &s);
	printf("%s %s (table %s) as %s%s: program %u", verb, o->path,
	       sl_meta_str(o->meta, o->table->name_str), sl_target_describe(t),
	       st.hook == SLUICE_HOOK_XDP
		   ? (st.xdp_mode == SL_XDP_GENERIC ? " (generic)" : " (native)")
		   : (st.attach == SL_ATTACH_TC_LEGACY ? " (clsact)" : ""),
	       s.prog_id);
	if (s.link_id)
		printf(", link %u", s.link_id);
	printf("\n");
	return SL_EXIT_OK;
}

int sl_cmd_attach(int argc, char **argv)
{
	struct attach_args a = {.t.cgroup_fd = -1};
	_cleanup_obj_ struct sl_obj *o = NULL;
	__attribute__((cleanup(unlock_root))) int lock = -1;
	int r;

	r = parse_args(argc, argv, true, &a, attach_help);
	if (r)
		return usage_exit(r, attach_help);
	r = prepare(&a, &o);
	if (!r)
		r = check_free(&a.t);
	/* The verifier may take a while: load before taking the lock (and blocking signals). */
	if (!r)
		r = sl_obj_load(o);
	if (r)
		goto out;
	lock = lock_root();
	if (lock < 0) {
		r = lock;
		goto out;
	}
	r = check_free(&a.t); /* again, under the lock */
	if (!r)
		r = do_attach(&a, o);
	if (!r)
		print_attached(&a.t, o, "attached");
out:
	sl_target_release(&a.t);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}

/* Temporary pins inside an attachment dir, renamed over the live ones once the program is swapped.
 */
struct replace_pins {
	char dir[PATH_MAX];
	char state[PATH_MAX];
	char counters[PATH_MAX];
	char prog[PATH_MAX];
};

static void replace_pins_init(struct replace_pins *p, const char *dir)
{
	int pid = getpid();

	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	snprintf(p->state, sizeof(p->state), "%s/new-state-%d", dir, pid);
	snprintf(p->counters, sizeof(p->counters), "%s/new-counters-%d", dir, pid);
	snprintf(p->prog, sizeof(p->prog), "%s/new-prog-%d", dir, pid);
}

static void replace_pins_drop(const struct replace_pins *p)
{
	unlink(p->state);
	unlink(p->counters);
	unlink(p->prog);
}

static int rename_into(const char *from, const char *dir, const char *name)
{
	char to[PATH_MAX];

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	return rename(from, to) ? -errno : 0;
}

struct carry {
	int old_fd;
	struct sl_slot_pair *pairs;
	size_t npairs;
	uint64_t *snap;
};

static void carry_free(struct carry *c)
{
	if (c->old_fd >= 0)
		close(c->old_fd);
	free(c->pairs);
	free(c->snap);
}

/* Seeds the new counter map with the old counts of unchanged rules. */
static int carry_prepare(struct carry *c, const char *dir, const struct sl_meta *old_m,
			 const struct sl_obj *o)
{
	char path[PATH_MAX];
	int err;

	c->old_fd = -1;
	if (!o->counters)
		return 0;
	snprintf(path, sizeof(path), "%s/counters", dir);
	c->old_fd = bpf_obj_get(path);
	if (c->old_fd < 0)
		return 0; /* the old policy did not count */
	err = sl_counters_check(c->old_fd, path);
	if (!err)
		err = sl_counters_match(old_m, o->meta, &c->pairs, &c->npairs);
	if (!err)
		err = sl_counters_snapshot(c->old_fd, c->pairs, c->npairs, &c->snap);
	/* Seeded from the snapshot itself: what arrives later is the delta added after the swap. */
	if (!err)
		err = sl_counters_seed(bpf_map__fd(o->counters), c->pairs, c->npairs, c->snap);
	if (err)
		sl_err(err, "cannot carry counters over: %s", strerror(-err));
	return err;
}

static int do_replace(struct attach_args *a, struct sl_obj *o, const struct sl_state *old,
		      const struct sl_meta *old_m, size_t *carried)
{
	const char *dir = a->t.pin_dir;
	struct sl_state st = *old;
	struct replace_pins p;
	struct carry c = {.old_fd = -1};
	_cleanup_close_ int state_fd = -1;
	_cleanup_close_ int old_prog = -1;
	uint32_t old_id;
	int err;

	old_prog = sl_hook_current_prog(old, dir, &old_id);
	if (old_prog < 0)
		return sl_err(old_prog, "cannot find the attached program of %s: %s",
			      sl_target_describe(&a->t), strerror(-old_prog));
	fill_object(&st, o);
	st.replaced_at = time(NULL);
	st.nreplaced++;
	state_fd = sl_state_create(&st, o->meta);
	if (state_fd < 0)
		return sl_err(state_fd, "cannot create the state record map: %s",
			      strerror(-state_fd));
	err = carry_prepare(&c, dir, old_m, o);
	if (err)
		goto out;
	replace_pins_init(&p, dir);
	if (bpf_obj_pin(state_fd, p.state) ||
	    (o->counters && bpf_obj_pin(bpf_map__fd(o->counters), p.counters)) ||
	    (old->attach == SL_ATTACH_TC_LEGACY && bpf_obj_pin(o->prog_fd, p.prog))) {
		err = sl_err(-errno, "cannot pin into %s: %s", dir, strerror(errno));
		goto drop;
	}
	err = sl_hook_update(old, dir, old_prog, o->prog_fd);
	if (err) {
		sl_err(err, "the kernel refused to swap the program of %s: %s",
		       sl_target_describe(&a->t), strerror(-err));
		if (err == -EPERM)
			sl_hint("another process replaced it meanwhile; check `sluice-load list` "
				"and retry");
		goto drop;
	}
	err = rename_into(p.state, dir, "state");
	if (!err && o->counters)
		err = rename_into(p.counters, dir, "counters");
	if (!err && old->attach == SL_ATTACH_TC_LEGACY)
		err = rename_into(p.prog, dir, "prog");
	if (err) {
		sl_err(err, "cannot update the pins in %s: %s; putting the old program back", dir,
		       strerror(-err));
		sl_hook_update(old, dir, o->prog_fd, old_prog);
		goto drop;
	}
	if (!o->counters) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/counters", dir);
		unlink(path);
	}
	/* Packets the old program counted between the snapshot and the swap. */
	if (c.old_fd >= 0 &&
	    sl_counters_carry(c.old_fd, bpf_map__fd(o->counters), c.pairs, c.npairs, c.snap))
		sl_warn("counts of the last moments before the swap could not be carried over");
	*carried = c.npairs;
	goto out;
drop:
	replace_pins_drop(&p);
out:
	carry_free(&c);
	return err;
}

int sl_cmd_replace(int argc, char **argv)
{
	struct attach_args a = {.t.cgroup_fd = -1};
	_cleanup_obj_ struct sl_obj *o = NULL;
	_cleanup_meta_ struct sl_meta *old_m = NULL;
	__attribute__((cleanup(unlock_root))) int lock = -1;
	struct sl_state old;
	size_t carried = 0;
	int r;

	r = parse_args(argc, argv, true, &a, attach_help);
	if (!r && (a.t.order_flag || a.t.xdp_mode || a.t.tc_legacy)) {
		fprintf(stderr,
			"sluice-load: usage error: replace keeps the attachment's mode and "
			"position; --mode, --before, --after and --tc-legacy apply to attach\n");
		r = -EINVAL;
	}
	if (r)
		return usage_exit(r, attach_help);
	r = prepare(&a, &o);
	if (!r)
		r = check_taken(&a.t);
	if (!r)
		r = sl_obj_load(o);
	if (r)
		goto out;
	lock = lock_root();
	if (lock < 0) {
		r = lock;
		goto out;
	}
	r = check_taken(&a.t);
	if (!r)
		r = sl_state_read(a.t.pin_dir, &old, &old_m);
	if (!r)
		r = do_replace(&a, o, &old, old_m, &carried);
	if (!r) {
		print_attached(&a.t, o, "replaced with");
		printf("counters of %zu unchanged rule%s carried over\n", carried,
		       carried == 1 ? "" : "s");
	}
out:
	sl_target_release(&a.t);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}

int sl_cmd_detach(int argc, char **argv)
{
	struct attach_args a = {.t.cgroup_fd = -1};
	__attribute__((cleanup(unlock_root))) int lock = -1;
	struct sl_state st;
	int r;

	r = parse_args(argc, argv, false, &a, detach_help);
	if (r)
		return usage_exit(r, detach_help);
	r = sl_check_privileges(false, true, a.t.netns != NULL, "detaching");
	if (!r)
		r = sl_target_resolve(&a.t);
	if (!r) {
		lock = lock_root();
		r = lock < 0 ? lock : 0;
	}
	if (!r && !has_state(a.t.pin_dir)) {
		r = sl_err(-ENOENT, "sluice has nothing attached as %s", sl_target_describe(&a.t));
		sl_hint("`sluice-load list` shows what sluice attached");
	}
	if (!r)
		r = sl_state_read(a.t.pin_dir, &st, NULL);
	if (!r) {
		r = sl_hook_detach(&st, a.t.pin_dir);
		if (r)
			sl_err(r, "cannot detach %s: %s", sl_target_describe(&a.t), strerror(-r));
	}
	if (!r) {
		sl_pin_dir_remove(a.t.pin_dir);
		printf("detached %s\n", sl_target_describe(&a.t));
	}
	sl_target_release(&a.t);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}

static int prune_cb(const char *dir, void *ctx)
{
	struct sl_state st;
	struct sl_link_status s;

	(void)ctx;
	if (sl_state_read(dir, &st, NULL)) {
		sl_pin_dir_remove(dir);
		printf("pruned %s (unreadable state)\n", dir);
		return 0;
	}
	if (sl_hook_status(&st, dir, &s))
		s.attached = false;
	if (s.attached)
		return 0;
	if (st.attach == SL_ATTACH_LINK)
		sl_hook_detach(&st, dir);
	sl_pin_dir_remove(dir);
	printf("pruned %s\n", dir);
	return 0;
}

/* Leftovers of a sluice-load killed mid-way (SIGKILL): staging-PID dirs, new-*-PID pins. */
static void prune_leftovers(const char *dir, int depth)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		const char *dash = strrchr(name, '-');
		char path[PATH_MAX];
		struct stat st;
		int pid = dash ? atoi(dash + 1) : 0;
		bool stale = pid > 0 && kill(pid, 0) && errno == ESRCH &&
			     (!strncmp(name, "staging-", 8) || !strncmp(name, "new-", 4));

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (name[0] == '.' || lstat(path, &st)) {
			free(ents[i]);
			continue;
		}
		if (stale) {
			if (S_ISDIR(st.st_mode))
				sl_pin_dir_remove(path);
			else
				unlink(path);
			printf("pruned %s (left by a killed sluice-load)\n", path);
		} else if (S_ISDIR(st.st_mode) && depth < 4) {
			prune_leftovers(path, depth + 1);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

int sl_cmd_prune(int argc, char **argv)
{
	__attribute__((cleanup(unlock_root))) int lock = -1;

	if (argc > 1) {
		if (sl_is_help(argv[1])) {
			fputs(prune_help, stdout);
			return SL_EXIT_OK;
		}
		fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n\n%s", argv[1],
			prune_help);
		return SL_EXIT_USAGE;
	}
	if (sl_check_privileges(false, true, false, "pruning"))
		return SL_EXIT_FAIL;
	lock = lock_root();
	if (lock < 0)
		return SL_EXIT_FAIL;
	prune_leftovers(sl_pin_root(), 0);
	return sl_walk_attachments(prune_cb, NULL) ? SL_EXIT_FAIL : SL_EXIT_OK;
}
