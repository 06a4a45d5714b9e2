// SPDX-License-Identifier: GPL-2.0-only
/* The intent record and recovery from a killed sluice-load (intent.h, README "Crash safety"). */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "counters.h"
#include "ct.h"
#include "hook.h"
#include "intent.h"
#include "state_maps.h"
#include "sets.h"
#include "util.h"
#include "xdp_multi.h"

static void intent_path(char *buf, size_t len, const char *pin)
{
	snprintf(buf, len, "%s/%s", sl_pin_root(), pin ? pin : "intent");
}

static int intent_write(struct sl_txn *t)
{
	_cleanup_free_ uint8_t *val = calloc(1, SL_INTENT_SIZE);
	uint32_t key = 0;

	if (!val)
		return -ENOMEM;
	memcpy(val, &t->r, sizeof(t->r));
	return bpf_map_update_elem(t->fd, &key, val, BPF_ANY) ? -errno : 0;
}

int sl_intent_begin(struct sl_txn *t)
{
	char path[PATH_MAX];
	int err;

	t->r.magic = SL_INTENT_MAGIC;
	t->r.pid = getpid();
	t->r.started_at = time(NULL);
	snprintf(t->r.step, sizeof(t->r.step), "intent");
	t->fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_intent", 4, SL_INTENT_SIZE, 1, NULL);
	if (t->fd < 0)
		return sl_err(-errno, "cannot create the intent record: %s", strerror(errno));
	intent_path(path, sizeof(path), t->pin);
	err = intent_write(t);
	if (!err && bpf_obj_pin(t->fd, path))
		err = -errno;
	if (err) {
		close(t->fd);
		t->fd = -1;
		return sl_err(err, "cannot pin the intent record %s: %s", path, strerror(-err));
	}
	sl_step(t, "intent");
	return 0;
}

void sl_step(struct sl_txn *t, const char *step)
{
	const char *kill_at = getenv("SLUICE_TEST_KILL_AT");

	snprintf(t->r.step, sizeof(t->r.step), "%s%s", t->prefix ? t->prefix : "", step);
	if (t->fd >= 0 && intent_write(t))
		sl_warn("cannot update the intent record: %s", strerror(errno));
	if (kill_at && !strcmp(kill_at, t->r.step)) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

void sl_step_cb(void *txn, const char *step)
{
	sl_step(txn, step);
}

void sl_intent_end(struct sl_txn *t)
{
	char path[PATH_MAX];

	if (t->fd < 0)
		return;
	sl_step(t, "done");
	intent_path(path, sizeof(path), t->pin);
	if (unlink(path) && errno != ENOENT)
		sl_warn("cannot remove the intent record %s: %s", path, strerror(errno));
	close(t->fd);
	t->fd = -1;
}

static bool pin_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st);
}

static void unlink_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) && errno != ENOENT)
		sl_warn("cannot remove pin %s: %s", path, strerror(errno));
}

static int rename_pin(const char *dir, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s/%s", dir, from);
	snprintf(b, sizeof(b), "%s/%s", dir, to);
	if (rename(a, b) && errno != ENOENT)
		return sl_err(-errno, "cannot rename %s to %s: %s", a, b, strerror(errno));
	return 0;
}

static uint32_t map_entries(int fd)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

int sl_carry_finish(const char *dir)
{
	_cleanup_meta_ struct sl_meta *old_m = NULL;
	_cleanup_meta_ struct sl_meta *new_m = NULL;
	_cleanup_free_ struct sl_slot_pair *pairs = NULL;
	_cleanup_close_ int old_c = sl_pin_open(dir, "counters");
	_cleanup_close_ int old_k = sl_pin_open(dir, "carried");
	_cleanup_close_ int new_c = sl_pin_open(dir, "new-counters");
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct sl_state old_st, new_st;
	size_t npairs = 0;
	int err;

	if (new_c < 0)
		return 0; /* the new policy does not count */
	err = sl_state_read(dir, &old_st, &old_m);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/new-state", dir);
	err = sl_state_read_path(path, &new_st, &new_m);
	if (err)
		return err;
	err = sl_counters_match(old_m, new_m, &pairs, &npairs);
	if (err)
		return err;
	/* The old program may still be finishing a packet on another CPU. */
	err = sl_bpf_grace_period();
	if (err)
		return sl_err(err, "cannot wait for the old program to finish: %s", strerror(-err));
	fd = sl_carried_build(old_c >= 0 ? old_c : -1, old_k >= 0 ? old_k : -1, pairs, npairs,
			      map_entries(new_c));
	if (fd < 0)
		return sl_err(fd, "cannot carry the counters over: %s", strerror(-fd));
	snprintf(path, sizeof(path), "%s/new-carried", dir);
	unlink(path);
	if (bpf_obj_pin(fd, path))
		return sl_err(-errno, "cannot pin %s: %s", path, strerror(errno));
	return 0;
}

int sl_replace_commit(const char *dir, bool new_has_counters, void (*step)(void *, const char *),
		      void *ctx)
{
	static const char *const names[] = {"carried", "counters", "prog"};
	char from[32];
	int err;

	/* The record first: once it is the new one, the rest only completes it. */
	err = rename_pin(dir, "new-state", "state");
	if (!err && step)
		step(ctx, "renamed-state");
	for (size_t i = 0; !err && i < SL_ARRAY_SIZE(names); i++) {
		snprintf(from, sizeof(from), "new-%s", names[i]);
		err = rename_pin(dir, from, names[i]);
	}
	if (!err && !new_has_counters) {
		unlink_pin(dir, "counters");
		unlink_pin(dir, "carried");
	}
	if (!err)
		sl_state_maps_commit(dir);
	if (!err)
		err = sl_sets_commit(dir);
	if (!err && step)
		step(ctx, "renamed");
	return err;
}

static void replace_drop(const char *dir)
{
	static const char *const names[] = {"new-state", "new-counters", "new-carried", "new-prog"};

	for (size_t i = 0; i < SL_ARRAY_SIZE(names); i++)
		unlink_pin(dir, names[i]);
	sl_state_maps_drop_new(dir);
	sl_sets_remove(dir, "new-sets");
}

static const char *op_name(uint32_t op)
{
	return op == SL_OP_ATTACH ? "attach" : op == SL_OP_REPLACE ? "replace" : "detach";
}

static void describe(const struct sl_intent *r, char *buf, size_t len)
{
	if (r->st.cgroup[0])
		snprintf(buf, len, "%s on cgroup %s", sl_hook_name(r->st.hook), r->st.cgroup);
	else
		snprintf(buf, len, "%s on %s%s%s", sl_hook_name(r->st.hook), r->st.ifname,
			 r->st.netns[0] ? " in netns " : "", r->st.netns);
}

static const char *recover_attach(const struct sl_intent *r)
{
	struct sl_state cur;
	struct sl_netns saved;

	if (pin_exists(r->dir, "state") && !sl_state_read(r->dir, &cur, NULL) &&
	    cur.prog_id == r->new_prog_id) {
		sl_pin_dir_remove(r->staging);
		return "it had completed: kept it";
	}
	if (r->st.attach == SL_ATTACH_LINK) {
		_cleanup_close_ int link = sl_pin_open(r->staging, "link");

		if (link >= 0)
			bpf_link_detach(link);
	} else if (r->st.attach == SL_ATTACH_XDP_MULTI) {
		if (sl_xdp_multi_remove(&r->st, r->new_prog_id))
			sl_warn("recovery: cannot take program %u out of the dispatcher",
				r->new_prog_id);
	} else if (!sl_state_netns_enter(&r->st, &saved)) {
		struct sl_tc_filter f[64];
		int n = sl_tc_filters(r->st.ifindex, r->st.hook, f, SL_ARRAY_SIZE(f));

		for (int i = 0; i < n && i < (int)SL_ARRAY_SIZE(f); i++)
			if (f[i].prog_id == r->new_prog_id &&
			    sl_tc_filter_delete(r->st.ifindex, r->st.hook, &f[i]))
				sl_warn("recovery: cannot remove the cls_bpf filter of program %u",
					f[i].prog_id);
		if (!r->qdisc_existed)
			sl_tc_release_qdisc_if_empty(r->st.ifindex);
		sl_netns_leave(&saved);
	}
	sl_pin_dir_remove(r->staging);
	return "undid it: nothing is attached there";
}

static const char *recover_replace(const struct sl_intent *r)
{
	uint32_t running = 0;

	sl_hook_running_prog(&r->st, r->dir, &running);
	if (running && running == r->new_prog_id) {
		if (pin_exists(r->dir, "new-state") && r->new_has_counters &&
		    !pin_exists(r->dir, "new-carried") && sl_carry_finish(r->dir))
			sl_warn("recovery: the counts of the old program are lost");
		if (sl_replace_commit(r->dir, r->new_has_counters, NULL, NULL))
			return "the new program runs, but its pins could not be put in place";
		return "the new program was running: completed it";
	}
	replace_drop(r->dir);
	if (running && running == r->old_prog_id)
		return "the old program was still running: undid it";
	return "the kernel runs neither program (device, namespace or cgroup gone?): "
	       "dropped the new pins";
}

static const char *recover_detach(const struct sl_intent *r)
{
	struct sl_link_status s;
	struct sl_netns saved;

	if (pin_exists(r->dir, "state") && !sl_hook_status(&r->st, r->dir, &s) && s.attached)
		return "it was still attached: kept it";
	if (r->st.attach == SL_ATTACH_TC_LEGACY && !sl_state_netns_enter(&r->st, &saved)) {
		sl_tc_legacy_release_qdisc(&r->st, r->dir);
		sl_netns_leave(&saved);
	}
	sl_pin_dir_remove(r->dir);
	return "the kernel had detached it: removed its pins";
}

static int recover_one(const char *pin, bool can_change)
{
	char path[PATH_MAX], what[PATH_MAX + 64];
	_cleanup_free_ uint8_t *val = calloc(1, SL_INTENT_SIZE);
	_cleanup_close_ int fd = -1;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), key = 0;
	struct sl_intent r;
	const char *outcome;

	if (!val)
		return -ENOMEM;
	intent_path(path, sizeof(path), pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT
			   ? 0
			   : sl_err(-errno, "cannot open %s: %s", path, strerror(errno));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.value_size != SL_INTENT_SIZE || bpf_map_lookup_elem(fd, &key, val)) {
		sl_warn("%s is not an intent record of this sluice-load: removing it", path);
		unlink(path);
		return 0;
	}
	if (sl_intent_decode(val, SL_INTENT_SIZE, sl_pin_root(), &r)) {
		sl_warn("%s is damaged: removing it", path);
		unlink(path);
		return 0;
	}
	describe(&r, what, sizeof(what));
	if (!can_change) {
		sl_warn("a sluice-load (pid %u) was killed during %s of %s (after step '%s'); "
			"what is shown may be off until it is recovered",
			r.pid, op_name(r.op), what, r.step);
		sl_hint("any sluice-load command with the privileges to attach recovers it, e.g. "
			"`sluice-load prune` as root");
		return 0;
	}
	if (pin) {
		outcome = sl_unit_settle(&r);
		unlink(path);
		sl_warn("recovered: a sluice-load (pid %u) was killed during %s of the connection "
			"tracking table %s and its companion (after step '%s'); %s",
			r.pid, op_name(r.op), what, r.step, outcome);
		return 0;
	}
	switch (r.op) {
	case SL_OP_ATTACH:
		outcome = recover_attach(&r);
		break;
	case SL_OP_REPLACE:
		outcome = recover_replace(&r);
		break;
	default:
		outcome = recover_detach(&r);
		break;
	}
	unlink(path);
	sl_warn("recovered: a sluice-load (pid %u) was killed during %s of %s (after step '%s'); "
		"%s",
		r.pid, op_name(r.op), what, r.step, outcome);
	return 0;
}

int sl_recover(bool can_change)
{
	/* The member's operation first: the unit is settled on what it left. */
	int err = recover_one(NULL, can_change);

	return err ? err : recover_one(SL_UNIT_PIN, can_change);
}

/* Detaches the attachment of dir and removes its pins, if its record has the role. */
static int unit_remove(const char *dir, uint32_t role)
{
	struct sl_state st;
	int err;

	if (!pin_exists(dir, "state") || sl_state_read_quiet(dir, &st) || st.ct_role != role)
		return 0;
	err = sl_hook_detach(&st, dir);
	if (err)
		return sl_err(err, "cannot detach %s: %s", dir, strerror(-err));
	sl_pin_dir_remove(dir);
	return 0;
}

/* Replace, undone: the companion runs its old program again, with its old record. */
static int companion_restore(const char *cdir)
{
	_cleanup_close_ int old = sl_pin_open(cdir, "unit-old-prog");
	_cleanup_close_ int cur = -1;
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), running = 0;
	struct sl_state st;
	int err;

	if (old < 0)
		return 0; /* not saved yet: the companion was not touched */
	if (bpf_obj_get_info_by_fd(old, &info, &len) || sl_state_read_quiet(cdir, &st))
		return -ENOENT;
	sl_hook_running_prog(&st, cdir, &running);
	if (running && running != info.id) {
		cur = bpf_prog_get_fd_by_id(running);
		err = cur < 0 ? -errno : sl_hook_update(&st, cdir, cur, old);
		if (err)
			return sl_err(err, "cannot swap the old companion back in %s: %s", cdir,
				      strerror(-err));
	}
	if (st.attach == SL_ATTACH_TC_LEGACY)
		rename_pin(cdir, "unit-old-prog", "prog");
	return pin_exists(cdir, "unit-old-state") ? rename_pin(cdir, "unit-old-state", "state") : 0;
}

static void companion_forget(const char *cdir)
{
	unlink_pin(cdir, "unit-old-prog");
	unlink_pin(cdir, "unit-old-state");
}

/* Replace, completed: the table's flows pin is its companion's map, or goes with it. */
static int flows_settle(const struct sl_intent *u)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;

	if (!u->ct_new) {
		unlink_pin(u->dir, "flows");
		return 0;
	}
	if (pin_exists(u->dir, "flows"))
		return 0;
	fd = sl_pin_open(u->staging, "flows");
	snprintf(path, sizeof(path), "%s/flows", u->dir);
	if (fd < 0 || bpf_obj_pin(fd, path))
		return sl_err(-ENOENT, "cannot pin the flow table in %s", u->dir);
	return 0;
}

const char *sl_unit_settle(const struct sl_intent *u)
{
	struct sl_state st;
	uint32_t running = 0;
	bool table = pin_exists(u->dir, "state") && !sl_state_read_quiet(u->dir, &st);

	switch (u->op) {
	case SL_OP_ATTACH:
		if (table && st.prog_id == u->new_prog_id && pin_exists(u->staging, "state"))
			return "table and companion were attached: kept both";
		if (table && st.prog_id == u->new_prog_id && unit_remove(u->dir, SL_CT_ROLE_TABLE))
			return "the table could not be detached: detach it by hand";
		if (unit_remove(u->staging, SL_CT_ROLE_COMPANION))
			return "the companion could not be detached: detach it by hand";
		return "undid it: neither table nor companion is attached";
	case SL_OP_DETACH:
		if (table)
			return "the table was still attached: kept it and its companion";
		if (unit_remove(u->staging, SL_CT_ROLE_COMPANION))
			return "the companion could not be detached: detach it by hand";
		return "detached the companion too: neither is attached";
	default:
		break;
	}
	if (table)
		sl_hook_running_prog(&st, u->dir, &running);
	if (running && running == u->new_prog_id) {
		int err = flows_settle(u);

		if (!err && u->ct_old && !u->ct_new)
			err = unit_remove(u->staging, SL_CT_ROLE_COMPANION);
		companion_forget(u->staging);
		return err ? "the new table runs, but its companion could not be settled"
		       : u->ct_new
			   ? "the new table was running: completed it with its companion"
			   : "the new table was running: completed it, the companion detached";
	}
	if (!u->ct_old && u->ct_new && unit_remove(u->staging, SL_CT_ROLE_COMPANION))
		return "the old table runs, but the new companion could not be detached";
	if (u->ct_old && u->ct_new && companion_restore(u->staging))
		return "the old table runs, but its companion could not be swapped back";
	companion_forget(u->staging);
	return "the old table was still running: undid it, its companion as before";
}
