// SPDX-License-Identifier: GPL-2.0-only
/*
 * Named sets in tests: each set's outer map gets, in slot 0, an inner map
 * this file creates and fills, as sluice/abi.h says a loader does (the same
 * type, key size, value size, capacity and flags as the object's template).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emit/bpf_object.h"
#include "ir/ir.h"
#include "kern.h"

int sl_kern_sets_raw(struct sl_kern_prog *p, const struct sl_bpf_object *obj, const int *fds)
{
	if (obj->nsets > SL_KERN_MAX_SETS)
		return -E2BIG;
	for (uint32_t i = 0; i < obj->nsets; i++) {
		const struct sl_bpf_map *inner = obj->maps[obj->set_maps[i]].inner;

		if (!inner)
			return -EINVAL;
		p->sets[i] =
		    (struct sl_kern_set){fds[obj->set_maps[i]], inner->type, inner->key_size,
					 inner->max_entries, inner->flags};
	}
	p->nsets = obj->nsets;
	return 0;
}

/*
 * The object's map-in-maps are its sets, in declaration order (codegen adds them so).
 * Before the load: the inner templates' shapes (libbpf drops the templates once the
 * outer maps exist); after it: the outer maps' fds.
 */
int sl_kern_sets_elf(struct sl_kern_prog *p, struct bpf_object *obj, bool loaded)
{
	struct bpf_map *m;
	unsigned n = 0;

	bpf_object__for_each_map(m, obj)
	{
		struct bpf_map *inner;

		if (bpf_map__type(m) != BPF_MAP_TYPE_ARRAY_OF_MAPS)
			continue;
		if (n == SL_KERN_MAX_SETS)
			return -E2BIG;
		if (loaded) {
			p->sets[n++].outer_fd = bpf_map__fd(m);
			continue;
		}
		inner = bpf_map__inner_map(m);
		if (!inner)
			return -EINVAL;
		p->sets[n++] =
		    (struct sl_kern_set){-1, bpf_map__type(inner), bpf_map__key_size(inner),
					 bpf_map__max_entries(inner), bpf_map__map_flags(inner)};
	}
	p->nsets = n;
	return 0;
}

int sl_kern_set_fill(struct sl_kern_prog *p, uint32_t set, const uint8_t *keys, uint32_t nkeys,
		     const uint64_t *expires_ns)
{
	const struct sl_kern_set *s;
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	uint32_t zero = 0;
	int fd, err = 0;

	if (set >= p->nsets)
		return -EINVAL;
	s = &p->sets[set];
	opts.map_flags = s->flags;
	fd = bpf_map_create(s->type, "sluice_set_in", s->key_size, sizeof(struct sluice_set_value),
			    s->max_entries, &opts);
	if (fd < 0) {
		err = -errno;
		fprintf(
		    stderr,
		    "set %u: creating an inner map (type %u, key %u, %u entries, flags %#x): %s\n",
		    set, s->type, s->key_size, s->max_entries, s->flags, strerror(-err));
		return err;
	}
	for (uint32_t i = 0; i < nkeys && !err; i++) {
		struct sluice_set_value v = {expires_ns ? expires_ns[i] : 0};

		if (bpf_map_update_elem(fd, keys + (size_t)i * s->key_size, &v, BPF_ANY)) {
			err = -errno;
			fprintf(stderr, "set %u: adding key %u: %s\n", set, i, strerror(-err));
		}
	}
	if (!err && bpf_map_update_elem(s->outer_fd, &zero, &fd, BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "set %u: storing the inner map in slot 0 (outer fd %d): %s\n", set,
			s->outer_fd, strerror(-err));
	}
	close(fd); /* the outer map holds it now */
	return err;
}

int sl_kern_set_unplug(struct sl_kern_prog *p, uint32_t set)
{
	uint32_t zero = 0;

	if (set >= p->nsets)
		return -EINVAL;
	if (bpf_map_delete_elem(p->sets[set].outer_fd, &zero) && errno != ENOENT)
		return -errno;
	return 0;
}

int sl_kern_sets_fill_ir(struct sl_kern_prog *p, const struct sl_ir *ir)
{
	if (ir->nsets != p->nsets)
		return -EINVAL;
	for (uint32_t i = 0; i < ir->nsets; i++) {
		const struct sl_ir_set *s = &ir->sets[i];
		int err;

		if (s->key_size != p->sets[i].key_size || s->capacity != p->sets[i].max_entries) {
			fprintf(stderr,
				"set %u: the object's inner map has key %u, %u entries; the policy "
				"says %u, %u\n",
				i, p->sets[i].key_size, p->sets[i].max_entries, s->key_size,
				s->capacity);
			return -EINVAL;
		}
		err = sl_kern_set_fill(p, i, s->keys, s->nkeys, NULL);
		if (err)
			return err;
	}
	return 0;
}
