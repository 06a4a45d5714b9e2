// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_dtree_cb.h"
#include "common/util.h"

const char *cb_dir(void)
{
	static char dir[4096];
	const char *shared = getenv("SLUICE_SHARED_DIR");
	char probe[4096 + 16];

	if (!shared || !*shared)
		shared = SLUICE_SHARED_DIR;
	snprintf(dir, sizeof(dir), "%s/classbench", shared);
	snprintf(probe, sizeof(probe), "%s/acl1_1000", dir);
	return access(probe, R_OK) ? NULL : dir;
}

static FILE *cb_open(const char *name)
{
	char path[4096];
	const char *dir = cb_dir();

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "r");
}

static void prefix_range(uint32_t addr, unsigned len, uint64_t *lo, uint64_t *hi)
{
	uint64_t size = UINT64_C(1) << (32 - len);

	*lo = addr & ~(size - 1) & 0xffffffffu;
	*hi = *lo + size - 1;
}

int cb_load_set(const char *name, struct cb_set *set)
{
	FILE *f = cb_open(name);
	char line[512];
	size_t cap = 0;

	memset(set, 0, sizeof(*set));
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		unsigned a[4], b[4], slen, dlen, sp0, sp1, dp0, dp1, proto, pmask;
		uint32_t i = set->nrules;
		uint64_t *lo, *hi;

		if (sscanf(line, "@%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x", &a[0],
			   &a[1], &a[2], &a[3], &slen, &b[0], &b[1], &b[2], &b[3], &dlen, &sp0,
			   &sp1, &dp0, &dp1, &proto, &pmask) != 16)
			continue;
		if (sl_grow((void **)&set->need, &cap, i + 1, sizeof(*set->need)) ||
		    !(set->lo = realloc(set->lo, cap * CB_NDIMS * sizeof(*set->lo))) ||
		    !(set->hi = realloc(set->hi, cap * CB_NDIMS * sizeof(*set->hi)))) {
			fclose(f);
			return -ENOMEM;
		}
		lo = &set->lo[(size_t)i * CB_NDIMS];
		hi = &set->hi[(size_t)i * CB_NDIMS];
		set->need[i] = 0;
		prefix_range(a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3], slen, &lo[CB_SIP],
			     &hi[CB_SIP]);
		prefix_range(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3], dlen, &lo[CB_DIP],
			     &hi[CB_DIP]);
		lo[CB_SPORT] = sp0, hi[CB_SPORT] = sp1;
		lo[CB_DPORT] = dp0, hi[CB_DPORT] = dp1;
		lo[CB_PROTO] = hi[CB_PROTO] = proto;
		if (slen)
			set->need[i] |= 1u << CB_SIP;
		if (dlen)
			set->need[i] |= 1u << CB_DIP;
		if (sp0 != 0 || sp1 != 65535)
			set->need[i] |= 1u << CB_SPORT;
		if (dp0 != 0 || dp1 != 65535)
			set->need[i] |= 1u << CB_DPORT;
		if (pmask == 0xff)
			set->need[i] |= 1u << CB_PROTO;
		set->nrules++;
	}
	fclose(f);
	set->prob = (struct sl_dt_problem){
	    .ndims = CB_NDIMS,
	    .bits = {32, 32, 16, 16, 8},
	    .nboxes = set->nrules,
	    .lo = set->lo,
	    .hi = set->hi,
	    .need = set->need,
	};
	return set->nrules ? 0 : -EINVAL;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int cb_load_trace(const char *name, const struct cb_set *set, uint32_t n, uint32_t seed,
		  struct cb_trace *trace)
{
	char tname[256], line[512];
	FILE *f;
	size_t cap = 0;
	uint64_t s = seed * 2654435761u + 1;

	memset(trace, 0, sizeof(*trace));
	snprintf(tname, sizeof(tname), "%s_trace", name);
	f = cb_open(tname);
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long v[5];

			if (sscanf(line, "%lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3],
				   &v[4]) != 5)
				continue;
			if (sl_grow((void **)&trace->value, &cap, trace->n + 1,
				    sizeof(*trace->value))) {
				fclose(f);
				return -ENOMEM;
			}
			for (int d = 0; d < CB_NDIMS; d++)
				trace->value[trace->n][d] = v[d];
			trace->n++;
		}
		fclose(f);
		return trace->n ? 0 : -EINVAL;
	}
	trace->value = calloc(n + 1, sizeof(*trace->value));
	if (!trace->value)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = rnd(&s) % set->nrules;

		for (int d = 0; d < CB_NDIMS; d++) {
			size_t k = (size_t)r * CB_NDIMS + d;
			uint64_t max = d == CB_PROTO ? 255 : d >= CB_SPORT ? 65535 : 0xffffffffu;
			uint64_t lo = set->need[r] & (1u << d) ? set->lo[k] : 0;
			uint64_t hi = set->need[r] & (1u << d) ? set->hi[k] : max;

			trace->value[i][d] = rnd(&s) & 1 ? hi : lo;
		}
	}
	trace->n = n;
	return 0;
}

void cb_set_fini(struct cb_set *set)
{
	free(set->lo);
	free(set->hi);
	free(set->need);
	memset(set, 0, sizeof(*set));
}

void cb_trace_fini(struct cb_trace *trace)
{
	free(trace->value);
	memset(trace, 0, sizeof(*trace));
}
