// SPDX-License-Identifier: GPL-2.0-only
/* Listings of BPF objects with LLVM's BPF disassembler; see listing.h. */
#include <errno.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#include <stdio.h>
#include <string.h>

#include "object/listing.h"
#include "object/object_read.h"
#include "sluice/hook.h"
#include "sluice/meta.h"

#define SL_HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[] = {__BPF_FUNC_MAPPER(SL_HELPER_NAME)};
#undef SL_HELPER_NAME

static const char *verdict_name(uint32_t v)
{
	return v == SLUICE_VERDICT_ACCEPT ? "accept"
	       : v == SLUICE_VERDICT_DROP ? "drop"
					  : "unknown";
}

static void print_header(const struct sl_objfile *f, FILE *out)
{
	_cleanup_meta_ struct sl_meta *m = NULL;
	char why[160], hash[65];
	uint32_t counted = 0;
	int err;

	if (!f->meta) {
		fprintf(out, "; no %s section: not built by sluice\n", SLUICE_META_SECTION);
		return;
	}
	err = sl_meta_parse(f->meta, f->meta_size, &m, why, sizeof(why));
	if (err) {
		fprintf(out, "; %s section unreadable: %s\n", SLUICE_META_SECTION,
			err == -ENOMEM ? "out of memory" : why);
		return;
	}
	fprintf(out, "; policy %s, built by %s at -O%u%s\n", sl_meta_str(m, m->hdr.policy_name_str),
		sl_meta_str(m, m->hdr.compiler_str), m->hdr.opt_level,
		m->hdr.flags & SLUICE_META_F_DECISIONS ? ", recording decisions" : "");
	sl_meta_hash_hex(m->hdr.source_hash, hash);
	fprintf(out, "; source sha256 %s\n", hash);
	for (uint32_t i = 0; i < m->hdr.ntables; i++) {
		const struct sluice_meta_table *t = &m->tables[i];

		fprintf(out, "; table %s: %s, policy %s, program %s in section %s, %s:%u\n",
			sl_meta_str(m, t->name_str), sl_hook_name(t->hook), verdict_name(t->policy),
			sl_meta_str(m, t->prog_str), sl_meta_str(m, t->section_str),
			sl_meta_str(m, t->file_str), t->line);
	}
	for (uint32_t i = 0; i < m->hdr.nrules; i++)
		counted += m->rules[i].counter_slot != SLUICE_NO_COUNTER;
	fprintf(out, "; %u rules, %u counted", m->hdr.nrules, counted);
	if (m->hdr.counter_map_str)
		fprintf(out, " in %s (%u slots)", sl_meta_str(m, m->hdr.counter_map_str),
			m->hdr.ncounters);
	fprintf(out, "\n");
	/* interface names: value k of `meta iifname` is the k-th (the loader resolves them) */
	for (uint32_t i = 0; i < m->nifaces; i++)
		fprintf(out, "%s%s%s%s",
			i ? ", " : "; interface names: ", sl_meta_str(m, m->ifaces[i].name_str),
			m->ifaces[i].flags & SLUICE_IFACE_F_REQUIRED ? " (required)" : "",
			i + 1 == m->nifaces ? "\n" : "");
}

/* What the instruction refers to, as a trailing comment. */
static void print_annotation(const struct sl_objfile_prog *p, uint32_t i,
			     const struct sl_objfile_reloc *rel, FILE *out)
{
	const struct bpf_insn *insn = &p->insns[i];
	uint8_t cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	if (rel && !strcmp(rel->section, ".maps"))
		fprintf(out, "  ; map %s", rel->symbol);
	else if (rel && !*rel->section) /* an undefined symbol: an extern */
		fprintf(out, "  ; kfunc %s", rel->symbol);
	else if (rel)
		fprintf(out, "  ; &%s in %s", rel->symbol, rel->section);
	if (cls != BPF_JMP && cls != BPF_JMP32)
		return;
	if (op == BPF_CALL && insn->src_reg == BPF_PSEUDO_KFUNC_CALL)
		return;
	if (op == BPF_CALL && insn->src_reg == BPF_PSEUDO_CALL)
		fprintf(out, "  ; -> %lld", (long long)i + 1 + insn->imm);
	else if (op == BPF_CALL && insn->imm >= 0 &&
		 (size_t)insn->imm < sizeof(helper_names) / sizeof(helper_names[0]))
		fprintf(out, "  ; %s", helper_names[insn->imm]);
	else if (op != BPF_CALL && op != BPF_EXIT)
		fprintf(out, "  ; -> %lld", (long long)i + 1 + insn->off);
}

/*
 * LLVM 14 cannot decode a few instructions that the kernel accepts, most
 * notably BPF_ST (store immediate), which clang did not emit then. Print
 * those in the same syntax; anything else as raw fields.
 */
static void format_fallback(const struct bpf_insn *insn, char *text, size_t len)
{
	static const char *const sizes[] = {"u32", "u16", "u8", "u64"};
	int off = insn->off;

	if (BPF_CLASS(insn->code) == BPF_ST && BPF_MODE(insn->code) == BPF_MEM)
		snprintf(text, len, "*(%s *)(r%u %c %d) = %d", sizes[BPF_SIZE(insn->code) >> 3],
			 insn->dst_reg, off < 0 ? '-' : '+', off < 0 ? -off : off, insn->imm);
	else
		snprintf(text, len, "<code 0x%02x dst r%u src r%u off %d imm %d>", insn->code,
			 insn->dst_reg, insn->src_reg, insn->off, insn->imm);
}

static void print_line(const struct sl_objfile_line *ln, FILE *out)
{
	fprintf(out, "; %s:%u  %s\n", ln->file, ln->line, ln->text);
}

static void print_prog(LLVMDisasmContextRef dc, const struct sl_objfile_prog *p, FILE *out)
{
	const struct sl_objfile_line *last = NULL;
	uint32_t next_line = 0, next_reloc = 0;
	char text[256];

	fprintf(out, "\n%s (section %s, %u instructions):\n", p->name, p->section, p->ninsns);
	for (uint32_t i = 0; i < p->ninsns;) {
		size_t n;
		const char *s = text;

		for (; next_line < p->nlines && p->lines[next_line].insn <= i; next_line++) {
			const struct sl_objfile_line *ln = &p->lines[next_line];

			if (!last || last->line != ln->line || strcmp(last->file, ln->file))
				print_line(ln, out);
			last = ln;
		}
		n = LLVMDisasmInstruction(dc, (uint8_t *)&p->insns[i],
					  (uint64_t)(p->ninsns - i) * sizeof(struct bpf_insn),
					  (uint64_t)i * sizeof(struct bpf_insn), text,
					  sizeof(text));
		if (n == 0 || n % sizeof(struct bpf_insn)) {
			format_fallback(&p->insns[i], text, sizeof(text));
			n = sizeof(struct bpf_insn);
		}
		while (*s == ' ' || *s == '\t')
			s++;
		fprintf(out, "%6u: %s", i, s);
		while (next_reloc < p->nrelocs && p->relocs[next_reloc].insn < i)
			next_reloc++;
		print_annotation(p, i,
				 next_reloc < p->nrelocs && p->relocs[next_reloc].insn == i
				     ? &p->relocs[next_reloc]
				     : NULL,
				 out);
		fprintf(out, "\n");
		i += (uint32_t)(n / sizeof(struct bpf_insn));
	}
}

int sl_listing_print(const void *image, size_t size, FILE *out, char *why, size_t whylen)
{
	struct sl_objfile *f;
	LLVMDisasmContextRef dc;
	int r;

	r = sl_objfile_open(image, size, &f, why, whylen);
	if (r)
		return r;
	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFDisassembler();
	dc = LLVMCreateDisasm("bpfel", NULL, 0, NULL, NULL);
	if (!dc) {
		snprintf(why, whylen, "LLVM has no BPF disassembler");
		sl_objfile_free(f);
		return -ENOTSUP;
	}
	print_header(f, out);
	if (!f->btf)
		fprintf(out, "; no readable .BTF: no policy lines\n");
	if (!f->nprogs)
		fprintf(out, "; no programs\n");
	for (uint32_t i = 0; i < f->nprogs; i++)
		print_prog(dc, &f->progs[i], out);
	LLVMDisasmDispose(dc);
	sl_objfile_free(f);
	return 0;
}
