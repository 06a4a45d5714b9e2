/* SPDX-License-Identifier: GPL-2.0-only */
/* Builds metadata sections in memory for the loader's unit tests. */
#pragma once

#include <stdint.h>
#include <string.h>

#include <sluice/abi.h>

struct metabuf {
	uint8_t data[8192];
	size_t size;
	uint32_t extra_table; /* bytes a "newer writer" appends to each table record */
	uint32_t extra_rule;
};

struct metabuf_rule {
	const char *chain;
	const char *text;
	uint32_t line;
	uint32_t col;
	uint32_t slot;
};

/* One table "t" (hook xdp, program "prog") and the given rules. */
static inline void metabuf_build(struct metabuf *b, const struct metabuf_rule *rules,
				 uint32_t nrules, uint32_t ncounters)
{
	char strings[4096] = "";
	uint32_t slen = 1;
	struct sluice_meta_header h = {0};
	struct sluice_meta_table t = {0};
	uint32_t tsz = sizeof(t) + b->extra_table,
		 rsz = sizeof(struct sluice_meta_rule) + b->extra_rule;

#define ADD(s)                                                                                     \
	({                                                                                         \
		uint32_t _o = slen;                                                                \
		strcpy(strings + slen, s);                                                         \
		slen += strlen(s) + 1;                                                             \
		_o;                                                                                \
	})
	h.magic = SLUICE_META_MAGIC;
	h.version = SLUICE_META_VERSION;
	h.header_size = sizeof(h);
	h.table_size = tsz;
	h.rule_size = rsz;
	h.ntables = 1;
	h.nrules = nrules;
	h.tables_off = sizeof(h);
	h.rules_off = h.tables_off + tsz;
	h.strings_off = h.rules_off + nrules * rsz;
	h.policy_name_str = ADD("pol");
	h.compiler_str = ADD("test");
	h.ncounters = ncounters;
	h.counter_map_str = ncounters ? ADD(SLUICE_COUNTER_MAP) : 0;
	t.name_str = ADD("t");
	t.prog_str = ADD("prog");
	t.section_str = ADD("xdp");
	t.file_str = ADD("p.sluice");
	memset(b->data, 0xee, sizeof(b->data));
	for (uint32_t i = 0; i < nrules; i++) {
		struct sluice_meta_rule r = {
		    .id = i,
		    .chain_str = ADD(rules[i].chain),
		    .file_str = t.file_str,
		    .line = rules[i].line,
		    .col = rules[i].col,
		    .text_str = ADD(rules[i].text),
		    .counter_slot = rules[i].slot,
		};
		memcpy(b->data + h.rules_off + i * rsz, &r, sizeof(r));
	}
#undef ADD
	h.strings_size = slen;
	memcpy(b->data, &h, sizeof(h));
	memcpy(b->data + h.tables_off, &t, sizeof(t));
	memcpy(b->data + h.strings_off, strings, slen);
	b->size = h.strings_off + slen;
}
