// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "common/util.h"

/* Runs fn on f, then closes f; the first error wins. */
static int write_and_close(FILE *f, cb_output_fn fn, const void *ctx)
{
	int r = fn(f, ctx);

	if (!r && (fflush(f) || ferror(f)))
		r = errno ? -errno : -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

static int write_in_place(const char *path, cb_output_fn fn, const void *ctx)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	return write_and_close(f, fn, ctx);
}

/* Regular files get the usual mode (0666 & ~umask), as fopen would give them. */
static mode_t default_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

static int write_renamed(const char *path, cb_output_fn fn, const void *ctx)
{
	_cleanup_free_ char *tmp = NULL;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int fd, r;
	FILE *f;

	if (!*base)
		return -EISDIR;
	if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, default_mode()) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	r = write_and_close(f, fn, ctx);
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int cb_write_output(const char *path, cb_output_fn fn, const void *ctx)
{
	struct stat st;

	if (!path || !strcmp(path, "-")) {
		int r = fn(stdout, ctx);

		return !r && (fflush(stdout) || ferror(stdout)) ? -EIO : r;
	}
	if (!*path)
		return -ENOENT;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : write_in_place(path, fn, ctx);
	return write_renamed(path, fn, ctx);
}
