// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes a .sluice.meta section (include/sluice/abi.h) for the hand-written
 * test objects, and damaged variants for the bad-input tests.
 *
 * mkmeta OUT POLICY HOOK TABLE PROG SECTION FILE NCOUNTERS [--decisions]
 *        [--corrupt magic|version|offset|rule-id|truncate] -- RULE...
 * RULE = "CHAIN|LINE|COL|SLOT|TEXT" (SLOT "-" for none); --many N appends N plain rules
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/abi.h>

static char strings[1 << 24];
static uint32_t strings_len = 1;

static uint32_t add_str(const char *s)
{
	uint32_t off = strings_len;
	size_t n = strlen(s) + 1;

	if (strings_len + n > sizeof(strings)) {
		fprintf(stderr, "mkmeta: strings overflow\n");
		exit(1);
	}
	memcpy(strings + off, s, n);
	strings_len += n;
	return off;
}

static uint32_t hook_of(const char *h)
{
	static const char *const names[] = {"xdp", "tc-ingress", "tc-egress", "cgroup-ingress",
					    "cgroup-egress"};

	for (uint32_t i = 0; i < 5; i++)
		if (!strcmp(h, names[i]))
			return i;
	fprintf(stderr, "mkmeta: unknown hook %s\n", h);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sluice_meta_header h = {0};
	struct sluice_meta_table t = {0};
	static struct sluice_meta_rule rules[200000];
	uint32_t many = 0;
	const char *corrupt = NULL;
	uint32_t nrules = 0;
	int i = 9;
	FILE *f;

	if (argc < 9) {
		fprintf(stderr, "usage: mkmeta OUT POLICY HOOK TABLE PROG SECTION FILE NCOUNTERS "
				"[--decisions] [--corrupt WHAT] -- RULE...\n");
		return 2;
	}
	h.magic = SLUICE_META_MAGIC;
	h.version = SLUICE_META_VERSION;
	h.header_size = sizeof(h);
	h.table_size = sizeof(t);
	h.rule_size = sizeof(rules[0]);
	h.policy_name_str = add_str(argv[2]);
	h.compiler_str = add_str("mkmeta (loader tests)");
	h.ncounters = atoi(argv[8]);
	h.counter_map_str = h.ncounters ? add_str(SLUICE_COUNTER_MAP) : 0;
	for (int k = 0; k < 32; k++)
		h.source_hash[k] = (uint8_t)(k * 7 + strlen(argv[2]) + argv[2][0]);
	t.name_str = add_str(argv[4]);
	t.hook = hook_of(argv[3]);
	t.policy = SLUICE_VERDICT_ACCEPT;
	t.prog_str = add_str(argv[5]);
	t.section_str = add_str(argv[6]);
	t.file_str = add_str(argv[7]);
	t.line = 1;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--decisions"))
			h.flags |= SLUICE_META_F_DECISIONS;
		else if (!strcmp(argv[i], "--corrupt") && i + 1 < argc)
			corrupt = argv[++i];
		else if (!strcmp(argv[i], "--many") && i + 1 < argc)
			many = atoi(argv[++i]);
	}
	for (i++; i < argc && nrules < 200000; i++) {
		char *s = strdup(argv[i]);
		char *chain = strtok(s, "|"), *line = strtok(NULL, "|"), *col = strtok(NULL, "|");
		char *slot = strtok(NULL, "|"), *text = strtok(NULL, "");
		struct sluice_meta_rule *r = &rules[nrules];

		if (!text) {
			fprintf(stderr, "mkmeta: bad rule '%s'\n", argv[i]);
			return 2;
		}
		memset(r, 0, sizeof(*r));
		r->id = nrules++;
		r->chain_str = add_str(chain);
		r->file_str = add_str(argv[7]);
		r->line = atoi(line);
		r->col = atoi(col);
		r->text_str = add_str(text);
		r->counter_slot = !strcmp(slot, "-") ? SLUICE_NO_COUNTER : (uint32_t)atoi(slot);
		r->flags = r->counter_slot != SLUICE_NO_COUNTER ? SLUICE_RULE_F_COUNTER : 0;
		free(s);
	}
	/* --many N: N more rules without counters, as a large compiled policy has. */
	uint32_t edge_str = many ? add_str("edge") : 0;

	for (uint32_t k = 0; k < many && nrules < 200000; k++) {
		struct sluice_meta_rule *r = &rules[nrules];
		char text[64];

		snprintf(text, sizeof(text), "ip saddr 10.%u.%u.0/24 tcp dport %u drop",
			 k >> 16 & 255, k >> 8 & 255, 1024 + k % 60000);
		memset(r, 0, sizeof(*r));
		r->id = nrules++;
		r->chain_str = edge_str;
		r->file_str = t.file_str;
		r->line = 100 + k;
		r->col = 5;
		r->text_str = add_str(text);
		r->counter_slot = SLUICE_NO_COUNTER;
	}
	h.ntables = 1;
	h.nrules = nrules;
	h.tables_off = sizeof(h);
	h.rules_off = h.tables_off + sizeof(t);
	h.strings_off = h.rules_off + nrules * sizeof(rules[0]);
	h.strings_size = strings_len;
	if (corrupt && !strcmp(corrupt, "magic"))
		h.magic ^= 1;
	if (corrupt && !strcmp(corrupt, "version"))
		h.version = 99;
	if (corrupt && !strcmp(corrupt, "offset"))
		h.strings_off += 4096;
	if (corrupt && !strcmp(corrupt, "rule-id") && nrules)
		rules[0].id = 42;
	f = fopen(argv[1], "wb");
	if (!f)
		return 1;
	fwrite(&h, sizeof(h), 1, f);
	fwrite(&t, sizeof(t), 1, f);
	fwrite(rules, sizeof(rules[0]), nrules, f);
	fwrite(strings, 1, corrupt && !strcmp(corrupt, "truncate") ? strings_len / 2 : strings_len,
	       f);
	return fclose(f) ? 1 : 0;
}
