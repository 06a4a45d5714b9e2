/* SPDX-License-Identifier: GPL-2.0-only */
/* The sluice-load commands: each takes its own argv (argv[0] = command name), returns an exit code.
 */
#pragma once

#include <stdbool.h>

int sl_cmd_attach(int argc, char **argv);
int sl_cmd_replace(int argc, char **argv);
int sl_cmd_detach(int argc, char **argv);
int sl_cmd_list(int argc, char **argv);
int sl_cmd_stats(int argc, char **argv);
int sl_cmd_prune(int argc, char **argv);
int sl_cmd_run(int argc, char **argv);
int sl_cmd_apply(int argc, char **argv);
int sl_cmd_log(int argc, char **argv);
struct sl_meta;
/* cmd_log.c: the limits, meters and log losses of the attachment pinned in dir (stats). */
void sl_limits_stats(const char *dir, const struct sl_meta *m, bool json);
int sl_cmd_set(int argc, char **argv);

/* Checks the capabilities a command needs before it touches anything; prints what to do. */
int sl_check_privileges(bool loads, bool net_admin, bool sys_admin, const char *what);
/* Whether this process may change attachments (recovery), asked quietly. */
bool sl_can_change(void);
/* True when argv[i] asks for help. */
bool sl_is_help(const char *arg);

/* Calls fn for every attachment directory under the pin root (sorted); stops on error. */
int sl_walk_attachments(int (*fn)(const char *dir, void *ctx), void *ctx);

/*
 * Takes the lock on the pin root (signals but SIGKILL wait until sl_unlock)
 * and recovers what a killed sluice-load left (intent.h). Returns the lock fd.
 */
int sl_lock(bool can_change);
void sl_unlock(int *fd);
