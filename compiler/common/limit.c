// SPDX-License-Identifier: GPL-2.0-only
/* Text forms of limits and logs (limit.h). */
#include "common/limit.h"

static const char *period_name(uint64_t ns)
{
	switch (ns) {
	case 1000000000ull:
		return "second";
	case 60000000000ull:
		return "minute";
	case 3600000000000ull:
		return "hour";
	case 86400000000000ull:
		return "day";
	case 604800000000000ull:
		return "week";
	}
	return "?";
}

void sl_limit_print(const struct sl_limit *l, FILE *out)
{
	fprintf(out, "limit rate %s%llu%s/%s burst %llu %s ", l->over ? "over " : "",
		(unsigned long long)l->rate, l->bytes ? " bytes" : "", period_name(l->period_ns),
		(unsigned long long)l->burst, l->bytes ? "bytes" : "packets");
	for (uint32_t k = 0; k < l->nkeys; k++) {
		const struct sl_field_info *f = sl_field_info(l->keys[k]);

		fprintf(out, "%s%s %s", k ? " . " : "per ", f ? f->proto : "?",
			f ? f->member : "?");
		if (f && l->key_plen[k] != f->bits)
			fprintf(out, "/%u", l->key_plen[k]);
	}
	if (l->nkeys)
		fprintf(out, " size %u ", l->size);
}

const char *sl_log_level_name(enum sl_log_level level)
{
	static const char *const names[] = {"emerg", "alert",  "crit", "err",
					    "warn",  "notice", "info", "debug"};

	return (unsigned)level < 8 ? names[level] : "?";
}

void sl_log_print(const struct sl_log *g, FILE *out)
{
	fprintf(out, "log prefix \"%s\" level %s ", g->prefix, sl_log_level_name(g->level));
	if (g->every)
		fprintf(out, "every %lluns ", (unsigned long long)g->cap.period_ns);
}
