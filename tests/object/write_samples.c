// SPDX-License-Identifier: GPL-2.0-only
/* Writes the hand-built sample objects to DIR (pass.o, counter.o, all.o) for conformance tests. */
#include <stdio.h>
#include <stdlib.h>

#include "test_object_samples.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *file;
		enum sl_sample_kind kind;
	} samples[] = {
	    {"pass.o", SL_SAMPLE_PASS},
	    {"counter.o", SL_SAMPLE_COUNTER},
	    {"all.o", SL_SAMPLE_ALL},
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct sl_sample s;
		char path[4096];
		void *image;
		size_t size;
		int r;

		sl_sample_build(&s, samples[i].kind);
		sl_sample_serialize(&s, 2, &image, &size);
		sl_sample_fini(&s);
		snprintf(path, sizeof(path), "%s/%s", argv[1], samples[i].file);
		r = sl_obj_write_file_atomic(path, image, size);
		free(image);
		if (r) {
			fprintf(stderr, "%s: cannot write: %d\n", path, r);
			return 1;
		}
	}
	return 0;
}
