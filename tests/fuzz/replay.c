// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs the fuzz target over files and directories of inputs, without
 * libFuzzer: the seed corpus becomes a regression test in every build
 * (and a leak/UB test in the sanitizer build).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned *count)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t size = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (size + 65536 > cap) {
			cap = (size + 65536) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + size, 1, 65536, f);
		size += got;
	} while (got);
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, size);
	free(buf);
	(*count)++;
	return 0;
}

static int run_path(const char *path, unsigned *count)
{
	struct stat st;
	struct dirent **names;
	int n, r = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			r |= run_path(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int r = 0;

	for (int i = 1; i < argc; i++)
		r |= run_path(argv[i], &count);
	printf("replayed %u inputs\n", count);
	return r || count == 0;
}
