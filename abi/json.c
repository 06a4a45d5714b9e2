// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "sluice/json.h"

size_t sl_utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (!len || len > n || p[0] >= 0xf8)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF: strict decoders refuse them. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

void sl_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;
		size_t u = c >= 0x80 ? sl_utf8_len((const unsigned char *)s, strlen(s)) : 0;

		if (u) {
			fwrite(s, 1, u, f);
			s += u - 1;
		} else if (c >= 0x80 || c < 0x20 || c == 0x7f) {
			if (c == '\n')
				fputs("\\n", f);
			else if (c == '\t')
				fputs("\\t", f);
			else
				fprintf(f, "\\u%04x", c);
		} else if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}
