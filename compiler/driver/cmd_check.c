// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"

int sl_cmd_check(int argc, char **argv)
{
	fprintf(stderr, "sluice: error: 'check' is not implemented yet\n");
	return SL_EXIT_USAGE;
}
