// SPDX-License-Identifier: GPL-2.0-only
/* sluice-load: attaches sluice objects to XDP, tc and cgroup_skb, and runs them on pcaps. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "cmd.h"
#include "obj.h"
#include "util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const char usage[] =
    "usage: sluice-load [-v] COMMAND [ARGS]\n"
    "\n"
    "Attach sluice policy objects (built by `sluice build`) to the kernel.\n"
    "\n"
    "commands:\n"
    "  attach OBJ [--table NAME] TARGET    attach a table's program\n"
    "  replace OBJ [--table NAME] TARGET   swap the attached program atomically\n"
    "  detach TARGET                       detach and remove the pins\n"
    "  list [--json]                       what sluice attached where\n"
    "  stats TARGET [--json]               per-rule counters next to the policy\n"
    "  prune                               forget attachments the kernel dropped\n"
    "  log TARGET [--json] [--follow] [--pcap FILE]\n"
    "                                      the records of the policy's `log` rules, decoded\n"
    "  run OBJ [--table NAME] --pcap FILE [--json]\n"
    "                                      run the program on each packet (BPF_PROG_TEST_RUN)\n"
    "  apply FILE [--dry-run]              make the attachments match a config file\n"
    "  set list|add|del|flush|load TARGET [SET] ...\n"
    "                                      the named sets of an attachment, changed in place\n"
    "\n"
    "TARGET: --xdp DEV [--mode native|generic] [--multi [--priority N]]\n"
    "      | --tc DEV ingress|egress [--before ID|--after ID] [--tc-legacy]\n"
    "      | --cgroup PATH ingress|egress\n"
    "      [--netns NAME|PATH]  (devices: resolve and attach inside that network namespace)\n"
    "\n"
    "`sluice-load COMMAND --help` for details. Exit codes: 0 ok, 1 failed, 2 usage, 3 run skipped "
    "packets.\n";

bool sl_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

static bool has_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int sl_check_privileges(bool loads, bool net_admin, bool sys_admin, const char *what)
{
	const char *missing = NULL;

	/* sluice programs subtract pointers: the verifier wants CAP_PERFMON for that. */
	if (!has_cap(CAP_BPF) && !has_cap(CAP_SYS_ADMIN))
		missing = "CAP_BPF";
	else if (loads && !has_cap(CAP_PERFMON) && !has_cap(CAP_SYS_ADMIN))
		missing = "CAP_PERFMON";
	else if (net_admin && !has_cap(CAP_NET_ADMIN))
		missing = "CAP_NET_ADMIN";
	else if (sys_admin && !has_cap(CAP_SYS_ADMIN))
		missing = "CAP_SYS_ADMIN";
	if (!missing)
		return 0;
	sl_err(-EPERM, "%s needs %s, which this process lacks", what, missing);
	sl_hint("run sluice-load as root (e.g. sudo), or grant CAP_BPF, %sCAP_NET_ADMIN%s",
		loads ? "CAP_PERFMON, " : "", sys_admin ? " and CAP_SYS_ADMIN" : "");
	return -EPERM;
}

bool sl_can_change(void)
{
	return (has_cap(CAP_BPF) || has_cap(CAP_SYS_ADMIN)) && has_cap(CAP_NET_ADMIN);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"attach", sl_cmd_attach}, {"replace", sl_cmd_replace}, {"detach", sl_cmd_detach},
	    {"list", sl_cmd_list},     {"stats", sl_cmd_stats},	    {"prune", sl_cmd_prune},
	    {"run", sl_cmd_run},       {"apply", sl_cmd_apply},	    {"log", sl_cmd_log},
	    {"set", sl_cmd_set},
	};
	int i = 1;

	while (i < argc && (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
		sl_verbose = true;
		i++;
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return SL_EXIT_USAGE;
	}
	if (sl_is_help(argv[i]) || !strcmp(argv[i], "help")) {
		fputs(usage, stdout);
		return SL_EXIT_OK;
	}
	if (!strcmp(argv[i], "--version")) {
		puts("sluice-load 0.1.0");
		return SL_EXIT_OK;
	}
	sl_libbpf_capture();
	for (size_t c = 0; c < SL_ARRAY_SIZE(cmds); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(argc - i, argv + i);
	fprintf(stderr, "sluice-load: usage error: unknown command '%s'\n\n%s", argv[i], usage);
	return SL_EXIT_USAGE;
}
