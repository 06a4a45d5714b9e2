// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emitted table walk, run by the kernel (BPF_PROG_TEST_RUN on XDP), must
 * give the answer of the naive first-match scan for every packet: random
 * problems with absent fields, and the ClassBench acl1/fw1/ipc1 1k/10k traces.
 * The program under test reads the dimension values from the packet (u64
 * each, >= 2^bits = absent) into stack slots and returns the payload of the
 * first matching box, or NOMATCH. Exits 77 without BPF privileges unless
 * SLUICE_REQUIRE_KERNEL=1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "select/dtree.h"
#include "emit/table_walk.h"
#include "test_dtree_cb.h"
#include "common/util.h"

#define NOMATCH 0xfffffffeu
#define ABSENT	(1ull << 62)

struct walker {
	int prog_fd;
	int map_fd[SL_TW_MAX_TABLES];
	unsigned nmaps;
	unsigned ndims;
	uint32_t ninsns, verified;
};

static void walker_close(struct walker *w)
{
	if (w->prog_fd >= 0)
		close(w->prog_fd);
	for (unsigned i = 0; i < w->nmaps; i++)
		if (w->map_fd[i] >= 0)
			close(w->map_fd[i]);
}

static int table_map(const struct sl_tw_table *t)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_RDONLY_PROG);
	uint32_t key = 0;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_tw_test", 4, t->size, 1, &opts);

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &key, t->data, 0), 0);
	assert_int_equal(bpf_map_freeze(fd), 0);
	return fd;
}

static void walker_load(struct walker *w, const struct sl_dt *dt)
{
	struct sl_emit e;
	struct sl_tw_input in = {0};
	struct sl_tw_table tables[SL_TW_MAX_TABLES];
	sl_label nomatch, bad;
	static char log[1 << 20];
	struct bpf_prog_info info = {0};
	uint32_t info_len = sizeof(info);
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 0);

	memset(w, 0, sizeof(*w));
	w->prog_fd = -1;
	w->ndims = dt->ndims;
	assert_int_equal(sl_tw_tables(dt, tables), 0);
	for (unsigned k = 0; k < SL_TW_MAX_TABLES; k++) {
		if (!tables[k].data)
			continue;
		in.map[k] = w->nmaps;
		w->map_fd[w->nmaps++] = table_map(&tables[k]);
	}
	assert_int_equal(w->nmaps, sl_tw_ntables(dt));
	sl_tw_tables_free(tables);

	for (unsigned d = 0; d < dt->ndims; d++) {
		in.value_off[d][0] = (int16_t)(-8 * (d + 1));
		in.nslots[d] = 1;
	}
	in.scratch_off = (int16_t)(-8 * dt->ndims - SL_TW_SCRATCH(dt->ndims));
	sl_emit_init(&e);
	nomatch = sl_emit_new_label(&e);
	bad = sl_emit_new_label(&e);
	sl_emit(&e, SL_MOV64_REG(SL_R6, SL_R1));
	sl_emit(&e, SL_LDX(BPF_W, SL_R7, SL_R6, 0));
	sl_emit(&e, SL_LDX(BPF_W, SL_R8, SL_R6, 4));
	sl_emit(&e, SL_MOV64_REG(SL_R1, SL_R7));
	sl_emit(&e, SL_ALU64_IMM(BPF_ADD, SL_R1, 8 * dt->ndims));
	sl_emit_jmp_reg(&e, BPF_JGT, SL_R1, SL_R8, bad);
	for (unsigned d = 0; d < dt->ndims; d++) {
		sl_emit(&e, SL_LDX(BPF_DW, SL_R1, SL_R7, 8 * d));
		sl_emit(&e, SL_STX(BPF_DW, SL_FP, SL_R1, in.value_off[d][0]));
	}
	sl_tw_emit(&e, dt, &in, SL_R6, nomatch);
	sl_emit(&e, SL_MOV64_REG(SL_R0, SL_R6));
	sl_emit(&e, SL_EXIT());
	sl_emit_bind(&e, nomatch);
	sl_emit(&e, SL_MOV32_IMM(SL_R0, (int32_t)NOMATCH));
	sl_emit(&e, SL_EXIT());
	sl_emit_bind(&e, bad);
	sl_emit(&e, SL_MOV32_IMM(SL_R0, 0xbad));
	sl_emit(&e, SL_EXIT());
	assert_int_equal(e.err, 0);

	for (size_t i = 0; i < e.nrelocs; i++) {
		struct bpf_insn *insn = &e.insns[e.relocs[i].insn];

		insn[0].src_reg = BPF_PSEUDO_MAP_VALUE;
		insn[0].imm = w->map_fd[e.relocs[i].map];
		insn[1].imm = 0;
	}
	w->ninsns = (uint32_t)e.ninsns;
	w->prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "sl_tw_test", "GPL", e.insns,
				   (uint32_t)e.ninsns, &opts);
	if (w->prog_fd < 0) {
		opts.log_level = 1;
		w->prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "sl_tw_test", "GPL", e.insns,
					   (uint32_t)e.ninsns, &opts);
		fprintf(stderr, "verifier log (tail):\n%s\n",
			strlen(log) > 4000 ? log + strlen(log) - 4000 : log);
	}
	sl_emit_fini(&e);
	assert_true(w->prog_fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(w->prog_fd, &info, &info_len), 0);
	w->verified = info.verified_insns;
}

static uint32_t walker_run(const struct walker *w, const uint64_t *value, uint32_t absent)
{
	uint8_t pkt[8 * SL_DT_MAX_DIMS + 64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);

	for (unsigned d = 0; d < w->ndims; d++) {
		uint64_t v = absent & (1u << d) ? ABSENT : value[d];

		memcpy(&pkt[8 * d], &v, 8);
	}
	assert_int_equal(bpf_prog_test_run_opts(w->prog_fd, &opts), 0);
	return opts.retval;
}

static int kernel_available(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_probe", 4, 4, 1, &opts);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check(const struct walker *w, const struct sl_dt_problem *p, const uint64_t *v,
		  uint32_t absent, const char *what, uint32_t n)
{
	uint32_t want = sl_dt_problem_lookup(p, v, absent);
	uint32_t got = walker_run(w, v, absent);

	want = want == SL_DT_NONE ? NOMATCH : p->payload[want];
	if (got != want)
		fail_msg("%s packet %u: kernel says %#x, first match gives %#x", what, n, got,
			 want);
}

static void random_problems_in_kernel(void **state)
{
	static uint64_t lo[800 * 6], hi[800 * 6];
	static uint32_t need[800], payload[800];
	static const unsigned widths[] = {8, 16, 32, 48, 1, 12};

	for (uint64_t seed = 1; seed <= 12; seed++) {
		struct sl_dt_problem p = {
		    .ndims = 1 + seed % 6, .lo = lo, .hi = hi, .need = need, .payload = payload};
		struct sl_dt_params par;
		_cleanup_dt_ struct sl_dt *dt = NULL;
		struct walker w;
		uint64_t s = seed * 977 + 1;

		p.nboxes = (uint32_t)(seed * 61 % 800);
		for (unsigned d = 0; d < p.ndims; d++)
			p.bits[d] = widths[(d + seed) % 6];
		for (uint32_t i = 0; i < p.nboxes; i++) {
			need[i] = 0;
			payload[i] = (uint32_t)(i * 3 + 100);
			for (unsigned d = 0; d < p.ndims; d++) {
				size_t k = (size_t)i * p.ndims + d;
				uint64_t max = (UINT64_C(1) << p.bits[d]) - 1, a, b;

				lo[k] = hi[k] = 0;
				if (rnd(&s) % 3 == 0)
					continue;
				need[i] |= 1u << d;
				a = rnd(&s) % 5 == 0 ? max : rnd(&s) & max;
				b = rnd(&s) % 2 ? a : rnd(&s) & max;
				lo[k] = a < b ? a : b;
				hi[k] = a < b ? b : a;
			}
		}
		sl_dt_params_default(&par);
		par.binth = 1 + seed % 8;
		par.max_trees = 1 + seed % 4;
		assert_int_equal(sl_dt_build(&p, &par, &dt), 0);
		walker_load(&w, dt);
		for (uint32_t n = 0; n < 300; n++) {
			uint64_t v[SL_DT_MAX_DIMS];
			uint32_t absent = 0, box = p.nboxes ? rnd(&s) % p.nboxes : 0;

			for (unsigned d = 0; d < p.ndims; d++) {
				size_t k = (size_t)box * p.ndims + d;
				uint64_t max = (UINT64_C(1) << p.bits[d]) - 1;

				switch (rnd(&s) % 4) {
				case 0:
					v[d] = rnd(&s) & max;
					break;
				case 1:
					v[d] = (hi[k] + 1) & max;
					break;
				default:
					v[d] = rnd(&s) % 2 ? lo[k] : hi[k];
				}
				if (rnd(&s) % 10 == 0)
					absent |= 1u << d;
			}
			check(&w, &p, v, absent, "random", n);
		}
		walker_close(&w);
	}
}

static void classbench_in_kernel(void **state)
{
	static const char *const names[] = {"acl1_1000",  "fw1_1000",  "ipc1_1000",
					    "acl1_10000", "fw1_10000", "ipc1_10000"};

	if (!cb_dir())
		skip();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct cb_set set;
		struct cb_trace trace;
		struct sl_dt_params par;
		_cleanup_dt_ struct sl_dt *dt = NULL;
		_cleanup_free_ uint32_t *payload = NULL;
		struct walker w;

		assert_int_equal(cb_load_set(names[i], &set), 0);
		assert_int_equal(cb_load_trace(names[i], &set, 5000, 3, &trace), 0);
		payload = malloc(set.nrules * sizeof(*payload));
		assert_non_null(payload);
		for (uint32_t r = 0; r < set.nrules; r++)
			payload[r] = r ^ 0x5a5a;
		set.prob.payload = payload;
		sl_dt_params_default(&par);
		assert_int_equal(sl_dt_build(&set.prob, &par, &dt), 0);
		walker_load(&w, dt);
		printf("%-11s trees %u insns %5u verifier processed %7u\n", names[i], dt->ntrees,
		       w.ninsns, w.verified);
		for (uint32_t n = 0; n < trace.n; n++)
			check(&w, &set.prob, trace.value[n], 0, names[i], n);
		walker_close(&w);
		cb_trace_fini(&trace);
		cb_set_fini(&set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(random_problems_in_kernel),
	    cmocka_unit_test(classbench_in_kernel),
	};
	const char *req = getenv("SLUICE_REQUIRE_KERNEL");

	if (!kernel_available()) {
		fprintf(stderr, "no BPF: skipping\n");
		return req && !strcmp(req, "1") ? 1 : 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
