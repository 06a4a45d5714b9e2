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
#include "driver/commands.h"

/* Objects larger than this are not BPF objects anyone should list. */
#define SL_DUMP_MAX_FILE (1u << 30)

struct dump_bpf_args {
	const char *input;
	const char *output; /* NULL: stdout */
	struct sl_build_opts opts;
};

static void dump_bpf_usage(FILE *out)
{
	fprintf(out,
		"usage: sluice dump --bpf [OPTIONS] POLICY|OBJECT\n\n"
		"List the BPF code of each program with instruction indices, map references\n"
		"by name and the policy lines interleaved, after a header from the sluice\n"
		"metadata. A POLICY is compiled in memory with the build options below, and\n"
		"the plan ('; plan:' lines: what code each run of rules became) comes first; an\n"
		"OBJECT (recognised by its ELF header) is listed as it is.\n\n"
		"  -o, --output FILE     write to FILE instead of stdout (replaced atomically)\n"
		"  -O0, -O1, -O2         optimisation level for a policy (default -O2)\n"
		"      --record-decisions  compile a policy as a debug object\n"
		"  -W, --werror          treat warnings as errors\n"
		"  -q, --quiet           do not print warnings\n"
		"  -h, --help            this text\n");
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct dump_bpf_args *d)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--bpf"))
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			dump_bpf_usage(stdout);
			return SL_EXIT_OK;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc || !*argv[i]) {
				fprintf(stderr, "sluice: error: %s needs a file name\n", a);
				return SL_EXIT_USAGE;
			}
			d->output = argv[i];
		} else if (!strcmp(a, "-O0") || !strcmp(a, "-O1") || !strcmp(a, "-O2")) {
			d->opts.opt_level = a[2] - '0';
		} else if (!strcmp(a, "--record-decisions")) {
			d->opts.record_decisions = true;
		} else if (!strcmp(a, "-W") || !strcmp(a, "--werror") || !strcmp(a, "-Werror")) {
			d->opts.werror = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			d->opts.quiet_warnings = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "sluice: error: unknown option '%s' for dump --bpf\n", a);
			dump_bpf_usage(stderr);
			return SL_EXIT_USAGE;
		} else if (d->input) {
			fprintf(stderr, "sluice: error: dump --bpf takes one file, got '%s' and '%s'\n",
				d->input, a);
			return SL_EXIT_USAGE;
		} else {
			d->input = a;
		}
	}
	if (!d->input) {
		fprintf(stderr, "sluice: error: dump --bpf needs a policy or an object\n");
		dump_bpf_usage(stderr);
		return SL_EXIT_USAGE;
	}
	return -1;
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

/* The object to list: the file itself when it is ELF, else the policy compiled. */
static int load_input(const struct dump_bpf_args *d, void **image, size_t *size)
{
	int r = read_file(d->input, image, size);

	if (r) {
		fprintf(stderr, "sluice: error: cannot read '%s': %s\n", d->input, strerror(-r));
		return SL_EXIT_USAGE;
	}
	if (sl_objfile_is_elf(*image, *size))
		return SL_EXIT_OK;
	free(*image);
	*image = NULL;
	return sl_build_image(d->input, &d->opts, image, size);
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

static int render(const struct dump_bpf_args *d, const char *plan, const void *image, size_t size,
		  char **text, size_t *len)
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
		fprintf(stderr, "sluice: error: cannot list '%s': %s\n", d->input,
			*why ? why : strerror(-r));
		return SL_EXIT_USAGE;
	}
	return SL_EXIT_OK;
}

static int emit(const struct dump_bpf_args *d, const char *text, size_t len)
{
	int r;

	if (d->output) {
		r = sl_obj_write_file_atomic(d->output, text, len);
		if (r) {
			fprintf(stderr, "sluice: error: cannot write '%s': %s\n", d->output,
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
	struct dump_bpf_args d = { .opts = { .opt_level = 2 } };
	_cleanup_free_ void *image = NULL;
	_cleanup_free_ char *text = NULL, *plan = NULL;
	size_t size = 0, len = 0, plan_len = 0;
	int code;

	code = parse_args(argc, argv, &d);
	if (code >= 0)
		return code;
	/* A damaged object's BTF makes libbpf complain; the listing says so itself. */
	libbpf_set_print(NULL);
	d.opts.plan = open_memstream(&plan, &plan_len);
	if (!d.opts.plan) {
		fprintf(stderr, "sluice: error: %s\n", strerror(errno));
		return SL_EXIT_USAGE;
	}
	code = load_input(&d, &image, &size);
	fclose(d.opts.plan);
	if (code == SL_EXIT_OK)
		code = render(&d, plan, image, size, &text, &len);
	if (code == SL_EXIT_OK)
		code = emit(&d, text, len);
	return code;
}
