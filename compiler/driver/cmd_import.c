// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice import iptables|nft [--hook CHAIN=HOOK]... [--skip-unsupported]
 * [-o OUT] FILE|-`: a netfilter ruleset as a sluice policy (compiler/import/).
 * The policy written is checked like `sluice check` before it is written: an
 * importer that wrote a policy sluice rejects would be a bug, said as such.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/util.h"
#include "driver/args.h"
#include "driver/commands.h"
#include "import/import.h"
#include "lib/compile.h"
#include "object/object.h"

struct import_cli {
	bool skip;
	struct sl_import_hook *hooks;
	size_t nhooks, cap;
};

static void import_usage(const struct sl_args *a, FILE *out)
{
	fprintf(
	    out,
	    "usage: sluice import iptables|nft [OPTIONS] FILE|- [-o OUT]\n\n"
	    "Translate a netfilter ruleset into a sluice policy (standard output, or OUT):\n"
	    "  iptables  iptables-save or ip6tables-save output: the filter table's INPUT,\n"
	    "            FORWARD and OUTPUT chains become tables, user chains chains\n"
	    "  nft       `nft -j list ruleset` (JSON): filter base chains become tables,\n"
	    "            other chains chains, constant named sets constants\n"
	    "Every rule either means in sluice what it meant in netfilter or is refused: an\n"
	    "error at the input line naming the construct.\n\n"
	    "  --hook CHAIN=HOOK    the sluice hook of a chain with a hook (iptables: INPUT,\n"
	    "                       FORWARD, OUTPUT; nft: the hook name, e.g. input, or\n"
	    "                       TABLE/CHAIN); HOOK is xdp, 'tc ingress', 'tc egress',\n"
	    "                       'cgroup_skb ingress|egress' or none (not imported).\n"
	    "                       Default: tc egress for output/postrouting, else tc ingress\n"
	    "  --skip-unsupported   write rules sluice cannot express as comments, with a\n"
	    "                       warning each, instead of failing\n"
	    "  -o, --output FILE    write the policy there (atomically)\n");
	sl_args_help(a, out);
	fprintf(out, "\nexit status: 0 written, 1 the ruleset has errors or unsupported rules,\n"
		     "             2 usage or system error\n");
}

enum { OPT_HOOK = SL_ARGS_OWN, OPT_SKIP };

static int import_opt(struct sl_args *a, int c, const char *arg)
{
	struct import_cli *o = a->ctx;
	const char *eq;

	switch (c) {
	case OPT_SKIP:
		o->skip = true;
		return 0;
	case OPT_HOOK:
		eq = strchr(arg, '=');
		if (!eq || eq == arg || (!sl_import_hook_valid(eq + 1) && strcmp(eq + 1, "none")))
			return sl_args_error(a,
					     "--hook wants CHAIN=HOOK (HOOK: xdp, 'tc ingress', "
					     "'tc egress', 'cgroup_skb ingress|egress', none), not "
					     "'%s'",
					     arg);
		if (sl_grow((void **)&o->hooks, &o->cap, o->nhooks + 1, sizeof(*o->hooks)))
			return sl_args_error(a, "out of memory");
		o->hooks[o->nhooks].chain = strndup(arg, (size_t)(eq - arg));
		o->hooks[o->nhooks++].hook = eq + 1;
		return 0;
	}
	return -1;
}

/* The policy written must check: a failure here is the importer's bug. */
static int self_check(const char *text, size_t len)
{
	struct sl_compile_opts co = {.quiet_warnings = true, .diag = stderr};
	struct sl_result *r = NULL;
	int code = sl_compile_check("<imported>", text, len, &co, &r);

	sl_result_free(r);
	if (code != SL_COMPILE_OK)
		fprintf(stderr, "sluice: internal error: the imported policy does not check "
				"(a bug in sluice import; please report it with the input)\n");
	return code == SL_COMPILE_OK ? 0 : -EINVAL;
}

static int run_import(const struct sl_args *a, const struct import_cli *o, bool nft)
{
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy in = {0};
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_buf out = {0};
	const struct sl_source *src;
	int file, code, r;

	code = sl_policy_open(&in, a->inputs[1]);
	if (code)
		return code;
	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	sl_diag_hold(&diag);
	diag.werror = a->compile.werror;
	diag.quiet_warnings = a->compile.quiet_warnings;
	diag.max_errors = a->compile.max_errors;
	file = in.text ? sl_sources_add(&srcs, in.path, in.text, in.len)
		       : sl_sources_load(&srcs, in.path, SL_LOC_NONE);
	if (file < 0) {
		fprintf(stderr, "sluice: error: cannot read '%s': %s\n", in.path, strerror(-file));
		sl_sources_fini(&srcs);
		return SL_EXIT_USAGE;
	}
	src = sl_sources_get(&srcs, (uint32_t)file);
	struct sl_import_opts io = {
	    .skip_unsupported = o->skip, .hooks = o->hooks, .nhooks = o->nhooks, .name = in.path};
	r = nft ? sl_import_nft(src->text, src->size, (uint32_t)file, &io, &diag, &out)
		: sl_import_iptables(src->text, src->size, (uint32_t)file, &io, &diag, &out);
	code = SL_EXIT_OK;
	if (r || sl_diag_failed(&diag))
		code = SL_EXIT_POLICY;
	else if (self_check(out.s, out.len))
		code = SL_EXIT_USAGE;
	else if (a->output) {
		r = sl_obj_write_file_atomic(a->output, out.s, out.len);
		if (r) {
			fprintf(stderr, "sluice: error: cannot write '%s': %s\n", a->output,
				strerror(-r));
			code = SL_EXIT_USAGE;
		}
	} else if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, "sluice: error: cannot write the policy: %s\n", strerror(errno));
		code = SL_EXIT_USAGE;
	}
	sl_buf_fini(&out);
	sl_diag_release(&diag);
	sl_sources_fini(&srcs);
	return code;
}

/* iptables' chains with hooks are known; an nft --hook is checked against the ruleset. */
static int check_hooks(const struct sl_args *a, const struct import_cli *o, bool nft)
{
	for (size_t i = 0; i < o->nhooks && !nft; i++)
		if (strcmp(o->hooks[i].chain, "INPUT") && strcmp(o->hooks[i].chain, "FORWARD") &&
		    strcmp(o->hooks[i].chain, "OUTPUT"))
			return sl_args_error(a,
					     "--hook %s: iptables' chains with a hook are INPUT, "
					     "FORWARD and OUTPUT",
					     o->hooks[i].chain);
	return -1;
}

int sl_cmd_import(int argc, char **argv)
{
	static const struct option own[] = {
	    {"hook", required_argument, NULL, OPT_HOOK},
	    {"skip-unsupported", no_argument, NULL, OPT_SKIP},
	    {0},
	};
	struct import_cli o = {0};
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "import",
	    .groups = SL_ARGS_WARN | SL_ARGS_OUTPUT,
	    .own = own,
	    .own_opt = import_opt,
	    .ctx = &o,
	    .usage = import_usage,
	};
	int code;

	code = sl_args_parse(&a, argc, argv);
	if (code < 0) {
		if (a.ninputs != 2 ||
		    (strcmp(a.inputs[0], "iptables") && strcmp(a.inputs[0], "nft")))
			code = sl_args_error(&a,
					     "wants 'iptables FILE' or 'nft FILE' (FILE may be -)");
		else
			code = check_hooks(&a, &o, !strcmp(a.inputs[0], "nft"));
		if (code < 0)
			code = run_import(&a, &o, !strcmp(a.inputs[0], "nft"));
	}
	for (size_t i = 0; i < o.nhooks; i++)
		free((char *)o.hooks[i].chain);
	free(o.hooks);
	return code;
}
