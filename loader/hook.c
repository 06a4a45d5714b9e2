// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "hook.h"
#include "obj.h"
#include "util.h"
#include "xdp_multi.h"

/* tcx (kernel >= 6.6) through the raw syscall: libbpf 1.1 does not know it. */
#define SL_BPF_TCX_INGRESS   46
#define SL_BPF_TCX_EGRESS    47
#define SL_BPF_F_ID	     0x20u
#define SL_BPF_F_LINK	     0x2000u
#define SL_BPF_LINK_TYPE_TCX 11

struct sl_tcx_link_create {
	uint32_t prog_fd;
	uint32_t target_ifindex;
	uint32_t attach_type;
	uint32_t flags;
	uint32_t relative_id;
	uint32_t pad;
	uint64_t expected_revision;
};

struct sl_prog_query {
	uint32_t target_ifindex;
	uint32_t attach_type;
	uint32_t query_flags;
	uint32_t attach_flags;
	uint64_t prog_ids;
	uint32_t count;
	uint32_t pad;
	uint64_t prog_attach_flags;
	uint64_t link_ids;
	uint64_t link_attach_flags;
	uint64_t revision;
};

static long sys_bpf(int cmd, void *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static uint32_t tcx_type(uint32_t hook)
{
	return hook == SLUICE_HOOK_TC_INGRESS ? SL_BPF_TCX_INGRESS : SL_BPF_TCX_EGRESS;
}

static bool kernel_has_tcx(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 6);
}

bool sl_tc_use_legacy(const struct sl_target *t)
{
	const char *env = getenv("SLUICE_TC_LEGACY");

	return t->tc_legacy || (env && !strcmp(env, "1")) || !kernel_has_tcx();
}

int sl_tcx_query(uint32_t ifindex, uint32_t hook, uint32_t *prog_ids, uint32_t *link_ids,
		 uint32_t max)
{
	struct sl_prog_query q = {
	    .target_ifindex = ifindex,
	    .attach_type = tcx_type(hook),
	    .prog_ids = (uintptr_t)prog_ids,
	    .link_ids = (uintptr_t)link_ids,
	    .count = max,
	};

	if (sys_bpf(BPF_PROG_QUERY, &q, sizeof(q)))
		return -errno;
	return q.count;
}

static void explain_busy(const struct sl_target *t)
{
	if (t->hook == SLUICE_HOOK_XDP)
		sl_hint("another XDP program is attached to %s; see `ip link show %s` or `bpftool "
			"net`, detach it first",
			t->dev, t->dev);
}

static int attach_xdp(const struct sl_target *t, int prog_fd, struct sl_state *st)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	uint32_t mode = t->xdp_mode ? t->xdp_mode : SL_XDP_NATIVE;
	int fd;

	opts.flags = mode == SL_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, t->ifindex, BPF_XDP, &opts);
	if (fd < 0 && errno == EOPNOTSUPP && !t->xdp_mode) {
		sl_info("%s has no native XDP support; using generic XDP", t->dev);
		mode = SL_XDP_GENERIC;
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, t->ifindex, BPF_XDP, &opts);
	}
	if (fd < 0) {
		int err = -errno;

		sl_err(err, "cannot attach XDP (%s mode) to %s: %s",
		       mode == SL_XDP_NATIVE ? "native" : "generic", t->dev, strerror(-err));
		if (err == -EOPNOTSUPP)
			sl_hint("the driver of %s has no native XDP: use --mode generic", t->dev);
		else if (err == -EBUSY || err == -EEXIST)
			explain_busy(t);
		else
			sl_explain_bpf_perm(err);
		return err;
	}
	st->xdp_mode = mode;
	return fd;
}

static int attach_tcx(const struct sl_target *t, int prog_fd)
{
	struct sl_tcx_link_create a = {
	    .prog_fd = prog_fd,
	    .target_ifindex = t->ifindex,
	    .attach_type = tcx_type(t->hook),
	    .flags = t->order_flag,
	    .relative_id = t->rel_id,
	};
	int fd, err;

	if (t->order_flag)
		a.flags |= SL_BPF_F_ID | (t->rel_is_link ? SL_BPF_F_LINK : 0);
	fd = sys_bpf(BPF_LINK_CREATE, &a, sizeof(a));
	if (fd >= 0)
		return fd;
	err = -errno;
	sl_err(err, "cannot attach tcx %s to %s: %s",
	       t->hook == SLUICE_HOOK_TC_INGRESS ? "ingress" : "egress", t->dev, strerror(-err));
	if (err == -ENOENT && t->order_flag)
		sl_hint("no %s with id %u is attached to this hook; `bpftool link show` lists "
			"tcx links (`bpftool net show dev %s` only from bpftool 7.3 on)",
			t->rel_is_link ? "link" : "program", t->rel_id, t->dev);
	else if (err == -EINVAL)
		sl_hint("the kernel may lack tcx (needs >= 6.6): retry with --tc-legacy");
	else
		sl_explain_bpf_perm(err);
	return err;
}

static int attach_tc_legacy(const struct sl_target *t, int prog_fd, struct sl_state *st,
			    void (*step)(void *, const char *), void *step_ctx)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t->ifindex);
	/* The handle is sluice's tag: `list` finds filters no record knows of by it. */
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = sl_tc_handle());
	int err;

	hook.attach_point = t->hook == SLUICE_HOOK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
	/*
	 * sluice has no record on this hook (checked): a filter of its tag is an
	 * orphan. Its clsact goes too when nothing else uses it, so that this
	 * attachment makes (and later removes) its own.
	 */
	if (sl_tc_sweep_orphans(t->ifindex, t->hook))
		sl_tc_release_qdisc_if_empty(t->ifindex);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		sl_err(err, "cannot create the clsact qdisc on %s: %s", t->dev, strerror(-err));
		sl_explain_bpf_perm(err);
		return err;
	}
	st->qdisc_created = !err;
	if (step)
		step(step_ctx, "qdisc");
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		sl_err(err, "cannot attach a cls_bpf filter to %s: %s", t->dev, strerror(-err));
		sl_explain_bpf_perm(err);
		if (st->qdisc_created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		return err;
	}
	st->tc_handle = opts.handle;
	st->tc_priority = opts.priority;
	return 0;
}

static uint32_t cgroup_type(uint32_t hook)
{
	return hook == SLUICE_HOOK_CGROUP_INGRESS ? BPF_CGROUP_INET_INGRESS
						  : BPF_CGROUP_INET_EGRESS;
}

static int attach_cgroup(const struct sl_target *t, int prog_fd)
{
	int fd = bpf_link_create(prog_fd, t->cgroup_fd, cgroup_type(t->hook), NULL);

	if (fd < 0) {
		int err = -errno;

		sl_err(err, "cannot attach to cgroup %s: %s", t->cgroup, strerror(-err));
		if (err == -EBADF || err == -EINVAL)
			sl_hint("%s must be a cgroup v2 directory (cgroup2 mounts: `grep cgroup2 "
				"/proc/self/mountinfo`)",
				t->cgroup);
		else
			sl_explain_bpf_perm(err);
		return err;
	}
	return fd;
}

/* The id of the program pinned as dir/name; 0 when there is none. */
static uint32_t pinned_prog_id(const char *dir, const char *name)
{
	_cleanup_close_ int fd = sl_pin_open(dir, name);
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

int sl_hook_attach(const struct sl_target *t, int prog_fd, struct sl_state *st, int *link_fd,
		   void (*step)(void *, const char *), void *step_ctx)
{
	struct sl_netns saved;
	int fd, err;

	*link_fd = -1;
	st->attach = SL_ATTACH_LINK;
	if (t->cgroup) {
		fd = attach_cgroup(t, prog_fd);
		if (fd < 0)
			return fd;
		*link_fd = fd;
		return 0;
	}
	/* ifindex is resolved in the current network namespace by the kernel. */
	err = sl_netns_enter(t->netns, &saved);
	if (err)
		return err;
	if (t->hook == SLUICE_HOOK_XDP && t->xdp_multi) {
		st->attach = SL_ATTACH_XDP_MULTI;
		fd = sl_xdp_multi_add(t, prog_fd, st);
	} else if (t->hook == SLUICE_HOOK_XDP) {
		fd = attach_xdp(t, prog_fd, st);
	} else if (sl_tc_use_legacy(t)) {
		st->attach = SL_ATTACH_TC_LEGACY;
		fd = attach_tc_legacy(t, prog_fd, st, step, step_ctx);
	} else {
		fd = attach_tcx(t, prog_fd);
	}
	sl_netns_leave(&saved);
	if (fd < 0)
		return fd;
	if (st->attach == SL_ATTACH_LINK)
		*link_fd = fd;
	return 0;
}

static int tc_legacy_hook(const struct sl_state *st, struct bpf_tc_hook *hook,
			  struct bpf_tc_opts *opts)
{
	hook->ifindex = st->ifindex;
	hook->attach_point = st->hook == SLUICE_HOOK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
	opts->handle = st->tc_handle;
	opts->priority = st->tc_priority;
	return 0;
}

void sl_hook_undo(const struct sl_target *t, const struct sl_state *st, int link_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct sl_netns saved;

	if (link_fd >= 0) {
		/* Unpinned: detaching is enough, closing the fd frees it. */
		bpf_link_detach(link_fd);
		close(link_fd);
		return;
	}
	if (st->attach == SL_ATTACH_XDP_MULTI) {
		if (sl_xdp_multi_remove(st, st->prog_id))
			sl_warn("rollback: cannot take program %u out of the dispatcher on %s",
				st->prog_id, t->dev);
		return;
	}
	if (st->attach != SL_ATTACH_TC_LEGACY || sl_netns_enter(t->netns, &saved))
		return;
	tc_legacy_hook(st, &hook, &opts);
	if (bpf_tc_detach(&hook, &opts))
		sl_warn("rollback: cannot remove the cls_bpf filter on %s", t->dev);
	if (st->qdisc_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	sl_netns_leave(&saved);
}

/*
 * Enters the namespace of a legacy tc attachment, if it still exists: a name
 * in /run/netns may meanwhile belong to another namespace, hence the inode check.
 */
int sl_state_netns_enter(const struct sl_state *st, struct sl_netns *saved)
{
	char path[PATH_MAX];
	struct stat sb;
	int err;

	saved->orig_fd = -1;
	if (!st->netns[0])
		return 0;
	if (strchr(st->netns, '/'))
		snprintf(path, sizeof(path), "%s", st->netns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", st->netns);
	if (stat(path, &sb) || sb.st_ino != st->netns_ino)
		return -ENOENT;
	/* It may vanish between the stat and the setns (`ip netns del` elsewhere): gone. */
	err = sl_netns_enter_path(path, saved);
	if (err == -ENOENT || err == -EINVAL)
		return -ENOENT;
	if (err) {
		sl_err(err, "cannot enter network namespace '%s': %s", st->netns, strerror(-err));
		sl_hint("entering a namespace needs CAP_SYS_ADMIN: run as root");
		return err;
	}
	if ((stat("/proc/self/ns/net", &sb) || sb.st_ino != st->netns_ino)) {
		sl_netns_leave(saved);
		return -ENOENT;
	}
	return err;
}

int sl_hook_current_prog(const struct sl_state *st, const char *dir, uint32_t *prog_id)
{
	struct sl_link_status s;
	int err, fd;

	err = sl_hook_status(st, dir, &s);
	if (err)
		return err;
	if (!s.prog_id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(s.prog_id);
	if (fd < 0)
		return -errno;
	*prog_id = s.prog_id;
	return fd;
}

int sl_hook_update(const struct sl_state *st, const char *dir, int old_prog_fd, int new_prog_fd)
{
	LIBBPF_OPTS(bpf_link_update_opts, uopts, .flags = BPF_F_REPLACE,
		    .old_prog_fd = old_prog_fd);
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	_cleanup_close_ int link_fd = -1;
	struct sl_netns saved;
	int err;

	if (st->attach == SL_ATTACH_LINK) {
		link_fd = sl_pin_open(dir, "link");
		if (link_fd < 0)
			return link_fd;
		return bpf_link_update(link_fd, new_prog_fd, &uopts) ? -errno : 0;
	}
	if (st->attach == SL_ATTACH_XDP_MULTI)
		return sl_xdp_multi_swap(st, pinned_prog_id(dir, "prog"), new_prog_fd);
	/* cls_bpf swaps the program of an existing filter (same handle/priority) under RCU. */
	err = sl_state_netns_enter(st, &saved);
	if (err)
		return err;
	tc_legacy_hook(st, &hook, &opts);
	opts.prog_fd = new_prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	err = bpf_tc_attach(&hook, &opts);
	sl_netns_leave(&saved);
	return err;
}

static uint32_t clsact_parent(uint32_t hook)
{
	return TC_H_MAKE(TC_H_CLSACT,
			 hook == SLUICE_HOOK_TC_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

static void parse_bpf_opts(struct rtattr *opts, int len, struct sl_tc_filter *f)
{
	for (struct rtattr *a = opts; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_BPF_ID && RTA_PAYLOAD(a) >= 4)
			memcpy(&f->prog_id, RTA_DATA(a), 4);
		else if (a->rta_type == TCA_BPF_NAME)
			snprintf(f->name, sizeof(f->name), "%.*s", (int)RTA_PAYLOAD(a),
				 (const char *)RTA_DATA(a));
	}
}

static void parse_filter(struct nlmsghdr *h, struct sl_tc_filter *f)
{
	struct tcmsg *t = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
	bool is_bpf = false;

	memset(f, 0, sizeof(*f));
	f->handle = t->tcm_handle;
	f->priority = TC_H_MAJ(t->tcm_info) >> 16;
	for (struct rtattr *a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			is_bpf = !strncmp(RTA_DATA(a), "bpf", RTA_PAYLOAD(a));
		else if (a->rta_type == TCA_OPTIONS && is_bpf)
			parse_bpf_opts(RTA_DATA(a), RTA_PAYLOAD(a), f);
	}
}

int sl_tc_filters(uint32_t ifindex, uint32_t hook, struct sl_tc_filter *out, int max)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
	    .n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		  .nlmsg_type = RTM_GETTFILTER,
		  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		  .nlmsg_seq = 1},
	    .t = {.tcm_family = AF_UNSPEC,
		  .tcm_ifindex = ifindex,
		  .tcm_parent = clsact_parent(hook)},
	};
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	char buf[16384];
	int count = 0;

	if (fd < 0 || send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0)
			return -errno;
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return count;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				/* No clsact qdisc: no filters. */
				return err == -EINVAL || err == -ENOENT ? 0 : err;
			}
			/* The dump lists each priority's chain head too, without a handle. */
			if (h->nlmsg_type != RTM_NEWTFILTER ||
			    !((struct tcmsg *)NLMSG_DATA(h))->tcm_handle)
				continue;
			if (count < max)
				parse_filter(h, &out[count]);
			count++;
		}
	}
}

uint32_t sl_tc_handle(void)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = sl_pin_root(); *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return 0x51ce0000u | ((h ^ (h >> 16)) & 0xffff);
}

bool sl_tc_filter_is_sluice(const struct sl_tc_filter *f)
{
	/*
	 * Filters of older sluice-loads have a handle the kernel chose: with the
	 * default root only, known by the program name.
	 */
	return f->handle == sl_tc_handle() ||
	       (!strcmp(sl_pin_root(), SL_PIN_ROOT_DEFAULT) && !strncmp(f->name, "sluice_", 7));
}

int sl_tc_filter_delete(uint32_t ifindex, uint32_t hook, const struct sl_tc_filter *f)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = f->handle, .priority = f->priority);

	h.attach_point = hook == SLUICE_HOOK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
	return bpf_tc_detach(&h, &opts);
}

bool sl_tc_has_clsact(const char *netns, uint32_t ifindex)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
	    .n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		  .nlmsg_type = RTM_GETQDISC,
		  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		  .nlmsg_seq = 1},
	    .t = {.tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex},
	};
	char buf[16384];
	struct sl_netns saved;
	bool found = false, done = false;
	int fd;

	if (sl_netns_enter(netns, &saved))
		return false;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	sl_netns_leave(&saved);
	if (fd < 0)
		return false;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		done = true;
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			break;
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct tcmsg *t = NLMSG_DATA(h);
			int alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (h->nlmsg_type != RTM_NEWQDISC || (uint32_t)t->tcm_ifindex != ifindex)
				continue;
			for (struct rtattr *a =
				 (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == TCA_KIND && !strcmp(RTA_DATA(a), "clsact"))
					found = true;
		}
	}
	close(fd);
	return found;
}

int sl_tc_sweep_orphans(uint32_t ifindex, uint32_t hook)
{
	struct sl_tc_filter f[64];
	int n = sl_tc_filters(ifindex, hook, f, SL_ARRAY_SIZE(f)), removed = 0;

	for (int i = 0; i < n && i < (int)SL_ARRAY_SIZE(f); i++) {
		if (!sl_tc_filter_is_sluice(&f[i]) || sl_tc_filter_delete(ifindex, hook, &f[i]))
			continue;
		sl_warn("removed an orphan cls_bpf filter (program %u, handle 0x%x, priority %u) "
			"a killed sluice-load had left on this hook",
			f[i].prog_id, f[i].handle, f[i].priority);
		removed++;
	}
	return removed;
}

static int tc_count_filters(uint32_t ifindex, uint32_t hook)
{
	struct sl_tc_filter f;

	return sl_tc_filters(ifindex, hook, &f, 0);
}

bool sl_tc_release_qdisc_if_empty(uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (tc_count_filters(ifindex, SLUICE_HOOK_TC_INGRESS) != 0 ||
	    tc_count_filters(ifindex, SLUICE_HOOK_TC_EGRESS) != 0)
		return false;
	bpf_tc_hook_destroy(&hook);
	return true;
}

/*
 * Removes the clsact qdisc sluice created once no filter is left on it. When
 * the other direction still has sluice's filter, that attachment inherits the
 * duty (its record says so), so the last legacy detach cleans up.
 */
void sl_tc_legacy_release_qdisc(const struct sl_state *st, const char *dir)
{
	char sibling[PATH_MAX];
	struct sl_state other;
	char *slash;

	if (!st->qdisc_created || sl_tc_release_qdisc_if_empty(st->ifindex))
		return;
	snprintf(sibling, sizeof(sibling), "%s", dir);
	slash = strrchr(sibling, '/');
	if (!slash)
		return;
	snprintf(slash + 1, sizeof(sibling) - (slash + 1 - sibling), "%s",
		 st->hook == SLUICE_HOOK_TC_INGRESS ? "tc-egress" : "tc-ingress");
	if (!access(sibling, F_OK) && !sl_state_read(sibling, &other, NULL) &&
	    other.attach == SL_ATTACH_TC_LEGACY) {
		other.qdisc_created = 1;
		sl_state_write(sibling, &other);
	}
}

int sl_hook_detach(const struct sl_state *st, const char *dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct sl_link_status s;
	_cleanup_close_ int link_fd = -1;
	struct sl_netns saved;
	int err;

	if (st->attach == SL_ATTACH_LINK) {
		link_fd = sl_pin_open(dir, "link");
		if (link_fd < 0)
			return link_fd == -ENOENT ? 0 : link_fd;
		/* The kernel may have detached it already (device gone): ENOLINK then. */
		if (bpf_link_detach(link_fd) && errno != ENOLINK && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (st->attach == SL_ATTACH_XDP_MULTI) {
		err = sl_xdp_multi_remove(st, pinned_prog_id(dir, "prog"));
		return err == -ENOENT ? 0 : err;
	}
	err = sl_hook_status(st, dir, &s);
	if (err)
		return err;
	if (!s.attached)
		return 0;
	err = sl_state_netns_enter(st, &saved);
	if (err)
		return err;
	tc_legacy_hook(st, &hook, &opts);
	err = bpf_tc_detach(&hook, &opts);
	if (!err) {
		/* Nothing of sluice's is left on this hook now: not even what a killed one left. */
		sl_tc_sweep_orphans(st->ifindex, st->hook);
		sl_tc_legacy_release_qdisc(st, dir);
	}
	sl_netns_leave(&saved);
	return err == -ENOENT ? 0 : err;
}

static int link_status(const char *dir, struct sl_link_status *s)
{
	_cleanup_close_ int fd = sl_pin_open(dir, "link");
	/* Room for the tcx member (ifindex, attach_type) newer kernels fill in. */
	union {
		struct bpf_link_info info;
		uint8_t raw[sizeof(struct bpf_link_info) + 64];
	} u = {};
	uint32_t len = sizeof(u.info);

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &u.info, &len))
		return -errno;
	s->link_id = u.info.id;
	s->prog_id = u.info.prog_id;
	switch (u.info.type) {
	case BPF_LINK_TYPE_XDP:
	case SL_BPF_LINK_TYPE_TCX:
		s->attached = u.info.xdp.ifindex != 0;
		break;
	case BPF_LINK_TYPE_CGROUP:
		s->attached = u.info.cgroup.cgroup_id != 0;
		break;
	default:
		s->attached = true;
	}
	return 0;
}

static int multi_status(const struct sl_state *st, const char *dir, struct sl_link_status *s)
{
	bool runs = false;
	int err;

	s->prog_id = pinned_prog_id(dir, "prog");
	if (!s->prog_id)
		return -ENOENT;
	err = sl_xdp_multi_runs(st, s->prog_id, &runs);
	s->attached = runs;
	return err == -ENOENT ? 0 : err;
}

static int tc_legacy_status(const struct sl_state *st, const char *dir, struct sl_link_status *s)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	_cleanup_close_ int fd = sl_pin_open(dir, "prog");
	struct sl_netns saved;
	int err;

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	s->prog_id = info.id;
	err = sl_state_netns_enter(st, &saved);
	if (err) {
		s->attached = false;
		return 0;
	}
	tc_legacy_hook(st, &hook, &opts);
	err = bpf_tc_query(&hook, &opts);
	sl_netns_leave(&saved);
	s->attached = !err && opts.prog_id == info.id;
	return 0;
}

int sl_hook_running_prog(const struct sl_state *st, const char *dir, uint32_t *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct sl_link_status s;
	struct sl_netns saved;
	int err;

	*prog_id = 0;
	if (st->attach == SL_ATTACH_LINK) {
		err = link_status(dir, &s);
		if (!err && s.attached)
			*prog_id = s.prog_id;
		return err;
	}
	if (st->attach == SL_ATTACH_XDP_MULTI) {
		err = multi_status(st, dir, &s);
		if (!err && s.attached)
			*prog_id = s.prog_id;
		return err == -ENOENT ? 0 : err;
	}
	err = sl_state_netns_enter(st, &saved);
	if (err)
		return err == -ENOENT ? 0 : err;
	tc_legacy_hook(st, &hook, &opts);
	err = bpf_tc_query(&hook, &opts);
	sl_netns_leave(&saved);
	if (!err)
		*prog_id = opts.prog_id;
	return err == -ENOENT ? 0 : err;
}

int sl_hook_status(const struct sl_state *st, const char *dir, struct sl_link_status *s)
{
	memset(s, 0, sizeof(*s));
	if (st->attach == SL_ATTACH_LINK)
		return link_status(dir, s);
	if (st->attach == SL_ATTACH_XDP_MULTI)
		return multi_status(st, dir, s);
	return tc_legacy_status(st, dir, s);
}

int sl_hook_check_order(const struct sl_target *t)
{
	uint32_t progs[256], links[256];
	struct sl_netns saved;
	int n, err;

	if (!t->order_flag)
		return 0;
	err = sl_netns_enter(t->netns, &saved);
	if (err)
		return err;
	n = sl_tcx_query(t->ifindex, t->hook, progs, links, SL_ARRAY_SIZE(progs));
	sl_netns_leave(&saved);
	if (n < 0)
		return sl_err(n, "cannot query the tcx programs of %s: %s", t->dev, strerror(-n));
	for (int i = 0; i < n; i++)
		if ((t->rel_is_link ? links[i] : progs[i]) == t->rel_id)
			return 0;
	sl_err(-ENOENT, "no %s with id %u is attached to tcx %s of %s",
	       t->rel_is_link ? "link" : "program", t->rel_id,
	       t->hook == SLUICE_HOOK_TC_INGRESS ? "ingress" : "egress", t->dev);
	if (!n) {
		sl_hint("no tcx program is attached there; leave out --before/--after");
		return -ENOENT;
	}
	{
		char ids[1024];
		size_t used = 0;

		ids[0] = '\0';
		for (int i = 0; i < n && used < sizeof(ids); i++)
			used += snprintf(ids + used, sizeof(ids) - used, "%s%u (link:%u)",
					 i ? ", " : "", progs[i], links[i]);
		sl_hint(
		    "on that hook now, in order: %s; --before/--after take a program id or "
		    "link:ID (`bpftool net show dev %s` lists tcx programs from bpftool 7.3 on; "
		    "with older ones, such as Debian 12's 7.1, use `bpftool link show`)",
		    ids, t->dev);
	}
	return -ENOENT;
}

int sl_bpf_grace_period(void)
{
	/*
	 * Updating a map-in-map makes the kernel wait until every BPF program
	 * that may still use the old value has finished (synchronize_rcu, the
	 * same wait that covers a program the link no longer points to).
	 */
	_cleanup_close_ int inner = -1, outer = -1;
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	uint32_t key = 0;
	int ifd;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_grace", 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "sluice_grace_o", 4, 4, 1, &opts);
	if (outer < 0)
		return -errno;
	ifd = inner;
	return bpf_map_update_elem(outer, &key, &ifd, BPF_ANY) ? -errno : 0;
}
