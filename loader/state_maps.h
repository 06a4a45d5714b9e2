/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps of limits, meters and logs (sluice/log.h), pinned with the
 * attachment next to its counters: "limits", "meter-<rule id>", "log",
 * "log-lost". Attach pins them in its staging directory (renamed into place
 * with the rest); replace pins the new object's as new-* and its commit
 * renames them over the old ones (intent.c), dropping those the new object
 * does not have.
 */
#pragma once

struct sl_obj;

/* Pin the object's state maps in dir as PREFIX+name. 0 or -errno (reported). */
int sl_state_maps_pin(const struct sl_obj *o, const char *dir, const char *prefix);
/* Replace's commit: new-X over X; X without a new-X goes. */
void sl_state_maps_commit(const char *dir);
/* Drop the new-* state map pins of a replace that did not happen. */
void sl_state_maps_drop_new(const char *dir);
