/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Subcommands of the `sluice` command, one file each. Each returns the exit
 * code: 0 ok, 1 the policy (or packets) had errors, 2 usage or system error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SL_EXIT_OK 0
#define SL_EXIT_POLICY 1
#define SL_EXIT_USAGE 2

int sl_cmd_check(int argc, char **argv);
int sl_cmd_build(int argc, char **argv);
int sl_cmd_dump(int argc, char **argv);
int sl_cmd_run(int argc, char **argv);
int sl_cmd_diff(int argc, char **argv);

/* `sluice dump --ir` (dump_ir.c) and `sluice dump --bpf` (dump_bpf.c); argv as for dump. */
int sl_dump_ir(int argc, char **argv);
int sl_dump_bpf(int argc, char **argv);

/* How cmd_build.c compiles a policy; shared with `sluice dump --bpf POLICY`. */
struct sl_build_opts {
	int opt_level;          /* 0..2 */
	bool record_decisions;  /* debug objects for `sluice-load run` */
	bool werror;            /* warnings fail the build */
	bool quiet_warnings;
	int classifier;         /* enum sl_classifier_mode (sluice/sluice.h): 0 = auto */
	int set_lookup;         /* enum sl_set_lookup (sluice/sluice.h): 0 = auto */
	bool stats;             /* print what the passes and codegen did to stderr (--stats) */
	FILE *plan;             /* when set, print the plan there (`sluice dump --bpf`) */
};

/*
 * Compile one policy (sl_compile()) into an object image in memory
 * (malloc'd). Diagnostics go to stderr. Returns an exit code.
 */
int sl_build_image(const char *policy, const struct sl_build_opts *o, void **image, size_t *size);
