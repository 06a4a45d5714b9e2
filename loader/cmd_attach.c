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

#include "attach.h"
#include "cmd.h"
#include "state_maps.h"
#include "counters.h"
#include "ct.h"
#include "hook.h"
#include "kernel.h"
#include "intent.h"
#include "common/sha256.h"
#include "orphan.h"
#include "sets.h"
#include "obj.h"
#include "state.h"
#include "target.h"
#include "util.h"
#include "xdp_multi.h"

static const char attach_help[] =
    "usage: sluice-load attach OBJ [--table NAME] TARGET [--netns NAME|PATH]\n"
    "       sluice-load replace OBJ [--table NAME] TARGET [--netns NAME|PATH]\n"
    "\n"
    "attach loads table NAME of OBJ (the only table when omitted) and attaches it\n"
    "through a bpf_link; link, counter map and a state record are pinned under\n"
    "/sys/fs/bpf/sluice so that later runs find them. replace swaps the program of\n"
    "an existing attachment atomically (bpf_link_update): every packet is judged\n"
    "by the old or the new program; counters of rules whose text is unchanged\n"
    "carry over. Named sets start with the policy's elements (pinned as sets/NAME,\n"
    "changed with `sluice-load set`); replace keeps the elements added at run time\n"
    "to a set whose name, type and flags are unchanged, plus the new policy's.\n"
    "\n"
    "TARGET:\n"
    "  --xdp DEV [--mode native|generic]   default native, generic when the driver lacks it\n"
    "      [--multi [--priority N]]        share the device through libxdp's dispatcher\n"
    "                                      (with xdp-tools); lower N runs first, default 50\n"
    "  --tc DEV ingress|egress             tcx (kernel >= 6.6), else clsact + cls_bpf\n"
    "      [--before ID|--after ID]        tcx order relative to a program id (or link:ID)\n"
    "      [--tc-legacy]                   force clsact + cls_bpf (also SLUICE_TC_LEGACY=1)\n"
    "  --cgroup PATH ingress|egress        a cgroup v2 directory\n"
    "  --netns NAME|PATH                   resolve DEV and attach in that network namespace\n"
    "                                      (NAME = /run/netns/NAME)\n";

static const char detach_help[] =
    "usage: sluice-load detach TARGET [--netns NAME|PATH]\n"
    "\n"
    "Detaches what sluice attached at TARGET (--xdp DEV [--multi --priority N] |\n"
    "--tc DEV ingress|egress | --cgroup PATH ingress|egress) and removes its pins.\n";

static const char prune_help[] =
    "usage: sluice-load prune [--json]\n"
    "\n"
    "Removes the pins of attachments the kernel has already dropped (device,\n"
    "network namespace or cgroup deleted; `list` shows them as 'defunct'), the\n"
    "leftovers of a killed sluice-load, and cls_bpf filters with sluice's tag\n"
    "that no record knows (`list` shows them as 'orphan'). --json: an array of\n"
    "{\"pruned\", \"reason\"}.\n";

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
 * half-made attachment: terminal and termination signals wait until the
 * command is done (SIGKILL cannot wait: the intent record covers it). Taking
 * the lock blocks them and recovers what a killed sluice-load left; releasing
 * it lets them in.
 */
static void block_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(how, &set, NULL);
}

int sl_lock(bool can_change)
{
	int fd, err;

	block_signals(SIG_BLOCK);
	fd = sl_pin_root_lock();
	if (fd < 0)
		return fd;
	err = sl_recover(can_change);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

void sl_unlock(int *fd)
{
	/* The lock directory stays: removing it would let two processes lock different inodes. */
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	fflush(stdout);
	block_signals(SIG_UNBLOCK);
}

static int lock_root(void)
{
	return sl_lock(true);
}

static void unlock_root(int *fd)
{
	sl_unlock(fd);
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
	sl_hint("attach it to %s %s hook, or change `hook` in the policy and rebuild",
		o->table->hook == SLUICE_HOOK_XDP ? "an" : "a", sl_hook_name(o->table->hook));
	return -EINVAL;
}

/* --multi: the program becomes an freplace of a dispatcher slot (xdp_multi.h). */
static int multi_prepare(struct sl_obj *o, const struct sl_target *t)
{
	if (o->ct_prog) {
		sl_err(-EOPNOTSUPP,
		       "'%s' tracks connections; its companion program cannot go "
		       "through libxdp's dispatcher yet",
		       o->path);
		sl_hint("attach it without --multi");
		return -EOPNOTSUPP;
	}
	return sl_xdp_multi_prepare(o, t);
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
		err = sl_kernel_check((*o)->table->hook, true, sl_obj_has_log(*o));
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
	sl_sha256(o->data, o->size, st->object_sha256);
}

static uint32_t prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* A directory without a record is a leftover (an older sluice-load's): clear it. */
static void clear_leftover_dir(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st) && !has_state(dir)) {
		sl_pin_dir_remove(dir);
		sl_info("removed the leftovers in %s", dir);
	}
}

/*
 * Steps: intent, staging, counters-pinned, [qdisc], kernel-attached,
 * link-pinned, state-pinned, renamed. Until the link is pinned a kill lets the
 * kernel drop it (its only fd goes); a cls_bpf filter stays, and recovery
 * finds it by the program id in the record.
 */
static int do_attach(struct attach_args *a, struct sl_obj *o)
{
	struct sl_target *t = &a->t;
	struct sl_txn tx = {.fd = -1, .r.op = SL_OP_ATTACH, .prefix = o->ct_view ? "ct-" : NULL};
	struct sl_state *st = &tx.r.st;
	char parent[PATH_MAX];
	_cleanup_close_ int state_fd = -1;
	int link_fd = -1, err;

	sl_target_fill_state(t, st);
	fill_object(st, o);
	snprintf(st->config, sizeof(st->config), "%s", a->config ? a->config : "");
	st->attached_at = time(NULL);
	st->prog_id = tx.r.new_prog_id = prog_id_of(o->prog_fd);
	/* Recorded before the kernel changes: recovery then knows to look in the dispatcher. */
	if (t->xdp_multi)
		st->attach = SL_ATTACH_XDP_MULTI;
	if (t->dev && t->hook != SLUICE_HOOK_XDP && sl_tc_use_legacy(t)) {
		st->attach = SL_ATTACH_TC_LEGACY;
		tx.r.qdisc_existed = sl_tc_has_clsact(t->netns, t->ifindex);
	}
	/* Pins go to a staging directory renamed into place last. (bpffs forbids dots in names.) */
	snprintf(tx.r.dir, sizeof(tx.r.dir), "%s", t->pin_dir);
	snprintf(parent, sizeof(parent), "%s", t->pin_dir);
	*strrchr(parent, '/') = '\0';
	snprintf(tx.r.staging, sizeof(tx.r.staging), "%s/staging-%d", parent, (int)getpid());
	clear_leftover_dir(t->pin_dir);
	err = sl_intent_begin(&tx);
	if (err)
		return err;
	err = sl_mkdirs(tx.r.staging);
	if (err) {
		sl_err(err, "cannot create %s: %s", tx.r.staging, strerror(-err));
		goto fail;
	}
	sl_step(&tx, "staging");
	if (o->counters) {
		err = pin_fd(bpf_map__fd(o->counters), tx.r.staging, "counters");
		if (err)
			goto fail;
	}
	err = sl_state_maps_pin(o, tx.r.staging, "");
	if (err)
		goto fail;
	sl_step(&tx, "counters-pinned");
	/* Named sets: their inner maps with the policy's elements, in slot 0 before attaching. */
	err = sl_sets_setup(o, NULL, NULL);
	if (!err)
		err = sl_sets_pin(o, tx.r.staging, "sets");
	if (err)
		goto fail;
	sl_step(&tx, "sets-pinned");
	st->ct_role = o->ct_view   ? SL_CT_ROLE_COMPANION
		      : o->ct_prog ? SL_CT_ROLE_TABLE
				   : SL_CT_ROLE_NONE;
	if (o->flows) {
		err = pin_fd(bpf_map__fd(o->flows), tx.r.staging, "flows");
		if (err)
			goto fail;
	}
	err = sl_hook_attach(t, o->prog_fd, st, &link_fd, sl_step_cb, &tx);
	if (err)
		goto fail;
	sl_step(&tx, "kernel-attached");
	err = link_fd >= 0 ? pin_fd(link_fd, tx.r.staging, "link")
			   : pin_fd(o->prog_fd, tx.r.staging, "prog");
	if (err)
		goto fail;
	sl_step(&tx, "link-pinned");
	/* The record includes what attaching chose (xdp mode, tc handle). */
	state_fd = sl_state_create(st, o->meta);
	if (state_fd < 0)
		err =
		    sl_err(state_fd, "cannot create the state record map: %s", strerror(-state_fd));
	else
		err = pin_fd(state_fd, tx.r.staging, "state");
	if (err)
		goto fail;
	sl_step(&tx, "state-pinned");
	if (rename(tx.r.staging, t->pin_dir)) {
		err = sl_err(-errno, "cannot move pins into %s: %s", t->pin_dir, strerror(errno));
		goto fail;
	}
	sl_step(&tx, "renamed");
	sl_intent_end(&tx);
	if (link_fd >= 0)
		close(link_fd);
	return 0;
fail:
	sl_hook_undo(t, st, link_fd);
	sl_pin_dir_remove(tx.r.staging);
	sl_intent_end(&tx);
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
	       st.attach == SL_ATTACH_XDP_MULTI
		   ? (st.xdp_mode == SL_XDP_GENERIC ? " (generic, dispatcher)"
						    : " (native, dispatcher)")
	       : st.hook == SLUICE_HOOK_XDP
		   ? (st.xdp_mode == SL_XDP_GENERIC ? " (generic)" : " (native)")
		   : (st.attach == SL_ATTACH_TC_LEGACY ? " (clsact)" : ""),
	       s.prog_id);
	if (s.link_id)
		printf(", link %u", s.link_id);
	printf("\n");
	return SL_EXIT_OK;
}

static int do_detach(const struct sl_target *t, const struct sl_state *st);

/*
 * A table that tracks connections comes with its companion (ct.h): attached
 * first, in the sibling directory of the other direction, as an attachment
 * of its own (state record with ct_role), so that every operation, and the
 * recovery of a killed one, works on it as on any attachment. The table
 * attaches second: it never runs without its companion.
 */
static int companion_free(const struct attach_args *a, const struct sl_obj *o)
{
	struct attach_args ca = *a;

	sl_ct_target(&a->t, o->ct_hook, &ca.t);
	if (has_state(ca.t.pin_dir)) {
		sl_err(
		    -EEXIST,
		    "table '%s' tracks connections: its companion program needs %s, where sluice "
		    "has a program attached already",
		    sl_meta_str(o->meta, o->table->name_str), sl_target_describe(&ca.t));
		sl_hint("detach that one first, or put both policies' tables in one policy");
		return -EEXIST;
	}
	return 0;
}

static int attach_companion(struct attach_args *a, struct sl_obj *o)
{
	struct attach_args ca = *a;
	struct sluice_meta_table table;
	struct sl_obj view;
	int err;

	sl_ct_target(&a->t, o->ct_hook, &ca.t);
	sl_ct_view(o, &view, &table);
	err = companion_free(a, o);
	if (!err)
		err = do_attach(&ca, &view);
	if (err && err != -EEXIST)
		sl_err(err, "cannot attach the connection tracker's companion as %s",
		       sl_target_describe(&ca.t));
	return err;
}

/* Detaches the companion of the table at t, if it is there. */
static int detach_companion(const struct sl_target *t, uint32_t ct_hook)
{
	struct sl_target ct;
	struct sl_state st;
	int err;

	sl_ct_target(t, ct_hook, &ct);
	if (!has_state(ct.pin_dir))
		return 0;
	err = sl_state_read(ct.pin_dir, &st, NULL);
	if (!err && st.ct_role == SL_CT_ROLE_COMPANION)
		err = do_detach(&ct, &st);
	return err;
}

/* Whether a table of the sibling directories has the companion at t (else it is left over). */
static bool companion_has_table(const struct sl_target *t)
{
	for (uint32_t h = SLUICE_HOOK_XDP; h <= SLUICE_HOOK_CGROUP_EGRESS; h++) {
		struct sl_target tt;
		struct sl_state st;

		if (h == t->hook || sl_ct_companion_hook(h) != t->hook)
			continue;
		sl_ct_target(t, h, &tt);
		if (has_state(tt.pin_dir) && !sl_state_read_quiet(tt.pin_dir, &st) &&
		    st.ct_role == SL_CT_ROLE_TABLE)
			return true;
	}
	return false;
}

/* The unit's record: the table at t (its state st), its companion at ct_hook. */
static int unit_begin(struct sl_txn *u, const struct sl_target *t, const struct sl_state *st,
		      uint32_t ct_hook)
{
	struct sl_target ct;

	sl_ct_target(t, ct_hook, &ct);
	u->fd = -1;
	u->pin = SL_UNIT_PIN;
	u->prefix = "unit-";
	snprintf(u->r.dir, sizeof(u->r.dir), "%s", t->pin_dir);
	snprintf(u->r.staging, sizeof(u->r.staging), "%s", ct.pin_dir);
	u->r.st = *st;
	return sl_intent_begin(u);
}

/* A step of the unit failed: it is settled as recovery would (both or neither). */
static int unit_fail(struct sl_txn *u, int err)
{
	sl_warn("the connection tracking table and its companion: %s", sl_unit_settle(&u->r));
	sl_intent_end(u);
	return err;
}

/*
 * Steps: unit-intent, (the companion's attach: ct-*), unit-companion, (the
 * table's), unit-table. The companion comes first: the table never runs
 * without it.
 */
static int attach_unit(struct attach_args *a, struct sl_obj *o)
{
	struct sl_txn u = {.r.op = SL_OP_ATTACH, .r.ct_new = 1};
	struct sl_state st = {};
	int err;

	if (!o->ct_prog)
		return do_attach(a, o);
	err = companion_free(a, o);
	if (err)
		return err;
	sl_target_fill_state(&a->t, &st);
	u.r.new_prog_id = prog_id_of(o->prog_fd);
	u.r.ct_new_prog_id = prog_id_of(o->ct_prog_fd);
	err = unit_begin(&u, &a->t, &st, o->ct_hook);
	if (err)
		return err;
	err = attach_companion(a, o);
	if (err)
		return unit_fail(&u, err);
	sl_step(&u, "companion");
	err = do_attach(a, o);
	if (err)
		return unit_fail(&u, err);
	sl_step(&u, "table");
	sl_intent_end(&u);
	return 0;
}

/* Steps: unit-intent, (the table's detach), unit-table, (the companion's: ct-*), unit-companion. */
static int detach_unit(const struct sl_target *t, const struct sl_state *st)
{
	struct sl_txn u = {.r.op = SL_OP_DETACH, .r.ct_old = 1};
	int err;

	if (st->ct_role != SL_CT_ROLE_TABLE)
		return do_detach(t, st);
	err = unit_begin(&u, t, st, sl_ct_companion_hook(st->hook));
	if (err)
		return err;
	err = do_detach(t, st);
	if (err)
		return unit_fail(&u, err);
	sl_step(&u, "table");
	err = detach_companion(t, sl_ct_companion_hook(st->hook));
	if (err)
		return unit_fail(&u, err);
	sl_step(&u, "companion");
	sl_intent_end(&u);
	return 0;
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
	if (!r && a.t.xdp_multi)
		r = multi_prepare(o, &a.t);
	/* The verifier may take a while: load before taking the lock (and blocking signals). */
	if (!r) {
		o->netns = a.t.netns;
		r = sl_obj_load(o);
	}
	if (r)
		goto out;
	lock = lock_root();
	if (lock < 0) {
		r = lock;
		goto out;
	}
	r = check_free(&a.t); /* again, under the lock */
	if (!r)
		r = attach_unit(&a, o);
	if (!r)
		print_attached(&a.t, o, "attached");
out:
	sl_target_release(&a.t);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}

static int pin_at(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path); /* a leftover of an older sluice-load */
	return bpf_obj_pin(fd, path) ? sl_err(-errno, "cannot pin %s: %s", path, strerror(errno))
				     : 0;
}

static void drop_new_pins(const char *dir)
{
	static const char *const names[] = {"new-state", "new-counters", "new-carried", "new-prog"};
	char path[PATH_MAX];

	for (size_t i = 0; i < SL_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	sl_state_maps_drop_new(dir);
	sl_sets_remove(dir, "new-sets");
}

/*
 * Steps: intent, new-pins, switched, carried, renamed. The new pins sit next
 * to the live ones as new-*; the kernel switches programs atomically; the
 * counts of the old program are read once it cannot run any more, into the
 * new "carried" map; the pins are renamed over the live ones, the record first.
 */
static int do_replace(struct attach_args *a, struct sl_obj *o, const struct sl_state *old,
		      const struct sl_meta *old_m, size_t *carried)
{
	const char *dir = a->t.pin_dir;
	struct sl_txn tx = {.fd = -1, .r.op = SL_OP_REPLACE, .prefix = o->ct_view ? "ct-" : NULL};
	struct sl_state st = *old;
	_cleanup_free_ struct sl_slot_pair *pairs = NULL;
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
	st.prog_id = prog_id_of(o->prog_fd);
	st.ct_role = o->ct_view	  ? SL_CT_ROLE_COMPANION
		     : o->ct_prog ? SL_CT_ROLE_TABLE
				  : SL_CT_ROLE_NONE;
	state_fd = sl_state_create(&st, o->meta);
	if (state_fd < 0)
		return sl_err(state_fd, "cannot create the state record map: %s",
			      strerror(-state_fd));
	if (o->counters && sl_counters_match(old_m, o->meta, &pairs, carried))
		return sl_err(-ENOMEM, "out of memory");
	/* The new sets: the new policy's elements plus the old sets' run-time ones. */
	err = sl_sets_setup(o, dir, old_m);
	if (err)
		return err;
	tx.r.st = *old;
	tx.r.old_prog_id = old_id;
	tx.r.new_prog_id = st.prog_id;
	tx.r.new_has_counters = o->counters != NULL;
	snprintf(tx.r.dir, sizeof(tx.r.dir), "%s", dir);
	err = sl_intent_begin(&tx);
	if (err)
		return err;
	drop_new_pins(dir);
	err = pin_at(state_fd, dir, "new-state");
	if (!err && o->counters)
		err = pin_at(bpf_map__fd(o->counters), dir, "new-counters");
	if (!err && (old->attach == SL_ATTACH_TC_LEGACY || old->attach == SL_ATTACH_XDP_MULTI))
		err = pin_at(o->prog_fd, dir, "new-prog");
	if (!err)
		err = sl_state_maps_pin(o, dir, "new-");
	if (!err)
		err = sl_sets_pin(o, dir, "new-sets");
	if (err)
		goto drop;
	sl_step(&tx, "new-pins");
	err = sl_hook_update(old, dir, old_prog, o->prog_fd);
	if (err) {
		sl_err(err, "the kernel refused to swap the program of %s: %s",
		       sl_target_describe(&a->t), strerror(-err));
		if (err == -EPERM)
			sl_hint("another process replaced it meanwhile; check `sluice-load list` "
				"and retry");
		goto drop;
	}
	sl_step(&tx, "switched");
	/* From here on the new program runs: only forward. */
	if (sl_carry_finish(dir))
		sl_warn("the counts of the old program could not be carried over");
	sl_step(&tx, "carried");
	err = sl_replace_commit(dir, o->counters != NULL, sl_step_cb, &tx);
	if (err) {
		/* The record stays: the next sluice-load completes it. */
		sl_hint(
		    "the new program runs; any next sluice-load command puts the pins in place");
		close(tx.fd);
		return err;
	}
	sl_intent_end(&tx);
	return 0;
drop:
	drop_new_pins(dir);
	sl_intent_end(&tx);
	return err;
}

/*
 * Before the table's program is swapped: the new companion takes the old
 * one's place (or comes), so that the new table never runs without it. The
 * flow table carries over (sl_ct_reuse_flows()): connections survive.
 */
static int replace_companion_first(struct attach_args *a, struct sl_obj *o,
				   const struct sl_state *old)
{
	struct attach_args ca = *a;
	struct sluice_meta_table table;
	struct sl_obj view;
	struct sl_state cst;
	_cleanup_meta_ struct sl_meta *cm = NULL;
	size_t carried = 0;
	int err;

	if (!o->ct_prog)
		return 0;
	if (old->ct_role != SL_CT_ROLE_TABLE)
		return attach_companion(a, o);
	sl_ct_target(&a->t, o->ct_hook, &ca.t);
	sl_ct_view(o, &view, &table);
	err = sl_state_read(ca.t.pin_dir, &cst, &cm);
	if (!err)
		err = do_replace(&ca, &view, &cst, cm, &carried);
	return err;
}

/* Replace, ct to ct: the old companion's program and record, kept until the unit is done. */
static int companion_save(const char *cdir)
{
	struct sl_state cst;
	_cleanup_close_ int prog = -1;
	_cleanup_close_ int state = sl_pin_open(cdir, "state");
	uint32_t id;
	int err;

	err = state < 0 ? state : sl_state_read(cdir, &cst, NULL);
	if (err)
		return sl_err(err, "cannot read the companion's record in %s", cdir);
	prog = sl_hook_current_prog(&cst, cdir, &id);
	if (prog < 0)
		return sl_err(prog, "cannot find the companion's program in %s: %s", cdir,
			      strerror(-prog));
	err = pin_at(prog, cdir, "unit-old-prog");
	return err ? err : pin_at(state, cdir, "unit-old-state");
}

/*
 * A table that tracks connections, or one replaced by one that does: table
 * and companion as one unit. Steps: unit-intent, [ct to ct: unit-saved],
 * [to ct: (the companion's replace or attach: ct-*), unit-companion], (the
 * table's replace), unit-table, unit-flows, [ct to none: (the companion's
 * detach: ct-*), unit-companion-gone]. The new companion comes before the new
 * table and the old one goes after the old table: no table runs without the
 * companion it needs. Any failure, and recovery from a kill, settles the unit
 * by the table's program (sl_unit_settle()).
 */
static int replace_unit(struct attach_args *a, struct sl_obj *o, const struct sl_state *old,
			const struct sl_meta *old_m, size_t *carried)
{
	struct sl_txn u = {.r.op = SL_OP_REPLACE};
	uint32_t ct_hook = sl_ct_companion_hook(old->hook);
	int err;

	u.r.ct_old = old->ct_role == SL_CT_ROLE_TABLE;
	u.r.ct_new = o->ct_prog != NULL;
	if (!u.r.ct_old && !u.r.ct_new)
		return do_replace(a, o, old, old_m, carried);
	if (!u.r.ct_old) {
		err = companion_free(a, o);
		if (err)
			return err;
	}
	u.r.new_prog_id = prog_id_of(o->prog_fd);
	u.r.ct_new_prog_id = u.r.ct_new ? prog_id_of(o->ct_prog_fd) : 0;
	err = unit_begin(&u, &a->t, old, ct_hook);
	if (err)
		return err;
	if (u.r.ct_old && u.r.ct_new) {
		err = companion_save(u.r.staging);
		if (err)
			return unit_fail(&u, err);
		sl_step(&u, "saved");
	}
	if (u.r.ct_new) {
		err = replace_companion_first(a, o, old);
		if (err)
			return unit_fail(&u, err);
		sl_step(&u, "companion");
	}
	err = do_replace(a, o, old, old_m, carried);
	if (err)
		return unit_fail(&u, err);
	sl_step(&u, "table");
	if (u.r.ct_new) {
		err = pin_at(bpf_map__fd(o->flows), a->t.pin_dir, "flows");
	} else {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/flows", a->t.pin_dir);
		unlink(path);
	}
	if (err)
		return unit_fail(&u, err);
	sl_step(&u, "flows");
	if (u.r.ct_old && !u.r.ct_new) {
		err = detach_companion(&a->t, ct_hook);
		if (err)
			return unit_fail(&u, err);
		sl_step(&u, "companion-gone");
	}
	if (u.r.ct_old && u.r.ct_new) {
		char path[PATH_MAX];

		for (int i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/unit-old-%s", u.r.staging,
				 i ? "state" : "prog");
			unlink(path);
		}
	}
	sl_intent_end(&u);
	return 0;
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
		r = sl_ct_reuse_flows(o, a.t.pin_dir);
	if (!r && a.t.xdp_multi)
		r = multi_prepare(o, &a.t);
	if (!r) {
		o->netns = a.t.netns;
		r = sl_obj_load(o);
	}
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
		r = replace_unit(&a, o, &old, old_m, &carried);
	if (!r) {
		print_attached(&a.t, o, "replaced with");
		printf("counters of %zu unchanged rule%s carried over\n", carried,
		       carried == 1 ? "" : "s");
	}
out:
	sl_target_release(&a.t);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}

/* Steps: intent, detached, pins-removed. */
static int do_detach(const struct sl_target *t, const struct sl_state *st)
{
	struct sl_txn tx = {.fd = -1,
			    .r.op = SL_OP_DETACH,
			    .r.st = *st,
			    .prefix = st->ct_role == SL_CT_ROLE_COMPANION ? "ct-" : NULL};
	int err;

	snprintf(tx.r.dir, sizeof(tx.r.dir), "%s", t->pin_dir);
	err = sl_intent_begin(&tx);
	if (err)
		return err;
	err = sl_hook_detach(st, t->pin_dir);
	if (err) {
		sl_err(err, "cannot detach %s: %s", sl_target_describe(t), strerror(-err));
		sl_intent_end(&tx);
		return err;
	}
	sl_step(&tx, "detached");
	sl_pin_dir_remove(t->pin_dir);
	sl_step(&tx, "pins-removed");
	sl_intent_end(&tx);
	return 0;
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
	if (!r && st.ct_role == SL_CT_ROLE_COMPANION && companion_has_table(&a.t)) {
		r = sl_err(-EINVAL,
			   "%s runs the connection tracker's companion of table '%s', attached "
			   "with it",
			   sl_target_describe(&a.t), st.table);
		sl_hint("detach the table itself; its companion goes with it");
	}
	if (!r)
		r = detach_unit(&a.t, &st);
	if (!r)
		printf("detached %s\n", sl_target_describe(&a.t));
	sl_target_release(&a.t);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}

struct prune_ctx {
	bool json;
	int count;
};

static void pruned(struct prune_ctx *c, const char *what, const char *why)
{
	if (c->json) {
		printf("%s\n  {\"pruned\":", c->count ? "," : "");
		sl_json_str(stdout, what);
		printf(",\"reason\":");
		sl_json_str(stdout, why);
		printf("}");
	} else {
		printf("pruned %s (%s)\n", what, why);
	}
	c->count++;
}

static int prune_cb(const char *dir, void *ctx)
{
	struct sl_state st;
	struct sl_link_status s;

	if (sl_state_read(dir, &st, NULL)) {
		sl_pin_dir_remove(dir);
		pruned(ctx, dir, "unreadable state");
		return 0;
	}
	if (sl_hook_status(&st, dir, &s))
		s.attached = false;
	if (s.attached)
		return 0;
	if (st.attach == SL_ATTACH_LINK)
		sl_hook_detach(&st, dir);
	sl_pin_dir_remove(dir);
	pruned(ctx, dir, "the kernel dropped it");
	return 0;
}

/* Whether the program running at the attachment of dir uses the map pinned at path. */
static bool running_uses_map(const char *dir, const char *path)
{
	struct sl_state st;
	uint32_t prog_id = 0, ids[64], len;
	struct bpf_prog_info pinfo = {};
	struct bpf_map_info minfo = {};
	_cleanup_close_ int map = bpf_obj_get(path);
	_cleanup_close_ int prog = -1;

	if (map < 0 || sl_state_read_quiet(dir, &st) || sl_hook_running_prog(&st, dir, &prog_id) ||
	    !prog_id)
		return false;
	len = sizeof(minfo);
	if (bpf_obj_get_info_by_fd(map, &minfo, &len))
		return false;
	prog = bpf_prog_get_fd_by_id(prog_id);
	pinfo.nr_map_ids = SL_ARRAY_SIZE(ids);
	pinfo.map_ids = (uintptr_t)ids;
	len = sizeof(pinfo);
	if (prog < 0 || bpf_obj_get_info_by_fd(prog, &pinfo, &len))
		return false;
	for (uint32_t i = 0; i < pinfo.nr_map_ids && i < SL_ARRAY_SIZE(ids); i++)
		if (ids[i] == minfo.id)
			return true;
	return false;
}

/*
 * Leftovers an older sluice-load left when killed (this one's are in the intent
 * record): staging-PID directories and new-*-PID pins. Under the lock no other
 * sluice-load is making any, so the PID need not be asked: a new-counters-PID
 * map the running program uses is the running policy's (its new-state-PID is
 * its record: both are put in place); anything else is dropped.
 */
static void prune_leftovers(struct prune_ctx *c, const char *dir, int depth)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	char fwd_pid[32] = "";

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!strncmp(name, "new-counters-", 13) && running_uses_map(dir, path))
			snprintf(fwd_pid, sizeof(fwd_pid), "%s", name + 13);
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[PATH_MAX], to[PATH_MAX];
		const char *dash = strrchr(name, '-');
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (name[0] == '.' || lstat(path, &st)) {
			free(ents[i]);
			continue;
		}
		if (!strncmp(name, "staging-", 8) && S_ISDIR(st.st_mode)) {
			sl_pin_dir_remove(path);
			pruned(c, path, "left by a killed sluice-load");
		} else if (!strncmp(name, "new-", 4) && dash && fwd_pid[0] &&
			   !strcmp(dash + 1, fwd_pid)) {
			snprintf(to, sizeof(to), "%s/%.*s", dir, (int)(dash - name - 4), name + 4);
			if (!rename(path, to))
				pruned(c, path,
				       "left by a killed sluice-load: the running policy's, "
				       "put in place");
		} else if (!strcmp(name, "new-sets") && S_ISDIR(st.st_mode)) {
			/* Recovery ran under this lock: no replace is in flight. */
			sl_sets_remove(dir, name);
			pruned(c, path, "left by a killed sluice-load");
		} else if (!strncmp(name, "new-", 4) && !S_ISDIR(st.st_mode)) {
			unlink(path);
			pruned(c, path, "left by a killed sluice-load");
		} else if (S_ISDIR(st.st_mode) && depth < 4) {
			prune_leftovers(c, path, depth + 1);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static int prune_orphan(const struct sl_orphan *o, void *ctx)
{
	char what[PATH_MAX];

	if (sl_tc_filter_delete(o->ifindex, o->hook, &o->f))
		return 0;
	sl_tc_release_qdisc_if_empty(o->ifindex);
	snprintf(what, sizeof(what), "cls_bpf filter of program %u on %s %s%s%s", o->f.prog_id,
		 o->ifname, o->hook == SLUICE_HOOK_TC_INGRESS ? "ingress" : "egress",
		 o->netns[0] ? " in netns " : "", o->netns);
	pruned(ctx, what, "orphan: no record of sluice's knows it");
	return 0;
}

int sl_cmd_prune(int argc, char **argv)
{
	__attribute__((cleanup(unlock_root))) int lock = -1;
	struct prune_ctx c = {};
	int err;

	for (int i = 1; i < argc; i++) {
		if (sl_is_help(argv[i])) {
			fputs(prune_help, stdout);
			return SL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			c.json = true;
			continue;
		}
		fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n\n%s", argv[i],
			prune_help);
		return SL_EXIT_USAGE;
	}
	if (sl_check_privileges(false, true, false, "pruning"))
		return SL_EXIT_FAIL;
	lock = lock_root();
	if (lock < 0)
		return SL_EXIT_FAIL;
	if (c.json)
		printf("[");
	prune_leftovers(&c, sl_pin_root(), 0);
	err = sl_walk_attachments(prune_cb, &c);
	if (!err)
		err = sl_orphans_walk(prune_orphan, &c);
	if (c.json)
		printf("%s]\n", c.count ? "\n" : "");
	return err ? SL_EXIT_FAIL : SL_EXIT_OK;
}

/*
 * For apply (cmd_apply.c), which holds the lock over its whole plan: the
 * checks and steps of attach, replace and detach, as the commands do them.
 */
int sl_attach_prepare(struct attach_args *a, struct sl_obj **o)
{
	int r = prepare(a, o);

	if (!r && a->t.xdp_multi)
		r = multi_prepare(*o, &a->t);
	return r;
}

int sl_attach_locked(struct attach_args *a, struct sl_obj *o)
{
	int r = check_free(&a->t);

	if (!r)
		r = attach_unit(a, o);
	if (!r)
		print_attached(&a->t, o, "attached");
	return r;
}

int sl_replace_locked(struct attach_args *a, struct sl_obj *o)
{
	_cleanup_meta_ struct sl_meta *old_m = NULL;
	struct sl_state old;
	size_t carried = 0;
	int r = check_taken(&a->t);

	if (!r)
		r = sl_state_read(a->t.pin_dir, &old, &old_m);
	if (!r)
		r = replace_unit(a, o, &old, old_m, &carried);
	if (!r)
		print_attached(&a->t, o, "replaced with");
	return r;
}

int sl_detach_locked(const struct sl_target *t)
{
	struct sl_state st;
	int r = sl_state_read(t->pin_dir, &st, NULL);

	if (!r)
		r = detach_unit(t, &st);
	if (!r)
		printf("detached %s\n", sl_target_describe(t));
	return r;
}
