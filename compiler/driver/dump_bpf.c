// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"

int sl_dump_bpf(int argc, char **argv)
{
	fprintf(stderr, "sluice: error: 'dump --bpf' is not implemented yet\n");
	return SL_EXIT_USAGE;
}
