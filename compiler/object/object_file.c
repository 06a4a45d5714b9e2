// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writing an object so that readers see the old file or the whole new one,
 * never a truncated one: a temporary file in the target's directory, fsync,
 * rename over the target, fsync of the directory. A target that exists and
 * is not a regular file (/dev/null, /dev/stdout, a FIFO) is written in place:
 * renaming over it would replace the device node with a file.
 *
 * A symbolic link is written through: its final target is replaced (the
 * same way, in the target's directory) and the link stays; a dangling link
 * creates its target. A target that exists keeps its mode (a 0600 object
 * stays 0600); a new file gets 0666 & ~umask.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object/object.h"
#include "common/util.h"

static int write_all(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Split path into its directory ("." when it has none) and its last component. */
static int split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (!**base)
		return -EISDIR;
	if (!slash)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	return *dir ? 0 : -ENOMEM;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Best effort: the rename already happened; some filesystems refuse this. */
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Regular files get the usual mode (0666 & ~umask), like any compiler output. */
static int default_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

static int write_in_place(const char *path, const void *data, size_t size)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, data, size);
	if (!r && close(TAKE_FD(fd)) < 0)
		r = -errno;
	return r;
}

/* The file `path` names after following symbolic links (which may not exist). */
static int follow_links(const char *path, char **out)
{
	_cleanup_free_ char *cur = strdup(path);

	for (int hops = 0; cur; hops++) {
		struct stat st;
		char target[4096];
		ssize_t n;

		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
			*out = TAKE_PTR(cur);
			return 0;
		}
		if (hops == 40)
			return -ELOOP;
		n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (target[0] == '/' || !strchr(cur, '/')) {
			free(cur);
			cur = strdup(target);
		} else { /* relative to the link's directory */
			char *joined = NULL;

			if (asprintf(&joined, "%.*s/%s", (int)(strrchr(cur, '/') - cur), cur,
				     target) < 0)
				return -ENOMEM;
			free(cur);
			cur = joined;
		}
	}
	return -ENOMEM;
}

int sl_obj_write_file_atomic(const char *link_path, const void *data, size_t size)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	const char *base;
	int mode = -1;
	int r;

	if (!link_path || !*link_path)
		return -EINVAL;
	r = follow_links(link_path, &path);
	if (r)
		return r;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : write_in_place(path, data, size);
	if (stat(path, &st) == 0)
		mode = (int)(st.st_mode & 07777);
	r = split_path(path, &dir, &base);
	if (r)
		return r;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, size);
	if (!r && fchmod(fd, (mode_t)(mode >= 0 ? mode : default_mode())) < 0)
		r = -errno;
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (!r && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	fsync_dir(dir);
	return 0;
}
