// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice run --set NAME=FILE`: the interpreter looks named sets up in what
 * FILE holds (one element a line, as `sluice-load set load` reads it:
 * sluice/set_text.h) instead of the policy's elements, as after a `set load`
 * on the target. Elements' timeouts are accepted and do not expire during a
 * run (a run has no clock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/run_sets.h"
#include "sluice/set_text.h"

static sl_u128 field_num(const uint8_t *b, unsigned n)
{
	sl_u128 v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static void grow(struct sl_arena *a, struct sl_ir_set_elem **v, uint32_t n, uint32_t *cap)
{
	if (n < *cap)
		return;
	*v = sl_arena_realloc(a, *v, n, *cap ? *cap * 2 : 64, sizeof(**v));
	*cap = *cap ? *cap * 2 : 64;
}

/* One --set: its file's elements become the set's contents. 0, or 2 (reported). */
static int load_one(struct sl_ir *ir, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[256], why[256], *line = NULL;
	struct sl_ir_set_elem *elems = NULL;
	struct sl_ir_set *s;
	struct sl_set_desc d;
	const char *what = NULL;
	uint32_t n = 0, cap = 0, lineno = 0;
	uint64_t nkeys = 0;
	size_t lcap = 0;
	ssize_t len;
	FILE *f;

	if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof(name)) {
		fprintf(stderr, "sluice: error: --set takes NAME=FILE, not '%s'\n", spec);
		return 2;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	s = sl_ir_set_find(ir, name);
	if (!s) {
		fprintf(stderr, "sluice: error: --set %s: the policy has no set '%s'\n", spec,
			name);
		return 2;
	}
	if (sl_set_desc_init(&d, s->types, s->ntypes, s->flags, &what)) {
		fprintf(stderr, "sluice: error: set '%s': %s\n", name, what);
		return 2;
	}
	f = fopen(eq + 1, "r");
	if (!f) {
		fprintf(stderr, "sluice: error: cannot read '%s': %s\n", eq + 1, strerror(errno));
		return 2;
	}
	while ((len = getline(&line, &lcap, f)) >= 0) {
		struct sl_set_elem e;
		uint64_t timeout = 0;
		int r;

		lineno++;
		r = sl_set_text_parse(&d, line, (size_t)len, &e, &timeout, why, sizeof(why));
		if (r == 1)
			continue;
		if (r) {
			fprintf(stderr, "%s:%u: error: %s\n", eq + 1, lineno, why);
			free(line);
			fclose(f);
			return 2;
		}
		if (timeout && !(s->flags & SLUICE_SET_F_TIMEOUT)) {
			/* as `sluice-load set load` says too: the element could never expire */
			fprintf(stderr,
				"%s:%u: error: set '%s' has no 'flags timeout': its elements "
				"cannot have a timeout\n",
				eq + 1, lineno, name);
			free(line);
			fclose(f);
			return 2;
		}
		nkeys += (uint64_t)sl_set_elem_nkeys(&d, &e, &what);
		if (nkeys > s->capacity) {
			fprintf(
			    stderr,
			    "%s:%u: error: set '%s' is full: its size is %u map entries (ranges "
			    "count as their prefixes)\n",
			    eq + 1, lineno, name, s->capacity);
			free(line);
			fclose(f);
			return 2;
		}
		grow(ir->arena, &elems, n, &cap);
		for (uint32_t k = 0; k < s->ntypes; k++) {
			unsigned bytes = sl_set_type_size(s->types[k]);

			elems[n].lo[k] = field_num(e.f[k].lo, bytes);
			elems[n].hi[k] = field_num(e.f[k].hi, bytes);
		}
		n++;
	}
	free(line);
	fclose(f);
	s->elems = elems;
	s->nelems = n;
	return 0;
}

int sl_run_load_sets(struct sl_ir *ir, const char *const *specs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int rc = load_one(ir, specs[i]);

		if (rc)
			return rc;
	}
	return 0;
}
