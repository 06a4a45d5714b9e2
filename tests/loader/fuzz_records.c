// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the records sluice-load reads back from bpffs, which any
 * process with CAP_BPF could have written: the state record (entry 0, then
 * the stored metadata in the following chunks) and the intent record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "meta.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *chunk0 = calloc(1, SL_STATE_CHUNK);
	uint8_t *ival = calloc(1, SL_INTENT_SIZE);
	uint32_t nchunks = 1 + (size > SL_STATE_CHUNK
				    ? (size - SL_STATE_CHUNK + SL_STATE_CHUNK - 1) / SL_STATE_CHUNK
				    : 0);
	struct sl_state st;
	struct sl_intent r;
	struct sl_meta *m = NULL;
	char why[160];

	if (!chunk0 || !ival)
		goto out;
	memcpy(chunk0, data, size < SL_STATE_CHUNK ? size : SL_STATE_CHUNK);
	memcpy(ival, data, size < SL_INTENT_SIZE ? size : SL_INTENT_SIZE);
	if (!sl_state_decode(chunk0, SL_STATE_CHUNK, nchunks, &st)) {
		size_t rest = size > SL_STATE_CHUNK ? size - SL_STATE_CHUNK : 0;

		if (strlen(st.ifname) >= sizeof(st.ifname) || strlen(st.table) >= sizeof(st.table))
			abort();
		/* sl_state_read hands exactly meta_size bytes of the chunks to the parser. */
		if (st.meta_size <= rest &&
		    !sl_meta_parse(data + SL_STATE_CHUNK, st.meta_size, &m, why, sizeof(why)))
			sl_meta_free(m);
	}
	if (!sl_intent_decode(ival, SL_INTENT_SIZE, "/sys/fs/bpf/sluice", &r) &&
	    (strncmp(r.dir, "/sys/fs/bpf/sluice/", 19) || strstr(r.dir, "/..")))
		abort(); /* recovery would remove pins outside the root */
out:
	free(chunk0);
	free(ival);
	return 0;
}
