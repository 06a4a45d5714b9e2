// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "sets.h"
#include "state.h"
#include "util.h"

#define BPF_FS_MAGIC_NUM 0xcafe4a11

const char *sl_pin_root(void)
{
	const char *env = getenv("SLUICE_PIN_ROOT");

	return env && *env ? env : SL_PIN_ROOT_DEFAULT;
}

static bool is_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && (unsigned long)sfs.f_type == BPF_FS_MAGIC_NUM;
}

/* Whether path names the mount namespace this process is in (unknown: yes). */
static bool same_mount_ns(const char *path)
{
	struct stat self, other;

	if (stat("/proc/self/ns/mnt", &self) || stat(path, &other))
		return true;
	return self.st_ino == other.st_ino;
}

/*
 * False when this process runs in a mount namespace of its own: another one
 * than init's, or than its parent's (`ip netns exec` and `unshare -m` make one
 * for the command they start; init's is not readable in every container).
 */
static bool in_shared_mount_ns(void)
{
	char parent[64];

	snprintf(parent, sizeof(parent), "/proc/%d/ns/mnt", (int)getppid());
	return same_mount_ns("/proc/1/ns/mnt") && same_mount_ns(parent);
}

static int ensure_bpffs(const char *root)
{
	char mnt[PATH_MAX];
	char *slash;

	/* The root's parent must be on bpffs; mount it on /sys/fs/bpf when nothing is there. */
	snprintf(mnt, sizeof(mnt), "%s", root);
	slash = strrchr(mnt, '/');
	if (slash && slash != mnt)
		*slash = '\0';
	if (is_bpffs(mnt))
		return 0;
	if (strcmp(mnt, "/sys/fs/bpf"))
		return sl_err(-EINVAL, "%s is not on a BPF filesystem (bpffs)", mnt);
	if (!in_shared_mount_ns() && !getenv("SLUICE_BPFFS_MOUNT_PRIVATE")) {
		/* `ip netns exec` does this: its /sys is fresh, and pins made there die with it. */
		sl_err(-EINVAL, "bpffs is not mounted on /sys/fs/bpf in this private mount "
				"namespace (`ip netns exec` makes one)");
		sl_hint("a bpffs mounted here would vanish with the namespace and take the "
			"attachment along; run sluice-load in the host's mount namespace and use "
			"--netns NAME instead of `ip netns exec` (or set "
			"SLUICE_BPFFS_MOUNT_PRIVATE=1 to mount one anyway)");
		return -EINVAL;
	}
	if (mount("bpf", mnt, "bpf", 0, "mode=0700")) {
		int err = -errno;

		sl_err(err, "bpffs is not mounted on %s and mounting it failed: %s", mnt,
		       strerror(-err));
		sl_hint("mount it: mount -t bpf bpf /sys/fs/bpf");
		return err;
	}
	sl_info("mounted bpffs on %s", mnt);
	return 0;
}

int sl_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int sl_pin_root_lock(void)
{
	const char *root = sl_pin_root();
	char path[PATH_MAX];
	int err, fd;

	err = ensure_bpffs(root);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/lock", root);
	for (;;) {
		struct stat held, now;

		err = sl_mkdirs(path);
		if (err)
			return sl_err(err, "cannot create %s: %s", path, strerror(-err));
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX)) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			return sl_err(err, "cannot lock %s: %s", path, strerror(-err));
		}
		/* Someone (rm -rf by hand) removed it while we waited: lock the new one. */
		if (!fstat(fd, &held) && !stat(path, &now) && held.st_ino == now.st_ino)
			return fd;
		close(fd);
	}
}

int sl_state_create(const struct sl_state *st, const struct sl_meta *m)
{
	uint32_t nchunks = 1 + (m->raw_size + SL_STATE_CHUNK - 1) / SL_STATE_CHUNK;
	_cleanup_free_ uint8_t *chunk = calloc(1, SL_STATE_CHUNK);
	struct sl_state copy = *st;
	int fd, err;

	if (!chunk)
		return -ENOMEM;
	copy.magic = SL_STATE_MAGIC;
	copy.version = SL_STATE_VERSION;
	copy.meta_size = m->raw_size;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_state", sizeof(uint32_t), SL_STATE_CHUNK,
			    nchunks, NULL);
	if (fd < 0)
		return -errno;
	memcpy(chunk, &copy, sizeof(copy));
	for (uint32_t i = 0; i < nchunks; i++) {
		if (i) {
			size_t off = (size_t)(i - 1) * SL_STATE_CHUNK;
			size_t n =
			    m->raw_size - off < SL_STATE_CHUNK ? m->raw_size - off : SL_STATE_CHUNK;

			memset(chunk, 0, SL_STATE_CHUNK);
			memcpy(chunk, (uint8_t *)m->raw + off, n);
		}
		if (bpf_map_update_elem(fd, &i, chunk, BPF_ANY)) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	return fd;
}

int sl_state_read(const char *dir, struct sl_state *st, struct sl_meta **m)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/state", dir);
	return sl_state_read_path(path, st, m);
}

int sl_state_read_path(const char *path, struct sl_state *st, struct sl_meta **m)
{
	char why[160];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *raw = NULL;
	uint8_t chunk[SL_STATE_CHUNK];
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), key = 0;
	int err;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		return sl_err(err, "cannot open the state record %s: %s", path, strerror(-err));
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.value_size != SL_STATE_CHUNK || info.max_entries < 1)
		return sl_err(-EINVAL, "%s is not a sluice state record", path);
	if (bpf_map_lookup_elem(fd, &key, chunk))
		return sl_err(-errno, "cannot read %s: %s", path, strerror(errno));
	err = sl_state_decode(chunk, sizeof(chunk), info.max_entries, st);
	if (err == -EPROTO)
		return sl_err(-EINVAL, "%s is not a sluice state record of version %u", path,
			      SL_STATE_VERSION);
	if (err)
		return sl_err(err, "%s is a damaged sluice state record", path);
	if (!m)
		return 0;
	raw = malloc(st->meta_size ? st->meta_size : 1);
	if (!raw)
		return -ENOMEM;
	for (uint32_t off = 0; off < st->meta_size; off += SL_STATE_CHUNK) {
		key = 1 + off / SL_STATE_CHUNK;
		if (bpf_map_lookup_elem(fd, &key, chunk))
			return sl_err(-errno, "cannot read %s: %s", path, strerror(errno));
		memcpy(raw + off, chunk,
		       st->meta_size - off < SL_STATE_CHUNK ? st->meta_size - off : SL_STATE_CHUNK);
	}
	err = sl_meta_parse(raw, st->meta_size, m, why, sizeof(why));
	if (err)
		return sl_err(err, "%s: stored metadata is invalid: %s", path, why);
	return 0;
}

int sl_pin_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

void sl_pin_dir_remove(const char *dir)
{
	/* The link first (detaching it if it still is), the record last. */
	static const char *const pins[] = {"link", "prog", "counters", "carried", "state"};
	const char *root = sl_pin_root();
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	for (size_t i = 0; i < SL_ARRAY_SIZE(pins); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pins[i]);
		if (unlink(path) && errno != ENOENT)
			sl_warn("cannot remove pin %s: %s", path, strerror(errno));
	}
	/* Named sets (sets.h): a directory of pins each. */
	sl_sets_remove(dir, "sets");
	sl_sets_remove(dir, "new-sets");
	/* Whatever else is there: new-* pins of an interrupted replace. */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && errno != ENOENT)
			sl_warn("cannot remove pin %s: %s", path, strerror(errno));
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s", dir);
	/* Then the now empty parents, up to (not including) the root. */
	while (strlen(path) > strlen(root) && !strncmp(path, root, strlen(root))) {
		char *slash;

		if (rmdir(path) && errno != ENOENT)
			break;
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
}

int sl_state_write(const char *dir, const struct sl_state *st)
{
	char path[PATH_MAX];
	uint8_t chunk[SL_STATE_CHUNK] = {};
	_cleanup_close_ int fd = -1;
	uint32_t key = 0;

	snprintf(path, sizeof(path), "%s/state", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memcpy(chunk, st, sizeof(*st));
	return bpf_map_update_elem(fd, &key, chunk, BPF_EXIST) ? -errno : 0;
}

int sl_state_read_quiet(const char *dir, struct sl_state *st)
{
	char path[PATH_MAX];
	uint8_t chunk[SL_STATE_CHUNK];
	_cleanup_close_ int fd = -1;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), key = 0;

	snprintf(path, sizeof(path), "%s/state", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.value_size != SL_STATE_CHUNK)
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &key, chunk))
		return -errno;
	return sl_state_decode(chunk, sizeof(chunk), info.max_entries, st);
}
