/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Subcommands of the `sluice` command, one file each. Each returns the exit
 * code: 0 ok, 1 the policy (or packets) had errors, 2 usage or system error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SL_EXIT_OK     0
#define SL_EXIT_POLICY 1
#define SL_EXIT_USAGE  2

int sl_cmd_check(int argc, char **argv);
int sl_cmd_build(int argc, char **argv);
int sl_cmd_dump(int argc, char **argv);
int sl_cmd_run(int argc, char **argv);
int sl_cmd_diff(int argc, char **argv);
int sl_cmd_test(int argc, char **argv);
int sl_cmd_import(int argc, char **argv);

/* `sluice dump --ir` (dump_ir.c) and `sluice dump --bpf` (dump_bpf.c); argv as for dump. */
int sl_dump_ir(int argc, char **argv);
int sl_dump_bpf(int argc, char **argv);

struct sl_args;
struct sl_policy;

/*
 * Compile one policy (sl_compile()) with the options in `a` into an object
 * image in memory (malloc'd); print the stats (--stats) to stderr and, when
 * `plan` is set, the plan there (`sluice dump --bpf`). Diagnostics go to
 * stderr. Returns an exit code. Shared by `build` and `dump --bpf POLICY`.
 */
int sl_build_image(const struct sl_policy *policy, const struct sl_args *a, FILE *plan,
		   void **image, size_t *size);
