// SPDX-License-Identifier: GPL-2.0-only
/* Decoding the records sluice-load keeps in bpffs: pure, so that they can be fuzzed. */
#include <errno.h>
#include <string.h>

#include "intent.h"
#include "state.h"

static void terminate(struct sl_state *st)
{
	st->ifname[sizeof(st->ifname) - 1] = st->netns[sizeof(st->netns) - 1] = '\0';
	st->cgroup[sizeof(st->cgroup) - 1] = st->object[sizeof(st->object) - 1] = '\0';
	st->table[sizeof(st->table) - 1] = '\0';
}

int sl_state_decode(const void *chunk0, size_t len, uint32_t nchunks, struct sl_state *st)
{
	if (len < sizeof(*st) || nchunks < 1)
		return -EINVAL;
	memcpy(st, chunk0, sizeof(*st));
	if (st->magic != SL_STATE_MAGIC || st->version != SL_STATE_VERSION)
		return -EPROTO;
	terminate(st);
	if (st->hook > SLUICE_HOOK_CGROUP_EGRESS || st->attach > SL_ATTACH_XDP_MULTI ||
	    (uint64_t)st->meta_size > (uint64_t)(nchunks - 1) * SL_STATE_CHUNK)
		return -EINVAL;
	return 0;
}

int sl_intent_decode(const void *val, size_t len, const char *root, struct sl_intent *r)
{
	size_t rootlen = strlen(root);

	if (len < sizeof(*r))
		return -EINVAL;
	memcpy(r, val, sizeof(*r));
	r->dir[sizeof(r->dir) - 1] = r->staging[sizeof(r->staging) - 1] = '\0';
	r->step[sizeof(r->step) - 1] = '\0';
	terminate(&r->st);
	if (r->magic != SL_INTENT_MAGIC || r->op < SL_OP_ATTACH || r->op > SL_OP_DETACH)
		return -EINVAL;
	/* Recovery removes what these name: they must lie under the root, and not climb out. */
	if (strncmp(r->dir, root, rootlen) || r->dir[rootlen] != '/' || strstr(r->dir, "/.."))
		return -EINVAL;
	if (r->staging[0] && (strncmp(r->staging, root, rootlen) || r->staging[rootlen] != '/' ||
			      strstr(r->staging, "/..")))
		return -EINVAL;
	if (r->st.hook > SLUICE_HOOK_CGROUP_EGRESS || r->st.attach > SL_ATTACH_XDP_MULTI)
		return -EINVAL;
	return 0;
}
