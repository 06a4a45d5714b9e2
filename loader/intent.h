/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash safety: the intent record. Before an operation changes the kernel it
 * pins <root>/intent, an array map whose one value says what is about to
 * happen (operation, attachment directory, target, the program ids involved)
 * and how far it got (the step). The record goes when the operation is
 * complete. The lock serialises operations, so there is at most one record.
 *
 * Whichever sluice-load runs next under the lock (any command) finds a record
 * left by a killed process and recovers: it asks the kernel what runs now and
 * completes or undoes the operation to match, never trusting the pins alone.
 * The protocol is described in loader/README.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

enum sl_op {
	SL_OP_ATTACH = 1,
	SL_OP_REPLACE = 2,
	SL_OP_DETACH = 3,
};

#define SL_INTENT_MAGIC 0x544e4c53u /* "SLNT" */
#define SL_INTENT_SIZE	8192u

struct sl_intent {
	uint32_t magic;
	uint32_t op; /* enum sl_op */
	uint32_t pid;
	uint32_t old_prog_id;	   /* replace: the program that ran before */
	uint32_t new_prog_id;	   /* attach, replace: the program being attached */
	uint32_t qdisc_existed;	   /* legacy tc attach: clsact was there before */
	uint32_t new_has_counters; /* replace: the new policy has a counter map */
	uint32_t pad;
	uint64_t started_at;
	char step[32];	    /* the last step reached, for the report */
	char dir[1024];	    /* the attachment directory */
	char staging[1024]; /* attach: where the pins are made before the rename */
	struct sl_state st; /* the target (attach: as attached; replace, detach: as found) */
	/*
	 * Appended (zeros in older records). The unit record (<root>/intent-unit)
	 * of a table that tracks connections and its companion: dir is the
	 * table's directory, staging the companion's, the ids above the table's.
	 */
	uint32_t ct_old;	 /* replace, detach: the table had a companion */
	uint32_t ct_new;	 /* attach, replace: the table has one after */
	uint32_t ct_new_prog_id; /* attach, replace: the companion being attached */
	uint32_t unit_pad;
};

_Static_assert(sizeof(struct sl_intent) <= SL_INTENT_SIZE, "intent record fits its value");

/* An operation in flight: its record and the fd of the pinned map holding it. */
struct sl_txn {
	int fd;
	struct sl_intent r;
	const char *pin;    /* the record's pin: NULL for "intent", SL_UNIT_PIN for a unit */
	const char *prefix; /* of its step names: "ct-" for a companion's, "unit-" */
};

/*
 * A table that tracks connections and its companion change as one unit: a
 * second record spans the operations on both (each with its own record as
 * usual). Recovery settles the member's record first, then the unit's.
 */
#define SL_UNIT_PIN "intent-unit"

/*
 * Brings a unit to both-or-neither, as recovery does (also for a unit that
 * failed in-process): the table decides. Attach: table attached, both stay;
 * else the companion goes. Detach: table still attached, both stay; else the
 * companion goes. Replace: the new table runs, the rest is completed (new
 * companion kept, old one detached, flows pin in place); else undone (new
 * companion detached, a replaced one swapped back). Returns what it did.
 */
const char *sl_unit_settle(const struct sl_intent *u);

/* The record as read: checks it and that its paths lie under root. 0 or -EINVAL. */
int sl_intent_decode(const void *val, size_t len, const char *root, struct sl_intent *r);

/* Pins the record; from here on a kill is recovered by the next run. */
int sl_intent_begin(struct sl_txn *t);
/*
 * Marks a step: updates the record and, for the kill test, raises SIGKILL
 * when $SLUICE_TEST_KILL_AT names this step (e.g. "switched").
 */
void sl_step(struct sl_txn *t, const char *step);
/* The same, as a callback for code that does not know about transactions. */
void sl_step_cb(void *txn, const char *step);
/* The operation is complete (or undone): the record goes. */
void sl_intent_end(struct sl_txn *t);

/*
 * Recovers an operation a killed sluice-load left (under the lock): reports
 * it on stderr and returns 0 when nothing was left or it was recovered.
 * can_change: false for readers without the privileges to change the kernel
 * (the record stays; list and stats say so).
 */
int sl_recover(bool can_change);

/* Replace, roll forward: the counts of the old program, final once the kernel switched. */
int sl_carry_finish(const char *dir);
/* Roll a replace forward: renames the new-* pins of dir over the live ones. */
int sl_replace_commit(const char *dir, bool new_has_counters, void (*step)(void *, const char *),
		      void *ctx);
