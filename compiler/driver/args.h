/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line of every `sluice` command: getopt_long over one table of
 * the options the commands share (args.c) plus the command's own. Each
 * command names the groups of shared options it takes; a shared option
 * means the same wherever it is accepted. A usage error is one line,
 * `sluice CMD: what`, then `see 'sluice CMD --help'`, exit 2.
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sluice/sluice.h"

enum sl_arg_group {
	/* -W/--werror, -w/--no-warnings, -q/--quiet, --max-errors=N */
	SL_ARGS_WARN = 1 << 0,
	/* -O0, -O1, -O2 (also -O LEVEL) */
	SL_ARGS_LEVEL = 1 << 1,
	/* --classifier=MODE, --set-lookup=MODE, --record-decisions */
	SL_ARGS_CODEGEN = 1 << 2,
	/* -o, --output FILE */
	SL_ARGS_OUTPUT = 1 << 3,
	/* --stats */
	SL_ARGS_STATS = 1 << 4,
};

/* First getopt value free for a command's own long-only options. */
#define SL_ARGS_OWN 0x200

struct sl_args {
	/* The command, as messages name it: "build", "dump --ir". */
	const char *cmd;
	unsigned groups; /* enum sl_arg_group */
	/* The command's own options (ending with a zeroed entry) and short letters. */
	const struct option *own;
	const char *own_short;
	/* Takes one of the command's own options; 0, or an exit code (after sl_args_error()). */
	int (*own_opt)(struct sl_args *a, int c, const char *arg);
	void *ctx; /* the command's, for own_opt */
	void (*usage)(const struct sl_args *a, FILE *out);
	/* What -q drops besides warnings, for --help ("the summary lines"), or NULL. */
	const char *quiet_also;

	/* What the shared options said. */
	struct sl_compile_opts compile; /* level, modes, warnings; the caller sets defaults */
	bool level_given;
	bool quiet; /* -q: errors only (no warnings, and what quiet_also says) */
	bool stats;
	const char *output;
	/* The arguments that are not options, in order ("-": standard input). */
	char **inputs;
	int ninputs;
	char **argv; /* owned: argv with -Werror spelt --werror */
};

/*
 * Parse argv[1..] (argv[0] is the command's name). Returns -1 to go on, or
 * the exit code: 0 after --help (printed to stdout), 2 after a usage error.
 */
int sl_args_parse(struct sl_args *a, int argc, char **argv);
void sl_args_fini(struct sl_args *a);

/* Report a usage error (one line and the pointer to --help); returns 2. */
int sl_args_error(const struct sl_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The help lines of the shared options a command takes (all but -o, which
 * each command describes); the default level is a->compile.opt_level.
 */
void sl_args_help(const struct sl_args *a, FILE *out);

/*
 * A policy named on the command line: a file, or "-" for standard input,
 * read whole (diagnostics name it <stdin>). Free with sl_policy_fini().
 */
struct sl_policy {
	const char *path; /* the file, or "<stdin>" */
	char *text;	  /* NULL for a file: the compiler reads it */
	size_t len;
};

/* 0, or SL_EXIT_USAGE after reporting why standard input could not be read. */
int sl_policy_open(struct sl_policy *p, const char *arg);
void sl_policy_fini(struct sl_policy *p);

#define SL_STDIN_NAME "<stdin>"
