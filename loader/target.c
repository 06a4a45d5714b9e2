// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "target.h"
#include "util.h"

#define SL_BPF_F_BEFORE 0x8u
#define SL_BPF_F_AFTER	0x10u

__attribute__((format(printf, 1, 2))) static int usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sluice-load: usage error: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -EINVAL;
}

static int parse_dir(const char *opt, const char *dir, uint32_t in, uint32_t out, uint32_t *hook)
{
	if (!dir)
		return usage_err("%s needs a direction: ingress or egress", opt);
	if (!strcmp(dir, "ingress"))
		*hook = in;
	else if (!strcmp(dir, "egress"))
		*hook = out;
	else
		return usage_err("direction must be ingress or egress, not '%s'", dir);
	return 0;
}

static int parse_rel(struct sl_target *t, const char *opt, const char *arg, uint32_t flag)
{
	if (t->order_flag)
		return usage_err("%s: give only one of --before and --after", opt);
	if (!arg)
		return usage_err("%s needs a program id (or link:ID)", opt);
	t->order_flag = flag;
	if (!strncmp(arg, "link:", 5)) {
		t->rel_is_link = true;
		arg += 5;
	} else if (!strncmp(arg, "prog:", 5)) {
		arg += 5;
	}
	if (sl_parse_u32(arg, &t->rel_id) || !t->rel_id)
		return usage_err("'%s' is not a program id (or link:ID)", arg);
	return 0;
}

static int set_target(struct sl_target *t, const char *opt)
{
	if (t->set)
		return usage_err("%s: give exactly one of --xdp, --tc and --cgroup", opt);
	t->set = true;
	return 0;
}

int sl_target_parse_opt(struct sl_target *t, int argc, char **argv, int *i, bool attach_opts)
{
	const char *opt = argv[*i];
	const char *a1 = *i + 1 < argc ? argv[*i + 1] : NULL;
	const char *a2 = *i + 2 < argc ? argv[*i + 2] : NULL;
	int err;

	if (!strcmp(opt, "--xdp")) {
		if ((err = set_target(t, opt)))
			return err;
		if (!a1)
			return usage_err("%s needs a device", opt);
		t->hook = SLUICE_HOOK_XDP;
		t->dev = a1;
		*i += 2;
		return 1;
	}
	if (!strcmp(opt, "--tc") || !strcmp(opt, "--cgroup")) {
		bool tc = opt[2] == 't';

		if ((err = set_target(t, opt)))
			return err;
		if (!a1)
			return usage_err("%s needs a device/path and a direction", opt);
		err =
		    tc ? parse_dir(opt, a2, SLUICE_HOOK_TC_INGRESS, SLUICE_HOOK_TC_EGRESS, &t->hook)
		       : parse_dir(opt, a2, SLUICE_HOOK_CGROUP_INGRESS, SLUICE_HOOK_CGROUP_EGRESS,
				   &t->hook);
		if (err)
			return err;
		if (tc)
			t->dev = a1;
		else
			t->cgroup = a1;
		*i += 3;
		return 1;
	}
	if (!strcmp(opt, "--netns")) {
		if (!a1)
			return usage_err("%s needs a name (/run/netns/NAME) or a path", opt);
		t->netns = a1;
		*i += 2;
		return 1;
	}
	if (!strcmp(opt, "--multi")) {
		t->xdp_multi = true;
		if (!t->xdp_prio_set)
			t->xdp_priority = 50; /* libxdp's default */
		*i += 1;
		return 1;
	}
	if (!strcmp(opt, "--priority")) {
		if (!a1 || sl_parse_u32(a1, &t->xdp_priority) || t->xdp_priority > 10000)
			return usage_err("--priority takes a number 0..10000, not '%s'",
					 a1 ? a1 : "");
		t->xdp_prio_set = true;
		*i += 2;
		return 1;
	}
	if (!attach_opts)
		return 0;
	if (!strcmp(opt, "--mode")) {
		if (!a1 || (strcmp(a1, "native") && strcmp(a1, "generic")))
			return usage_err("--mode takes native or generic, not '%s'", a1 ? a1 : "");
		t->xdp_mode = !strcmp(a1, "native") ? SL_XDP_NATIVE : SL_XDP_GENERIC;
		*i += 2;
		return 1;
	}
	if (!strcmp(opt, "--before") || !strcmp(opt, "--after")) {
		err = parse_rel(t, opt, a1, opt[2] == 'b' ? SL_BPF_F_BEFORE : SL_BPF_F_AFTER);
		if (err)
			return err;
		*i += 2;
		return 1;
	}
	if (!strcmp(opt, "--tc-legacy")) {
		t->tc_legacy = true;
		*i += 1;
		return 1;
	}
	return 0;
}

int sl_target_check(const struct sl_target *t, bool attach_opts)
{
	bool tc = t->hook == SLUICE_HOOK_TC_INGRESS || t->hook == SLUICE_HOOK_TC_EGRESS;

	if (!t->set)
		return usage_err("%s", "give a target: --xdp DEV, --tc DEV ingress|egress or "
				       "--cgroup PATH ingress|egress");
	if (t->cgroup && t->netns)
		return usage_err(
		    "%s", "--netns applies to devices; cgroup hooks are not per network namespace");
	if (t->xdp_multi && t->hook != SLUICE_HOOK_XDP)
		return usage_err("%s", "--multi applies to --xdp only");
	if (t->xdp_prio_set && !t->xdp_multi)
		return usage_err("%s", "--priority applies to --xdp DEV --multi only");
	if (t->xdp_mode && t->hook != SLUICE_HOOK_XDP)
		return usage_err("%s", "--mode applies to --xdp only");
	if (t->order_flag && !tc)
		return usage_err("%s", "--before/--after apply to --tc only");
	if (t->order_flag && t->tc_legacy)
		return usage_err(
		    "%s", "--before/--after need tcx; legacy tc (--tc-legacy) orders by priority");
	if (t->tc_legacy && !tc)
		return usage_err("%s", "--tc-legacy applies to --tc only");
	(void)attach_opts;
	return 0;
}

/* Enters the namespace at path without a word: the callers decide what a failure means. */
int sl_netns_enter_path(const char *path, struct sl_netns *saved)
{
	_cleanup_close_ int fd = -1;
	int err;

	saved->orig_fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	saved->orig_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved->orig_fd < 0)
		return -errno;
	/* Only the network namespace: bpffs pins must stay visible to everyone. */
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(saved->orig_fd);
		saved->orig_fd = -1;
		return err;
	}
	return 0;
}

int sl_netns_enter(const char *ns, struct sl_netns *saved)
{
	char path[PATH_MAX];
	int err;

	saved->orig_fd = -1;
	if (!ns)
		return 0;
	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	err = sl_netns_enter_path(path, saved);
	if (err == -ENOENT || err == -ENOTDIR) {
		sl_err(err, "network namespace '%s' not found (%s: %s)", ns, path, strerror(-err));
		sl_hint("list namespaces with `ip netns list`; pass a name from /run/netns or a "
			"path like /proc/PID/ns/net");
	} else if (err) {
		sl_err(err, "cannot enter network namespace '%s': %s", ns, strerror(-err));
		if (err == -EINVAL)
			sl_hint("%s is not a network namespace file", path);
		else
			sl_hint("entering a namespace needs CAP_SYS_ADMIN: run as root");
	}
	return err;
}

void sl_netns_leave(struct sl_netns *saved)
{
	if (saved->orig_fd < 0)
		return;
	if (setns(saved->orig_fd, CLONE_NEWNET)) {
		/* Continuing in the wrong namespace would act on the wrong devices. */
		perror("sluice-load: fatal: cannot return to the original network namespace");
		abort();
	}
	close(saved->orig_fd);
	saved->orig_fd = -1;
}

static const char *hook_dir(uint32_t hook)
{
	switch (hook) {
	case SLUICE_HOOK_XDP:
		return "xdp";
	case SLUICE_HOOK_TC_INGRESS:
		return "tc-ingress";
	case SLUICE_HOOK_TC_EGRESS:
		return "tc-egress";
	case SLUICE_HOOK_CGROUP_INGRESS:
		return "ingress";
	default:
		return "egress";
	}
}

/* Finds the directory of ifindex under the netns directory, whatever the device is called now. */
static void dev_pin_dir(struct sl_target *t)
{
	const char *root = sl_pin_root();
	char ns_dir[PATH_MAX], prefix[32], hook[32];
	DIR *d;
	struct dirent *de;

	/* Attachments through the dispatcher: one per priority, beside the exclusive one. */
	if (t->xdp_multi)
		snprintf(hook, sizeof(hook), "xdp-prio-%u", t->xdp_priority);
	else
		snprintf(hook, sizeof(hook), "%s", hook_dir(t->hook));

	snprintf(ns_dir, sizeof(ns_dir), "%s/net-%llu", root, (unsigned long long)t->netns_ino);
	snprintf(prefix, sizeof(prefix), "%u-", t->ifindex);
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s/%s%s/%s", ns_dir, prefix, t->ifname, hook);
	d = opendir(ns_dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(t->pin_dir, sizeof(t->pin_dir), "%s/%s/%s", ns_dir, de->d_name,
				 hook);
			break;
		}
	}
	closedir(d);
}

/* Whether dev exists in the named namespace ns (setns back and forth, printing nothing). */
static bool dev_in_ns(const char *dev, const char *path)
{
	struct sl_netns saved;
	bool found;

	if (sl_netns_enter_path(path, &saved))
		return false;
	found = if_nametoindex(dev) != 0;
	sl_netns_leave(&saved);
	return found;
}

/* The `ip netns` namespace (other than skip) that has a device called dev. */
static bool find_dev_netns(const char *dev, const char *skip, char *out, size_t len)
{
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	char path[PATH_MAX];
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (skip && !strcmp(skip, de->d_name)))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (dev_in_ns(dev, path)) {
			snprintf(out, len, "%s", de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static int resolve_dev(struct sl_target *t)
{
	char where[NAME_MAX + 1];
	struct sl_netns saved;
	struct stat st;
	int err;

	err = sl_netns_enter(t->netns, &saved);
	if (err)
		return err;
	if (stat("/proc/self/ns/net", &st)) {
		err = -errno;
		sl_netns_leave(&saved);
		return sl_err(err, "cannot read /proc/self/ns/net: %s", strerror(-err));
	}
	t->netns_ino = st.st_ino;
	t->ifindex = if_nametoindex(t->dev);
	err = t->ifindex ? 0 : -errno;
	sl_netns_leave(&saved);
	if (!t->ifindex) {
		sl_err(err ? err : -ENODEV, "device '%s' not found%s%s", t->dev,
		       t->netns ? " in network namespace " : "", t->netns ? t->netns : "");
		if (find_dev_netns(t->dev, t->netns, where, sizeof(where)))
			sl_hint("%s is in network namespace %s: add --netns %s", t->dev, where,
				where);
		else
			sl_hint("list devices with `ip%s%s link`; a device of another network "
				"namespace needs --netns NAME (`ip netns list`)",
				t->netns ? " -n " : "", t->netns ? t->netns : "");
		return -ENODEV;
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", t->dev);
	dev_pin_dir(t);
	/* bpffs refuses dots in names (VLAN devices like eth0.100 have them). */
	for (char *p = t->pin_dir + strlen(sl_pin_root()); *p; p++)
		if (*p == '.')
			*p = '_';
	return 0;
}

#define CGROUP2_MAGIC 0x63677270

/* The cgroup2 mount points, from /proc/self/mountinfo (field 9 is the fs type). */
static void cgroup2_mounts(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mnt[512], fstype[64];
	size_t used = 0;

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %511s %*s %*[^-]- %63s", mnt, fstype) == 2 &&
		    !strcmp(fstype, "cgroup2") && used < len)
			used += snprintf(out + used, len - used, "%s%s", used ? ", " : "", mnt);
	}
	fclose(f);
}

static int resolve_cgroup(struct sl_target *t)
{
	struct statfs sfs;
	struct stat st;
	int err;

	t->cgroup_fd = open(t->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->cgroup_fd < 0) {
		err = -errno;
		sl_err(err, "cgroup '%s' not found: %s", t->cgroup, strerror(-err));
		sl_hint("pass a directory of a cgroup v2 hierarchy (see `mount -t cgroup2`)");
		return err;
	}
	if (fstat(t->cgroup_fd, &st) || fstatfs(t->cgroup_fd, &sfs) ||
	    !realpath(t->cgroup, t->cgroup_abs))
		return sl_err(-errno, "cannot stat cgroup '%s': %s", t->cgroup, strerror(errno));
	if ((unsigned long)sfs.f_type != CGROUP2_MAGIC) {
		char mounts[PATH_MAX];

		sl_err(-EINVAL, "'%s' is not a cgroup v2 directory", t->cgroup);
		cgroup2_mounts(mounts, sizeof(mounts));
		sl_hint("cgroup_skb programs attach to cgroup v2 directories; cgroup2 is mounted "
			"at: %s",
			mounts[0] ? mounts : "(nowhere: mount -t cgroup2 none /sys/fs/cgroup)");
		return -EINVAL;
	}
	t->cgroup_ino = st.st_ino;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s/cgroup-%llu/%s", sl_pin_root(),
		 (unsigned long long)t->cgroup_ino, hook_dir(t->hook));
	return 0;
}

bool sl_target_exists(const struct sl_target *t)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, self;
	bool found;

	if (t->cgroup)
		return !stat(t->cgroup, &st);
	if (!t->netns)
		return if_nametoindex(t->dev) != 0;
	if (strchr(t->netns, '/'))
		snprintf(path, sizeof(path), "%s", t->netns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", t->netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(fd, CLONE_NEWNET)) {
		close(fd);
		if (self >= 0)
			close(self);
		return true; /* let sl_target_resolve say what is wrong */
	}
	found = if_nametoindex(t->dev) != 0;
	if (setns(self, CLONE_NEWNET)) {
		perror("sluice-load: fatal: cannot return to the original network namespace");
		abort();
	}
	close(fd);
	close(self);
	return found;
}

int sl_target_resolve(struct sl_target *t)
{
	t->cgroup_fd = -1;
	return t->dev ? resolve_dev(t) : resolve_cgroup(t);
}

void sl_target_release(struct sl_target *t)
{
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	t->cgroup_fd = -1;
}

const char *sl_target_describe(const struct sl_target *t)
{
	static char buf[PATH_MAX + 128];

	if (t->cgroup)
		snprintf(buf, sizeof(buf), "%s on cgroup %s", sl_hook_name(t->hook), t->cgroup);
	else
		snprintf(buf, sizeof(buf), "%s on %s%s%s", sl_hook_name(t->hook), t->dev,
			 t->netns ? " in netns " : "", t->netns ? t->netns : "");
	return buf;
}

void sl_target_fill_state(const struct sl_target *t, struct sl_state *st)
{
	st->hook = t->hook;
	st->ifindex = t->ifindex;
	st->netns_ino = t->netns_ino;
	st->cgroup_ino = t->cgroup_ino;
	snprintf(st->ifname, sizeof(st->ifname), "%s", t->ifname);
	snprintf(st->netns, sizeof(st->netns), "%s", t->netns ? t->netns : "");
	snprintf(st->cgroup, sizeof(st->cgroup), "%s", t->cgroup ? t->cgroup_abs : "");
}
