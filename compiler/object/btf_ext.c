// SPDX-License-Identifier: GPL-2.0-only
/*
 * .BTF.ext: func_info (one record per program at its first instruction) and
 * line_info (policy file, line, column and the source line's text), so that
 * `bpftool prog dump xlated ... linum` and verifier logs show the policy.
 * libbpf has no writer for it; the layout is the one btf_ext__new() reads:
 *
 *   header: u16 magic, u8 version, u8 flags, u32 hdr_len,
 *           u32 func_info_off, func_info_len, line_info_off, line_info_len,
 *           u32 core_relo_off, core_relo_len          (offsets after the header)
 *   each subsection: u32 rec_size, then per ELF section
 *           { u32 sec_name_off; u32 num_info; records[num_info] }
 *
 * Instruction offsets are in bytes from the start of the ELF section.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "object/object_priv.h"
#include "common/util.h"

#define BTF_EXT_MAGIC	0xeB9F
#define BTF_EXT_VERSION 1
#define BTF_EXT_HDR_LEN 32

struct func_rec {
	uint32_t insn_off;
	uint32_t type_id;
};

struct line_rec {
	uint32_t insn_off;
	uint32_t file_name_off;
	uint32_t line_off;
	uint32_t line_col;
};

#define LINE_MAX_LINE ((1u << 22) - 1)
#define LINE_MAX_COL  ((1u << 10) - 1)

static int add_str(struct btf *btf, const char *s, uint32_t *off)
{
	int r = btf__add_str(btf, s);

	if (r < 0)
		return r;
	*off = (uint32_t)r;
	return 0;
}

static int line_record(struct sl_obj_layout *l, uint32_t insn, struct sl_loc loc,
		       struct line_rec *rec)
{
	_cleanup_free_ char *text = sl_obj_loc_line(l->ir, loc);
	uint32_t line = sl_min(loc.line, LINE_MAX_LINE), col = sl_min(loc.col, LINE_MAX_COL);
	int r;

	if (!text)
		return -ENOMEM;
	rec->insn_off = insn * (uint32_t)sizeof(struct bpf_insn);
	rec->line_col = line << 10 | col;
	r = add_str(l->btf, sl_obj_loc_file(l->ir, loc), &rec->file_name_off);
	if (!r)
		r = add_str(l->btf, text, &rec->line_off);
	return r;
}

/* Where a program without a line at its first instruction says it comes from. */
static struct sl_loc prog_origin(const struct sl_obj_layout *l, const struct sl_bpf_prog *p)
{
	if (p->nlines)
		return p->lines[0].loc;
	if (l->ir && p->table < l->ir->ntables)
		return l->ir->tables[p->table].loc;
	return SL_LOC_NONE;
}

/*
 * The line records of one program. Several lines at one instruction (rules
 * that produced no code of their own) keep the last: that one describes the
 * code that follows. The kernel wants a record at the first instruction.
 */
static int prog_lines(struct sl_obj_layout *l, uint32_t prog, struct sl_obj_buf *recs, uint32_t *n)
{
	const struct sl_bpf_prog *p = &l->obj->progs[prog];
	uint32_t base = l->prog_off[prog];
	struct line_rec rec;
	int r;

	if (!p->nlines || p->lines[0].insn != 0) {
		r = line_record(l, base, prog_origin(l, p), &rec);
		if (!r)
			r = sl_obj_buf_append(recs, &rec, sizeof(rec));
		if (r)
			return r;
		(*n)++;
	}
	for (uint32_t i = 0; i < p->nlines; i++) {
		if (i + 1 < p->nlines && p->lines[i + 1].insn == p->lines[i].insn)
			continue;
		r = line_record(l, base + p->lines[i].insn, p->lines[i].loc, &rec);
		if (!r)
			r = sl_obj_buf_append(recs, &rec, sizeof(rec));
		if (r)
			return r;
		(*n)++;
	}
	return 0;
}

static int section_block(struct sl_obj_layout *l, uint32_t sec, bool lines, struct sl_obj_buf *out)
{
	struct sl_obj_buf recs = {0};
	uint32_t name_off, n = 0;
	int r;

	r = add_str(l->btf, l->secs[sec].name, &name_off);
	for (uint32_t i = 0; !r && i < l->obj->nprogs; i++) {
		struct func_rec fr;

		if (l->prog_sec[i] != sec)
			continue;
		if (lines) {
			r = prog_lines(l, i, &recs, &n);
			continue;
		}
		fr.insn_off = l->prog_off[i] * (uint32_t)sizeof(struct bpf_insn);
		fr.type_id = (uint32_t)l->prog_func[i];
		r = sl_obj_buf_append(&recs, &fr, sizeof(fr));
		n++;
	}
	if (!r)
		r = sl_obj_buf_append_u32(out, name_off);
	if (!r)
		r = sl_obj_buf_append_u32(out, n);
	if (!r)
		r = sl_obj_buf_append(out, recs.data, recs.len);
	sl_obj_buf_fini(&recs);
	return r;
}

static int subsection(struct sl_obj_layout *l, bool lines, struct sl_obj_buf *out)
{
	int r =
	    sl_obj_buf_append_u32(out, lines ? sizeof(struct line_rec) : sizeof(struct func_rec));

	for (uint32_t s = 0; !r && s < l->nsecs; s++)
		r = section_block(l, s, lines, out);
	return r;
}

int sl_obj_btf_ext_build(struct sl_obj_layout *l, struct sl_diag *diag)
{
	struct sl_obj_buf funcs = {0}, lines = {0};
	struct sl_obj_buf *out = &l->btf_ext;
	uint16_t magic = BTF_EXT_MAGIC;
	uint8_t version = BTF_EXT_VERSION, flags = 0;
	int r;

	r = subsection(l, false, &funcs);
	if (!r)
		r = subsection(l, true, &lines);
	if (!r && funcs.len + lines.len > UINT32_MAX / 2)
		r = -E2BIG;
	if (!r)
		r = sl_obj_buf_append(out, &magic, sizeof(magic));
	if (!r)
		r = sl_obj_buf_append(out, &version, sizeof(version));
	if (!r)
		r = sl_obj_buf_append(out, &flags, sizeof(flags));
	if (!r)
		r = sl_obj_buf_append_u32(out, BTF_EXT_HDR_LEN);
	if (!r)
		r = sl_obj_buf_append_u32(out, 0);
	if (!r)
		r = sl_obj_buf_append_u32(out, (uint32_t)funcs.len);
	if (!r)
		r = sl_obj_buf_append_u32(out, (uint32_t)funcs.len);
	if (!r)
		r = sl_obj_buf_append_u32(out, (uint32_t)lines.len);
	if (!r)
		r = sl_obj_buf_append_u32(out, (uint32_t)(funcs.len + lines.len));
	if (!r)
		r = sl_obj_buf_append_u32(out, 0);
	if (!r)
		r = sl_obj_buf_append(out, funcs.data, funcs.len);
	if (!r)
		r = sl_obj_buf_append(out, lines.data, lines.len);
	sl_obj_buf_fini(&funcs);
	sl_obj_buf_fini(&lines);
	return r;
}
