// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice dump --bpf [OPTIONS] POLICY|OBJECT`: the BPF code of every program,
 * disassembled by LLVM, with the policy lines it came from interleaved. A
 * policy is compiled in memory (nothing is written) and its plan (what code
 * each run of rules became) heads the listing; an object (any BPF ELF file)
 * is read as it is. The listing is rendered whole before it is printed.
 */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "object/object.h"
#include "object/listing.h"
#include "object/object_read.h"
#include "driver/args.h"
#include "driver/commands.h"

/* Objects larger than this are not BPF objects anyone should list. */
#define SL_DUMP_MAX_FILE (1u << 30)

static void dump_bpf_usage(const struct sl_args *a, FILE *out)
{
	fprintf(out,
		"usage: sluice dump --bpf [OPTIONS] POLICY|OBJECT\n\n"
		"List the BPF code of each program with instruction indices, map references\n"
		"by name and the policy lines interleaved, after a header from the sluice\n"
		"metadata. A POLICY is compiled in memory with the build options below, and\n"
		"the plan ('; plan:' lines: what code each run of rules became) comes first; an\n"
		"OBJECT (recognised by its ELF header) is listed as it is. `-` reads either\n"
		"from standard input.\n\n"
		"  -o, --output=FILE      write to FILE instead of stdout (replaced atomically)\n");
	sl_args_help(a, out);
}

static int dump_bpf_opt(struct sl_args *a, int c, const char *arg)
{
	(void)a, (void)arg;
	return c == SL_ARGS_OWN ? 0 : -1; /* --bpf, which chose this command */
}

static int read_file(const char *path, void **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (sl_grow((void **)&buf, &cap, len + 65536, 1) || cap > SL_DUMP_MAX_FILE) {
			free(buf);
			fclose(f);
			return cap > SL_DUMP_MAX_FILE ? -EFBIG : -ENOMEM;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*data = buf;
	*size = len;
	return 0;
}

/* The object to list: the input itself when it is ELF, else the policy compiled. */
static int load_input(const struct sl_args *a, struct sl_policy *policy, FILE *plan, void **image,
		      size_t *size)
{
	bool from_stdin = policy->text != NULL; /* read already: it is not a file */
	int r;

	if (from_stdin) {
		*image = TAKE_PTR(policy->text);
		*size = policy->len;
	} else if ((r = read_file(policy->path, image, size))) {
		fprintf(stderr, "sluice: error: cannot read '%s': %s\n", policy->path,
			strerror(-r));
		return SL_EXIT_USAGE;
	}
	if (sl_objfile_is_elf(*image, *size))
		return SL_EXIT_OK;
	if (from_stdin) {
		policy->text = TAKE_PTR(*image); /* the policy's text after all */
	} else {
		free(*image);
		*image = NULL;
	}
	return sl_build_image(policy, a, plan, image, size);
}

/* The plan of a compiled policy (what each run of rules became), as comment lines. */
static void print_plan(FILE *out, const char *plan)
{
	while (plan && *plan) {
		const char *nl = strchr(plan, '\n');
		int n = nl ? (int)(nl - plan) : (int)strlen(plan);

		/* the lines of `sluice build --stats`, without its prefix */
		if (!strncmp(plan, "stats: ", 7) && n >= 7)
			fprintf(out, "; plan: %.*s\n", n - 7, plan + 7);
		else
			fprintf(out, "; plan: %.*s\n", n, plan);
		plan += n + (nl != NULL);
	}
}

static int render(const char *input, const char *plan, const void *image, size_t size, char **text,
		  size_t *len)
{
	FILE *mem = open_memstream(text, len);
	char why[256];
	int r;

	if (!mem) {
		fprintf(stderr, "sluice: error: %s\n", strerror(errno));
		return SL_EXIT_USAGE;
	}
	print_plan(mem, plan);
	r = sl_listing_print(image, size, mem, why, sizeof(why));
	if (fclose(mem) && !r)
		r = -errno;
	if (r) {
		fprintf(stderr, "sluice: error: cannot list '%s': %s\n", input,
			*why ? why : strerror(-r));
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

static int emit(const char *output, const char *text, size_t len)
{
	int r;

	if (output) {
		r = sl_obj_write_file_atomic(output, text, len);
		if (r) {
			fprintf(stderr, "sluice: error: cannot write '%s': %s\n", output,
				strerror(-r));
			return SL_EXIT_USAGE;
		}
		return SL_EXIT_OK;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "sluice: error: cannot write the listing: %s\n", strerror(errno));
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

int sl_dump_bpf(int argc, char **argv)
{
	static const struct option own[] = {
	    {"bpf", no_argument, NULL, SL_ARGS_OWN},
	    {0},
	};
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "dump --bpf",
	    .groups =
		SL_ARGS_WARN | SL_ARGS_LEVEL | SL_ARGS_CODEGEN | SL_ARGS_OUTPUT | SL_ARGS_STATS,
	    .own = own,
	    .own_opt = dump_bpf_opt,
	    .usage = dump_bpf_usage,
	    .compile = {.opt_level = 2},
	};
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	_cleanup_free_ void *image = NULL;
	_cleanup_free_ char *text = NULL, *plan = NULL;
	size_t size = 0, len = 0, plan_len = 0;
	FILE *plan_out;
	int code;

	code = sl_args_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	if (a.ninputs != 1)
		return a.ninputs ? sl_args_error(&a, "takes one file, got '%s' and '%s'",
						 a.inputs[0], a.inputs[1])
				 : sl_args_error(&a, "no policy or object given");
	code = sl_policy_open(&policy, a.inputs[0]);
	if (code)
		return code;
	/* A damaged object's BTF makes libbpf complain; the listing says so itself. */
	libbpf_set_print(NULL);
	plan_out = open_memstream(&plan, &plan_len);
	if (!plan_out) {
		fprintf(stderr, "sluice: error: %s\n", strerror(errno));
		return SL_EXIT_USAGE;
	}
	code = load_input(&a, &policy, plan_out, &image, &size);
	fclose(plan_out);
	if (code == SL_EXIT_OK)
		code = render(policy.path, plan, image, size, &text, &len);
	if (code == SL_EXIT_OK)
		code = emit(a.output, text, len);
	return code;
}
