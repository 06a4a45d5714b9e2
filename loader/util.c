// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

bool sl_verbose;

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when there is none. */
void sl_put_sanitized(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		size_t u = p[i] >= 0x80 ? sl_utf8_len(p + i, n - i) : 0;

		if (u) {
			fwrite(p + i, 1, u, f);
			i += u - 1;
		} else if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\t') {
			fputc(p[i], f);
		} else {
			fprintf(f, "\\x%02x", p[i]);
		}
	}
}

/* Messages may quote names from damaged objects: no raw control bytes reach the terminal. */
__attribute__((format(printf, 2, 0))) static void vprint(const char *kind, const char *fmt,
							 va_list ap)
{
	char buf[4096];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	fprintf(stderr, "sluice-load: %s: ", kind);
	sl_put_sanitized(stderr, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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
