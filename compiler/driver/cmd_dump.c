// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"

int sl_cmd_dump(int argc, char **argv)
{
	fprintf(stderr, "sluice: error: 'dump' is not implemented yet\n");
	return SL_EXIT_USAGE;
}
