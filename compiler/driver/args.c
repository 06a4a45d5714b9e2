// SPDX-License-Identifier: GPL-2.0-only
/*
 * One argument parser for every `sluice` command (args.h): the shared
 * options are a table, each command adds its own and gets the same
 * spellings (`--output=FILE`, `--output FILE`, `-oFILE`, `-o FILE`), the
 * same meanings and the same one-line usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "driver/args.h"
#include "driver/commands.h"

enum {
	OPT_CLASSIFIER = 0x100,
	OPT_SET_LOOKUP,
	OPT_RECORD,
	OPT_STATS,
	OPT_MAX_ERRORS,
	OPT_TEST_CLOCK,
	OPT_HELP = 'h',
};

struct shared_opt {
	unsigned group;
	struct option opt;
	const char *shortopt; /* its letter for the optstring, with ':' when it takes a value */
};

static const struct shared_opt shared[] = {
    {SL_ARGS_WARN, {"werror", no_argument, NULL, 'W'}, "W"},
    {SL_ARGS_WARN, {"warnings-as-errors", no_argument, NULL, 'W'}, NULL},
    {SL_ARGS_WARN, {"no-warnings", no_argument, NULL, 'w'}, "w"},
    {SL_ARGS_WARN, {"quiet", no_argument, NULL, 'q'}, "q"},
    {SL_ARGS_WARN, {"max-errors", required_argument, NULL, OPT_MAX_ERRORS}, NULL},
    {SL_ARGS_LEVEL, {NULL, 0, NULL, 'O'}, "O:"},
    {SL_ARGS_CODEGEN, {"classifier", required_argument, NULL, OPT_CLASSIFIER}, NULL},
    {SL_ARGS_CODEGEN, {"set-lookup", required_argument, NULL, OPT_SET_LOOKUP}, NULL},
    {SL_ARGS_CODEGEN, {"record-decisions", no_argument, NULL, OPT_RECORD}, NULL},
    {SL_ARGS_CODEGEN, {"test-clock", no_argument, NULL, OPT_TEST_CLOCK}, NULL},
    {SL_ARGS_OUTPUT, {"output", required_argument, NULL, 'o'}, "o:"},
    {SL_ARGS_STATS, {"stats", no_argument, NULL, OPT_STATS}, NULL},
};

static const char *const classifier_modes[] = {
    [SL_CLASSIFIER_AUTO] = "auto",
    [SL_CLASSIFIER_OFF] = "off",
    [SL_CLASSIFIER_TREE] = "tree",
    [SL_CLASSIFIER_CODE] = "code",
};
static const char *const set_lookup_modes[] = {
    [SL_SET_LOOKUP_AUTO] = "auto",
    [SL_SET_LOOKUP_TABLE] = "table",
    [SL_SET_LOOKUP_INLINE] = "inline",
};

int sl_args_error(const struct sl_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice %s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'sluice %s --help'\n", a->cmd);
	return SL_EXIT_USAGE;
}

/* A mode named in `names` (indexed by its enum value) into *mode. */
static int parse_mode(const struct sl_args *a, const char *option, const char *m,
		      const char *const *names, unsigned n, int *mode)
{
	char list[128] = "";

	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(m, names[i])) {
			*mode = (int)i;
			return 0;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s",
			 i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
	}
	return sl_args_error(a, "unknown %s mode '%s' (use %s)", option, m, list);
}

static int shared_opt(struct sl_args *a, int c, const char *arg)
{
	char *end;
	unsigned long n;
	int mode;

	switch (c) {
	case 'W':
		a->compile.werror = true;
		return 0;
	case 'w':
		a->compile.quiet_warnings = true;
		return 0;
	case 'q':
		a->compile.quiet_warnings = true;
		a->quiet = true;
		return 0;
	case OPT_MAX_ERRORS:
		errno = 0;
		n = strtoul(arg, &end, 10);
		if (errno || *end || !*arg || n == 0 || n > 100000)
			return sl_args_error(a, "--max-errors takes a number from 1 to 100000");
		a->compile.max_errors = (unsigned)n;
		return 0;
	case 'O':
		if (arg[0] < '0' || arg[0] > '2' || arg[1])
			return sl_args_error(
			    a, "unknown optimisation level '%s' (use -O0, -O1 or -O2)", arg);
		a->compile.opt_level = arg[0] - '0';
		a->level_given = true;
		return 0;
	case OPT_CLASSIFIER:
		if (parse_mode(a, "classifier", arg, classifier_modes,
			       SL_ARRAY_SIZE(classifier_modes), &mode))
			return SL_EXIT_USAGE;
		a->compile.classifier = (enum sl_classifier_mode)mode;
		return 0;
	case OPT_SET_LOOKUP:
		if (parse_mode(a, "set lookup", arg, set_lookup_modes,
			       SL_ARRAY_SIZE(set_lookup_modes), &mode))
			return SL_EXIT_USAGE;
		a->compile.set_lookup = (enum sl_set_lookup)mode;
		return 0;
	case OPT_RECORD:
		a->compile.record_decisions = true;
		return 0;
	case OPT_TEST_CLOCK:
		a->compile.test_clock = true;
		return 0;
	case 'o':
		if (!*arg)
			return sl_args_error(a, "-o needs a file name");
		a->output = arg;
		return 0;
	case OPT_STATS:
		a->stats = true;
		return 0;
	}
	return -1;
}

/* The long options and the optstring of a command: the shared table's groups, then its own. */
static int build_options(const struct sl_args *a, struct option **longopts, char **shortopts)
{
	size_t nown = 0, n = 0;
	char *s;

	while (a->own && a->own[nown].name)
		nown++;
	*longopts = calloc(SL_ARRAY_SIZE(shared) + nown + 2, sizeof(**longopts));
	/* ':' first: a missing value is told apart from an unknown option */
	*shortopts = s =
	    calloc(1, 2 * SL_ARRAY_SIZE(shared) + (a->own_short ? strlen(a->own_short) : 0) + 4);
	if (!*longopts || !s)
		return -ENOMEM;
	strcpy(s, ":h");
	for (size_t i = 0; i < SL_ARRAY_SIZE(shared); i++) {
		if (!(shared[i].group & a->groups))
			continue;
		if (shared[i].opt.name)
			(*longopts)[n++] = shared[i].opt;
		if (shared[i].shortopt)
			strcat(s, shared[i].shortopt);
	}
	(*longopts)[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	for (size_t i = 0; i < nown; i++)
		(*longopts)[n++] = a->own[i];
	if (a->own_short)
		strcat(s, a->own_short);
	return 0;
}

/* The option getopt stopped at, as the user wrote it. */
static const char *bad_option(char **argv, char *buf, size_t size)
{
	const char *arg = argv[optind - 1];

	if (optopt > 0 && optopt < 0x100 && !(arg[0] == '-' && arg[1] == '-')) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
	return buf;
}

int sl_args_parse(struct sl_args *a, int argc, char **argv)
{
	_cleanup_free_ struct option *longopts = NULL;
	_cleanup_free_ char *shortopts = NULL;
	char buf[64];
	int c, code;

	a->argv = calloc((size_t)argc + 1, sizeof(*a->argv));
	if (!a->argv || build_options(a, &longopts, &shortopts)) {
		fprintf(stderr, "sluice: error: out of memory\n");
		return SL_EXIT_USAGE;
	}
	/* gcc's spelling, which getopt would read as -W -e -r -r -o r */
	for (int i = 0; i < argc; i++)
		a->argv[i] = (a->groups & SL_ARGS_WARN) && !strcmp(argv[i], "-Werror") ? "--werror"
										       : argv[i];
	optind = 0; /* a fresh scan */
	opterr = 0;
	while ((c = getopt_long(argc, a->argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			a->usage(a, stdout);
			return SL_EXIT_OK;
		case '?':
			return sl_args_error(a, "unknown option '%s'",
					     bad_option(a->argv, buf, sizeof(buf)));
		case ':':
			return sl_args_error(a, "option '%s' needs a value",
					     bad_option(a->argv, buf, sizeof(buf)));
		default:
			code = shared_opt(a, c, optarg);
			if (code < 0 && a->own_opt)
				code = a->own_opt(a, c, optarg);
			if (code < 0)
				return sl_args_error(a, "unhandled option '%s'",
						     a->argv[optind - 1]);
			if (code > 0)
				return code;
		}
	}
	a->inputs = a->argv + optind;
	a->ninputs = argc - optind;
	return -1;
}

void sl_args_fini(struct sl_args *a)
{
	free(a->argv);
	a->argv = NULL;
}

void sl_args_help(const struct sl_args *a, FILE *out)
{
	if (a->groups & SL_ARGS_LEVEL)
		fprintf(out,
			"  -O0, -O1, -O2          optimisation level (default -O%d;\n"
			"                         compiler/opt/README.md)\n",
			a->compile.opt_level);
	if (a->groups & SL_ARGS_CODEGEN)
		fprintf(
		    out,
		    "      --classifier=MODE  decision-tree walk for runs of accept/drop rules:\n"
		    "                         auto (the cost model decides at -O2, the default),\n"
		    "                         tree (a table walk wherever it applies, at any\n"
		    "                         level), code (inline decision trees wherever they\n"
		    "                         fit), off\n"
		    "      --set-lookup=MODE  how a rule tests a set of many values: auto (a\n"
		    "                         binary search through a read-only table for sets of\n"
		    "                         32+ intervals at -O1 and -O2, the default), table\n"
		    "                         (for every set of 2+ intervals), inline (a test per\n"
		    "                         interval)\n"
		    "      --record-decisions store the deciding rule of each packet in the map\n"
		    "                         sluice_decision (debug objects, `sluice-load "
		    "run`)\n"
		    "      --test-clock       limits, logs and ct's flow timeouts read the\n"
		    "                         time from the map sluice_clock, not the kernel\n"
		    "                         (test objects)\n");
	if (a->groups & SL_ARGS_STATS)
		fprintf(out,
			"      --stats            print to stderr what each optimiser pass did%s\n",
			a->groups & SL_ARGS_CODEGEN
			    ? ",\n                         what code each run of rules became "
			      "(straight,\n"
			      "                         table walk, code tree) and the maps' memory"
			    : "");
	if (a->groups & SL_ARGS_WARN)
		fprintf(out,
			"  -W, --werror           treat warnings as errors (also -Werror,\n"
			"                         --warnings-as-errors)\n"
			"  -w, --no-warnings      do not print warnings\n"
			"  -q, --quiet            print errors only: no warnings%s%s\n"
			"      --max-errors=N     stop printing errors after N (default 50)\n",
			a->quiet_also ? ", no " : "", a->quiet_also ? a->quiet_also : "");
	fprintf(out, "  -h, --help             this text\n");
}

int sl_policy_open(struct sl_policy *p, const char *arg)
{
	size_t cap = 0;

	*p = (struct sl_policy){.path = arg};
	if (strcmp(arg, "-"))
		return 0;
	p->path = SL_STDIN_NAME;
	for (;;) {
		ssize_t n;

		if (p->len + 1 >= cap && sl_grow((void **)&p->text, &cap, p->len + 65536, 1)) {
			fprintf(stderr, "sluice: error: out of memory reading standard input\n");
			return SL_EXIT_USAGE;
		}
		n = read(STDIN_FILENO, p->text + p->len, cap - p->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "sluice: error: cannot read standard input: %s\n",
				strerror(errno));
			return SL_EXIT_USAGE;
		}
		if (n == 0)
			break;
		p->len += (size_t)n;
	}
	p->text[p->len] = '\0';
	return 0;
}

void sl_policy_fini(struct sl_policy *p)
{
	free(p->text);
	p->text = NULL;
}
