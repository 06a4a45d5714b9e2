/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * attach, replace and detach as steps, for apply (cmd_apply.c): the caller
 * holds the lock (sl_lock) over all of them; each step keeps the crash safety
 * and rollback of its command (intent.h).
 */
#pragma once

#include "obj.h"
#include "target.h"

struct attach_args {
	const char *obj;
	const char *table;
	struct sl_target t;
	const char *config; /* apply's config (absolute path), recorded by attach; NULL by hand */
};

/* Everything that can be checked without changing the system (object, hook, kernel, target). */
int sl_attach_prepare(struct attach_args *a, struct sl_obj **o);
/* Under the lock, with o loaded: attach, replace (the attachment at a->t) and detach. */
int sl_attach_locked(struct attach_args *a, struct sl_obj *o);
int sl_replace_locked(struct attach_args *a, struct sl_obj *o);
int sl_detach_locked(const struct sl_target *t);
