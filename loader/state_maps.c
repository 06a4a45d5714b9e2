// SPDX-License-Identifier: GPL-2.0-only
/* Pins of the limit, meter and log maps (state_maps.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/log.h>

#include "obj.h"
#include "state_maps.h"
#include "util.h"

/* The pin name of a state map of the object, or NULL when it is not one. */
static const char *pin_name(const char *map, char *buf, size_t size)
{
	unsigned id;
	int n = 0;

	if (!strcmp(map, SLUICE_LIMIT_MAP))
		return "limits";
	if (!strcmp(map, SLUICE_LOG_MAP))
		return "log";
	if (!strcmp(map, SLUICE_LOG_LOST_MAP))
		return "log-lost";
	if (sscanf(map, SLUICE_METER_MAP_FMT "%n", &id, &n) == 1 && !map[n]) {
		snprintf(buf, size, "meter-%u", id);
		return buf;
	}
	return NULL;
}

static bool state_pin(const char *name)
{
	return !strcmp(name, "limits") || !strcmp(name, "log") || !strcmp(name, "log-lost") ||
	       !strncmp(name, "meter-", 6);
}

int sl_state_maps_pin(const struct sl_obj *o, const char *dir, const char *prefix)
{
	struct bpf_map *m;
	char buf[32], path[PATH_MAX];

	bpf_object__for_each_map(m, o->obj)
	{
		const char *name = pin_name(bpf_map__name(m), buf, sizeof(buf));

		if (!name)
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, prefix, name);
		if (bpf_obj_pin(bpf_map__fd(m), path))
			return sl_err(-errno, "cannot pin %s: %s", path, strerror(errno));
	}
	return 0;
}

static void each_pin(const char *dir, void (*fn)(const char *dir, const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	/* names first: fn renames and unlinks in the directory being read */
	while (d && (de = readdir(d))) {
		char **p = realloc(names, (n + 1) * sizeof(*names));

		if (!p)
			break;
		names = p;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		fn(dir, names[i]);
		free(names[i]);
	}
	free(names);
}

static void rename_new(const char *dir, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (!strncmp(name, "new-", 4) && state_pin(name + 4)) {
		snprintf(from, sizeof(from), "%s/%s", dir, name);
		snprintf(to, sizeof(to), "%s/%s", dir, name + 4);
		if (rename(from, to))
			sl_warn("cannot rename pin %s: %s", from, strerror(errno));
	}
}

static void drop_unreplaced(const char *dir, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (state_pin(name)) {
		snprintf(from, sizeof(from), "%s/new-%s", dir, name);
		if (access(from, F_OK)) { /* the new object has no such map */
			snprintf(to, sizeof(to), "%s/%s", dir, name);
			unlink(to);
		}
	}
}

static void drop_one(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (!strncmp(name, "new-", 4) && state_pin(name + 4)) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		unlink(path);
	}
}

void sl_state_maps_commit(const char *dir)
{
	/* first drop the old pins the new object does not replace, then rename */
	each_pin(dir, drop_unreplaced);
	each_pin(dir, rename_new);
}

void sl_state_maps_drop_new(const char *dir)
{
	each_pin(dir, drop_one);
}
