// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "orphan.h"
#include "util.h"

#define MAX_KNOWN 1024
#define MAX_NS	  64

struct known {
	uint32_t prog_ids[MAX_KNOWN];
	size_t nprogs;
	struct sl_state ns[MAX_NS]; /* only netns and netns_ino are used */
	size_t nns;
};

static void add_ns(struct known *k, const char *netns, uint64_t ino)
{
	for (size_t i = 0; i < k->nns; i++)
		if (k->ns[i].netns_ino == ino)
			return;
	if (k->nns == MAX_NS)
		return;
	snprintf(k->ns[k->nns].netns, sizeof(k->ns[k->nns].netns), "%s", netns);
	k->ns[k->nns++].netns_ino = ino;
}

/* The namespaces `ip netns` made: an orphan's may be one no record names. */
static void add_named_ns(struct known *k)
{
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	char path[PATH_MAX];
	struct stat st;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (!stat(path, &st))
			add_ns(k, de->d_name, st.st_ino);
	}
	if (d)
		closedir(d);
}

static int collect(const char *dir, void *ctx)
{
	struct known *k = ctx;
	struct sl_state st;
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (sl_state_read_quiet(dir, &st) || st.cgroup[0])
		return 0;
	add_ns(k, st.netns, st.netns_ino);
	if (st.attach != SL_ATTACH_TC_LEGACY)
		return 0;
	/* Both the program pinned and the one the record names (a replace in between). */
	snprintf(path, sizeof(path), "%s/prog", dir);
	fd = bpf_obj_get(path);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && k->nprogs < MAX_KNOWN)
		k->prog_ids[k->nprogs++] = info.id;
	if (fd >= 0)
		close(fd);
	if (st.prog_id && k->nprogs < MAX_KNOWN)
		k->prog_ids[k->nprogs++] = st.prog_id;
	return 0;
}

static bool is_known(const struct known *k, uint32_t id)
{
	for (size_t i = 0; i < k->nprogs; i++)
		if (k->prog_ids[i] == id)
			return true;
	return false;
}

static int walk_ns(const struct known *k, const struct sl_state *ns,
		   int (*fn)(const struct sl_orphan *, void *), void *ctx)
{
	static const uint32_t hooks[] = {SLUICE_HOOK_TC_INGRESS, SLUICE_HOOK_TC_EGRESS};
	struct if_nameindex *ifs;
	struct sl_netns saved;
	int err = 0;

	if (sl_state_netns_enter(ns, &saved))
		return 0; /* gone */
	ifs = if_nameindex();
	for (struct if_nameindex *i = ifs; i && i->if_index && !err; i++) {
		for (size_t h = 0; h < SL_ARRAY_SIZE(hooks) && !err; h++) {
			struct sl_tc_filter f[64];
			int n = sl_tc_filters(i->if_index, hooks[h], f, SL_ARRAY_SIZE(f));

			for (int j = 0; j < n && j < (int)SL_ARRAY_SIZE(f) && !err; j++) {
				struct sl_orphan o = {.netns = ns->netns,
						      .netns_ino = ns->netns_ino,
						      .ifindex = i->if_index,
						      .hook = hooks[h],
						      .f = f[j]};

				if (!sl_tc_filter_is_sluice(&f[j]) || is_known(k, f[j].prog_id))
					continue;
				snprintf(o.ifname, sizeof(o.ifname), "%s", i->if_name);
				err = fn(&o, ctx);
			}
		}
	}
	if (ifs)
		if_freenameindex(ifs);
	sl_netns_leave(&saved);
	return err;
}

int sl_orphans_walk(int (*fn)(const struct sl_orphan *o, void *ctx), void *ctx)
{
	_cleanup_free_ struct known *k = calloc(1, sizeof(*k));
	struct stat self;
	int err;

	if (!k)
		return -ENOMEM;
	if (!stat("/proc/self/ns/net", &self))
		add_ns(k, "", self.st_ino);
	add_named_ns(k);
	err = sl_walk_attachments(collect, k);
	for (size_t i = 0; !err && i < k->nns; i++)
		err = walk_ns(k, &k->ns[i], fn, ctx);
	return err;
}
