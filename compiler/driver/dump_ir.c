// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"

int sl_dump_ir(int argc, char **argv)
{
	fprintf(stderr, "sluice: error: 'dump --ir' is not implemented yet\n");
	return SL_EXIT_USAGE;
}
