// SPDX-License-Identifier: GPL-2.0-only
/* Locations from the scanner's positions: shared by the grammar actions and the hints. */
#include "parser/parse_ctx.h"

#include <string.h>

struct sl_loc sl_ctx_loc(const struct sl_parse_ctx *ctx, const struct sl_yyltype *l)
{
	const struct sl_source *src = sl_sources_get(ctx->b->srcs, ctx->file);
	struct sl_loc loc = {ctx->file, l->first_line, l->first_column, 0};
	size_t len = l->end > l->off ? l->end - l->off : 0;

	if (src && l->off < src->size) {
		const char *nl = memchr(src->text + l->off, '\n', len);

		if (nl)
			len = (size_t)(nl - (src->text + l->off));
	}
	if (src && loc.line > src->nlines && src->nlines) {
		/* end of file after a final newline: point just past the last line */
		size_t n = 0;

		loc.line = (uint32_t)src->nlines;
		sl_source_line(src, loc.line, &n);
		loc.col = (uint32_t)sl_min(n + 1, (size_t)UINT32_MAX);
		len = 0;
	}
	loc.len = (uint32_t)sl_min(len, (size_t)UINT32_MAX);
	return loc;
}
