// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target over the test-file parser of `sluice test`
 * (compiler/testcase): arbitrary bytes are parsed as a test file, and the
 * frame of every case that parses is built for every hook. Any crash,
 * sanitizer report, leak or hang is a bug; diagnostics are expected and
 * discarded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/arena.h"
#include "common/diag.h"
#include "testcase/testcase.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[SL_TC_FRAME_MAX];
	FILE *null = fopen("/dev/null", "w");
	struct sl_arena *arena = sl_arena_new();
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_testfile tf = {0};
	int file;

	sl_sources_init(&srcs);
	file = sl_sources_add(&srcs, "dir/fuzz.sluicetest", (const char *)data, size);
	if (null && arena && file >= 0) {
		sl_diag_init(&diag, &srcs, null);
		sl_testfile_parse(&diag, (uint32_t)file, arena, &tf);
		for (size_t i = 0; i < tf.ncases; i++) {
			for (int h = 0; h < SL_HOOK_COUNT && !tf.cases[i].pcap; h++)
				sl_tc_frame(&tf.cases[i].pkt, (enum sl_hook)h, &diag, frame);
		}
	}
	sl_sources_fini(&srcs);
	sl_arena_free(arena);
	if (null)
		fclose(null);
	return 0;
}
