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
	int with_set; /* one interval set "blocklist" of ipv4_addr with two elements */
	int v1;	      /* a version 1 section (objects without sets) */
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
	h.version = b->v1 ? SLUICE_META_VERSION_1 : SLUICE_META_VERSION;
	h.header_size = b->v1 ? SLUICE_META_HEADER_V1_SIZE : sizeof(h);
	h.table_size = tsz;
	h.rule_size = rsz;
	h.ntables = 1;
	h.nrules = nrules;
	h.tables_off = h.header_size;
	h.rules_off = h.tables_off + tsz;
	h.strings_off = h.rules_off + nrules * rsz;
	if (b->with_set) {
		h.nsets = 1;
		h.set_size = sizeof(struct sluice_meta_set);
		h.sets_off = h.strings_off;
		h.strings_off += h.set_size + 2 * (8 + 8);
	}
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
	if (b->with_set) {
		struct sluice_meta_set st = {
		    .name_str = ADD("blocklist"),
		    .map_str = ADD("sls_blocklist"),
		    .types = {SLUICE_SET_T_IPV4_ADDR},
		    .nfields = 1,
		    .flags = SLUICE_SET_F_INTERVAL,
		    .size = 16,
		    .key_size = 8,
		    .line = 1,
		    .file_str = t.file_str,
		    .col = 1,
		    .nelems = 2,
		    .elems_off = h.sets_off + h.set_size,
		};
		/* 192.0.2.0/24 never expires, 10.0.0.1/32 expires at 5 s. */
		static const uint8_t elems[32] = {24, 0, 0, 0,	  192,	0,    2, 0, 0, 0,  0,
						  0,  0, 0, 0,	  0,	32,   0, 0, 0, 10, 0,
						  0,  1, 0, 0xf2, 0x05, 0x2a, 1, 0, 0, 0};

		memcpy(b->data + h.sets_off, &st, sizeof(st));
		memcpy(b->data + st.elems_off, elems, sizeof(elems));
	}
#undef ADD
	h.strings_size = slen;
	memcpy(b->data, &h, h.header_size);
	memcpy(b->data + h.tables_off, &t, sizeof(t));
	memcpy(b->data + h.strings_off, strings, slen);
	b->size = h.strings_off + slen;
}
