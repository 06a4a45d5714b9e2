// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers every part of the object writer uses (object_priv.h): errors,
 * map definition sizes, source locations as file names and line text.
 * object.c drives the section builders (btf_object.c, btf_ext.c, meta.c,
 * elf_writer.c); they and it call in here, and nothing here calls back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "object/object_priv.h"

int sl_obj_error(struct sl_diag *diag, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag)
		sl_diag_plain(diag, SL_SEV_ERROR, "object writer: %s", msg);
	else
		fprintf(stderr, "sluice: error: object writer: %s\n", msg);
	return -EINVAL;
}

static void mapdef_field(struct sl_obj_mapdef_field *out, uint32_t *n, const char *name,
			 enum sl_obj_mapdef_kind type, uint32_t value)
{
	if (out)
		out[*n] = (struct sl_obj_mapdef_field){name, type, value};
	(*n)++;
}

uint32_t sl_obj_mapdef_fields(const struct sl_bpf_map *map, struct sl_obj_mapdef_field *out)
{
	uint32_t n = 0;

	mapdef_field(out, &n, "type", SL_OBJ_MAPDEF_UINT, map->type);
	if (map->key && !map->sizes_only)
		mapdef_field(out, &n, "key", SL_OBJ_MAPDEF_KEY, 0);
	else if (map->key_size)
		mapdef_field(out, &n, "key_size", SL_OBJ_MAPDEF_UINT, map->key_size);
	if (map->value && !map->sizes_only)
		mapdef_field(out, &n, "value", SL_OBJ_MAPDEF_VALUE, 0);
	else if (map->value_size && !map->inner) /* libbpf sets a map-in-map's own */
		mapdef_field(out, &n, "value_size", SL_OBJ_MAPDEF_UINT, map->value_size);
	mapdef_field(out, &n, "max_entries", SL_OBJ_MAPDEF_UINT, map->max_entries);
	if (map->flags)
		mapdef_field(out, &n, "map_flags", SL_OBJ_MAPDEF_UINT, map->flags);
	if (map->pinning)
		mapdef_field(out, &n, "pinning", SL_OBJ_MAPDEF_UINT, map->pinning);
	if (map->inner)
		mapdef_field(out, &n, "values", SL_OBJ_MAPDEF_VALUES, 0);
	return n;
}

uint32_t sl_obj_mapdef_size(const struct sl_bpf_map *map)
{
	return (sl_obj_mapdef_fields(map, NULL) - (map->inner ? 1 : 0)) * SL_OBJ_MAPDEF_FIELD;
}

const char *sl_obj_loc_file(const struct sl_ir *ir, struct sl_loc loc)
{
	const struct sl_source *src;

	if (!ir || !ir->srcs || loc.file == UINT32_MAX)
		return "";
	src = sl_sources_get(ir->srcs, loc.file);
	return src && src->path ? src->path : "";
}

char *sl_obj_loc_line(const struct sl_ir *ir, struct sl_loc loc)
{
	const struct sl_source *src = NULL;
	const char *text = NULL;
	size_t len = 0;

	if (ir && ir->srcs && loc.file != UINT32_MAX)
		src = sl_sources_get(ir->srcs, loc.file);
	if (src)
		text = sl_source_line(src, loc.line, &len);
	if (!text)
		return strdup("");
	while (len && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' ||
		       text[len - 1] == '\n'))
		len--;
	return strndup(text, len);
}
