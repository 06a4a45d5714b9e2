/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ClassBench rule sets and traces as decision-tree problems, for the
 * classifier's tests: dimensions src ip, dst ip, src port, dst port, protocol.
 */
#pragma once

#include <stdint.h>

#include "select/dtree.h"

enum { CB_SIP, CB_DIP, CB_SPORT, CB_DPORT, CB_PROTO, CB_NDIMS };

struct cb_set {
	struct sl_dt_problem prob;
	uint64_t *lo, *hi;
	uint32_t *need;
	uint32_t nrules;
};

struct cb_trace {
	uint64_t (*value)[CB_NDIMS];
	uint32_t n;
};

/* Directory of the rule sets: $SLUICE_SHARED_DIR/classbench, else the build's SLUICE_SHARED_DIR;
 * NULL if absent. */
const char *cb_dir(void);
/* Load `<dir>/<name>`; returns 0 or -errno. */
int cb_load_set(const char *name, struct cb_set *set);
/* Load `<dir>/<name>_trace` when it exists, else make `n` headers from the rules
 * (a random rule, a random corner of its box), as the README says. */
int cb_load_trace(const char *name, const struct cb_set *set, uint32_t n, uint32_t seed,
		  struct cb_trace *trace);
void cb_set_fini(struct cb_set *set);
void cb_trace_fini(struct cb_trace *trace);
