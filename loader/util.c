// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

bool sl_verbose;

__attribute__((format(printf, 2, 0))) static void vprint(const char *kind, const char *fmt,
							 va_list ap)
{
	fprintf(stderr, "sluice-load: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int sl_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("error", fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

void sl_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("hint", fmt, ap);
	va_end(ap);
}

void sl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("warning", fmt, ap);
	va_end(ap);
}

void sl_info(const char *fmt, ...)
{
	va_list ap;

	if (!sl_verbose)
		return;
	va_start(ap, fmt);
	vprint("info", fmt, ap);
	va_end(ap);
}

int sl_read_file(const char *path, char **data, size_t *size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t done = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	buf = malloc(st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	buf[done] = '\0';
	*data = TAKE_PTR(buf);
	*size = done;
	return 0;
}

void sl_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int sl_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}
