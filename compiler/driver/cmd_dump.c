// SPDX-License-Identifier: GPL-2.0-only
/* `sluice dump --ir FILE` | `sluice dump --bpf FILE|OBJ` */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "driver/commands.h"

static void dump_usage(FILE *out)
{
	fprintf(out,
		"usage: sluice dump --ir [OPTIONS] POLICY\n"
		"       sluice dump --bpf [OPTIONS] POLICY|OBJECT\n\n"
		"  --ir    the IR of the policy, in its stable text form (-O LEVEL,\n"
		"          --after PASS: after the optimiser or one of its passes)\n"
		"  --bpf   the BPF code of each program, interleaved with the policy lines\n\n"
		"`sluice dump --ir --help` and `sluice dump --bpf --help` list their options.\n");
}

int sl_cmd_dump(int argc, char **argv)
{
	bool help = false;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--ir"))
			return sl_dump_ir(argc, argv);
		if (!strcmp(argv[i], "--bpf"))
			return sl_dump_bpf(argc, argv);
		help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
	}
	if (help) {
		dump_usage(stdout);
		return SL_EXIT_OK;
	}
	fprintf(stderr, "sluice dump: say what to dump: --ir or --bpf\n"
			"see 'sluice dump --help'\n");
	return SL_EXIT_USAGE;
}
