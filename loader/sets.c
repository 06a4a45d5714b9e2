// SPDX-License-Identifier: GPL-2.0-only
/* Named sets in the kernel: inner maps, slot 0, pins (sets.h). */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sluice/set_text.h>

#include "obj.h"
#include "sets.h"
#include "state.h"
#include "util.h"

uint64_t sl_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int sl_set_at(const struct sl_meta *m, uint32_t i, struct sl_set *out)
{
	const char *why = "";

	out->m = m;
	out->rec = &m->sets[i];
	out->name = sl_meta_str(m, out->rec->name_str);
	/* As for the object's own maps (obj.c): no damaged size has the kernel allocate gigabytes.
	 */
	if ((uint64_t)out->rec->size * (out->rec->key_size + sizeof(struct sluice_set_value)) >
	    (256ull << 20))
		why = "its size would take more than 256 MiB of kernel memory";
	else if (!out->rec->size)
		why = "its size is 0";
	else if (!sl_set_desc_from_meta(&out->d, out->rec, &why))
		return 0;
	sl_err(-EINVAL, "set '%s': %s", out->name, why);
	sl_hint("the object is damaged or from another sluice; rebuild it with `sluice build`");
	return -EINVAL;
}

int sl_set_find(const struct sl_meta *m, const char *name, struct sl_set *out)
{
	const struct sluice_meta_set *s = sl_meta_set_find(m, name);

	if (s)
		return sl_set_at(m, s - m->sets, out);
	sl_err(-ENOENT, "the attached policy has no set '%s'", name);
	if (!m->hdr.nsets) {
		sl_hint("it declares no named sets (`set NAME { type ...; }` in the policy)");
	} else {
		char list[512];
		size_t o = 0;

		list[0] = '\0';
		for (uint32_t i = 0; i < m->hdr.nsets && o < sizeof(list); i++)
			o += snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      sl_meta_str(m, m->sets[i].name_str));
		sl_hint("its sets are: %s (`sluice-load set list TARGET` shows them)", list);
	}
	return -ENOENT;
}

int sl_set_inner_create(const struct sl_set *s)
{
	bool lpm = s->d.flags & SLUICE_SET_F_INTERVAL;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = lpm ? BPF_F_NO_PREALLOC : 0);
	char name[16];
	int fd;

	/* The outer map is sls_<name>; its inner maps sli_<name>, for bpftool. */
	snprintf(name, sizeof(name), "sli_%s", sl_meta_str(s->m, s->rec->map_str) + 4);
	fd = bpf_map_create(lpm ? BPF_MAP_TYPE_LPM_TRIE : BPF_MAP_TYPE_HASH, name, s->d.key_size,
			    sizeof(struct sluice_set_value), s->rec->size, &opts);
	if (fd < 0)
		return sl_err(-errno, "cannot create the map of set '%s' (%u elements): %s",
			      s->name, s->rec->size, strerror(errno));
	return fd;
}

int sl_set_fill_policy(const struct sl_set *s, int fd)
{
	uint64_t now = sl_mono_ns();

	for (uint32_t i = 0; i < s->rec->nelems; i++) {
		struct sluice_set_value v;
		const uint8_t *key = sl_meta_set_key(s->m, s->rec, i, &v);

		/*
		 * The object cannot know when it is loaded: a policy element's value holds
		 * its timeout (0: the set's default), made a deadline here.
		 */
		if (s->d.flags & SLUICE_SET_F_TIMEOUT) {
			uint64_t t = v.expires_ns ? v.expires_ns : s->rec->timeout_ns;

			v.expires_ns = t ? now + t : 0;
		} else {
			v.expires_ns = 0;
		}
		if (bpf_map_update_elem(fd, key, &v, BPF_ANY))
			return sl_err(-errno, "cannot add the policy's elements to set '%s': %s",
				      s->name, strerror(errno));
	}
	return 0;
}

int sl_set_slot_get(int outer_fd)
{
	uint32_t key = 0, id = 0;
	int fd;

	if (bpf_map_lookup_elem(outer_fd, &key, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

int sl_set_slot_put(int outer_fd, int inner_fd)
{
	uint32_t key = 0;

	return bpf_map_update_elem(outer_fd, &key, &inner_fd, BPF_ANY) ? -errno : 0;
}

int sl_set_each(int fd, uint32_t ks,
		int (*fn)(int fd, const uint8_t *k, const struct sluice_set_value *v, void *ctx),
		void *ctx)
{
	uint8_t cur[SLUICE_SET_MAX_KEY], next[SLUICE_SET_MAX_KEY];
	struct sluice_set_value v;
	bool first = true;
	int err;

	for (;;) {
		if (bpf_map_get_next_key(fd, first ? NULL : cur, next))
			return errno == ENOENT ? 0 : -errno;
		first = false;
		memcpy(cur, next, ks);
		if (bpf_map_lookup_elem(fd, cur, &v))
			continue; /* deleted meanwhile */
		err = fn(fd, cur, &v, ctx);
		if (err)
			return err;
	}
}

static int count_cb(int fd, const uint8_t *k, const struct sluice_set_value *v, void *ctx)
{
	(void)fd, (void)k, (void)v;
	(*(int *)ctx)++;
	return 0;
}

int sl_set_count(int fd, uint32_t key_size)
{
	int n = 0, err = sl_set_each(fd, key_size, count_cb, &n);

	return err ? err : n;
}

struct expire_ctx {
	uint64_t now;
	uint32_t ks;
	uint8_t *keys;
	size_t n, cap;
};

static int expire_cb(int fd, const uint8_t *k, const struct sluice_set_value *v, void *ctx)
{
	struct expire_ctx *c = ctx;

	(void)fd;
	if (!v->expires_ns || v->expires_ns > c->now)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		uint8_t *p = realloc(c->keys, cap * c->ks);

		if (!p)
			return -ENOMEM;
		c->keys = p;
		c->cap = cap;
	}
	memcpy(c->keys + c->n++ * c->ks, k, c->ks);
	return 0;
}

int sl_set_expire(int fd, uint32_t key_size)
{
	struct expire_ctx c = {.now = sl_mono_ns(), .ks = key_size};
	int err = sl_set_each(fd, key_size, expire_cb, &c), n = 0;

	/* Deleting while walking would restart a hash walk: collect first. */
	for (size_t i = 0; !err && i < c.n; i++)
		if (!bpf_map_delete_elem(fd, c.keys + i * key_size))
			n++;
	free(c.keys);
	return err ? err : n;
}

struct copy_ctx {
	int to;
	uint32_t ks;
	uint8_t *skip; /* sorted keys not to copy */
	size_t nskip;
};

static uint32_t cmp_ks;

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, cmp_ks);
}

static int copy_cb(int fd, const uint8_t *k, const struct sluice_set_value *v, void *ctx)
{
	struct copy_ctx *c = ctx;

	(void)fd;
	cmp_ks = c->ks;
	if (c->nskip && bsearch(k, c->skip, c->nskip, c->ks, cmp_key))
		return 0;
	return bpf_map_update_elem(c->to, k, v, BPF_ANY) ? -errno : 0;
}

int sl_set_copy(int from, int to, uint32_t key_size, const struct sl_set *skip_policy)
{
	struct copy_ctx c = {to, key_size, NULL, 0};
	int err;

	/* The policy's keys sorted, so that a large set is copied in O(n log n). */
	if (skip_policy && skip_policy->rec->nelems) {
		c.nskip = skip_policy->rec->nelems;
		c.skip = malloc(c.nskip * key_size);
		if (!c.skip)
			return -ENOMEM;
		for (size_t i = 0; i < c.nskip; i++)
			memcpy(c.skip + i * key_size,
			       sl_meta_set_key(skip_policy->m, skip_policy->rec, i, NULL),
			       key_size);
		cmp_ks = key_size;
		qsort(c.skip, c.nskip, key_size, cmp_key);
	}
	err = sl_set_each(from, key_size, copy_cb, &c);
	free(c.skip);
	return err;
}

struct load_ctx {
	const struct sl_set *s;
	int fd;
	uint64_t expires;
	int err;
};

static int load_key(const uint8_t *key, void *ctx)
{
	struct load_ctx *c = ctx;
	struct sluice_set_value v = {c->expires};

	if (!bpf_map_update_elem(c->fd, key, &v, BPF_ANY))
		return 0;
	c->err = -errno;
	return c->err;
}

/* The expiry of an element given now: its timeout, else the set's default. */
static int element_expiry(const struct sl_set *s, uint64_t timeout, uint64_t now, uint64_t *exp)
{
	if (timeout && !(s->d.flags & SLUICE_SET_F_TIMEOUT))
		return -EINVAL;
	if (!timeout)
		timeout = s->rec->timeout_ns;
	*exp = timeout ? now + timeout : 0;
	return 0;
}

int sl_set_load_file(const struct sl_set *s, const char *path, uint32_t *count)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_close_ int fd = -1;
	size_t size, line = 0;
	uint64_t now = sl_mono_ns();
	char why[256];
	int err;

	*count = 0;
	err = sl_read_file(path, &data, &size);
	if (err) {
		sl_err(err, "cannot read '%s': %s", path, strerror(-err));
		sl_hint("give a file of elements, one a line");
		return err;
	}
	fd = sl_set_inner_create(s);
	if (fd < 0)
		return fd;
	for (size_t b = 0; b < size;) {
		const char *p = data + b, *nl = memchr(p, '\n', size - b);
		size_t len = nl ? (size_t)(nl - p) : size - b;
		struct sl_set_elem e;
		struct load_ctx c = {s, fd, 0, 0};
		uint64_t timeout;
		int r;

		b += len + 1;
		line++;
		r = sl_set_text_parse(&s->d, p, len, &e, &timeout, why, sizeof(why));
		if (r == 1)
			continue;
		if (!r && element_expiry(s, timeout, now, &c.expires))
			r = -EINVAL,
			snprintf(why, sizeof(why), "a timeout, but set '%s' has no `flags timeout`",
				 s->name);
		if (r) {
			sl_err(r, "%s:%zu: %s", path, line, why);
			sl_hint("fix the line; set '%s' is unchanged", s->name);
			return r;
		}
		r = sl_set_elem_keys(&s->d, &e, load_key, &c, NULL);
		if (r == -E2BIG || r == -ENOSPC || r == -ENOMEM) {
			sl_err(r,
			       "%s:%zu: set '%s' is full: it holds at most %u elements (map keys)",
			       path, line, s->name, s->rec->size);
			sl_hint("raise `size` of the set in the policy and `replace`; set '%s' is "
				"unchanged",
				s->name);
			return r;
		}
		if (r) {
			sl_err(r, "%s:%zu: cannot add the element to set '%s': %s", path, line,
			       s->name, strerror(-r));
			return r;
		}
		(*count)++;
	}
	err = fd;
	fd = -1;
	return err;
}

/* The outer map of set s in the object; prints when it is missing. */
static struct bpf_map *outer_of(struct sl_obj *o, const struct sl_set *s)
{
	const char *mn = sl_meta_str(o->meta, s->rec->map_str);
	struct bpf_map *m = bpf_object__find_map_by_name(o->obj, mn);

	if (m && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY_OF_MAPS && bpf_map__max_entries(m) == 1)
		return m;
	sl_err(-EINVAL, "'%s': set '%s' has no one-slot map-in-map '%s'", o->path, s->name, mn);
	sl_hint("the object does not follow include/sluice/abi.h: rebuild it with a matching "
		"sluice");
	return NULL;
}

static int same_shape(const struct sl_set *a, const struct sl_set *b)
{
	return a->d.nfields == b->d.nfields && a->d.flags == b->d.flags &&
	       !memcmp(a->d.types, b->d.types, sizeof(a->d.types));
}

/* Replace: the old set's run-time elements (not its policy's) into the new inner map. */
static int carry(const struct sl_set *s, int inner, const char *old_dir,
		 const struct sl_meta *old_m)
{
	const struct sluice_meta_set *orec = sl_meta_set_find(old_m, s->name);
	_cleanup_close_ int outer = -1, old_inner = -1;
	struct sl_set old;
	char sub[PATH_MAX];
	int err;

	if (!orec || sl_set_at(old_m, orec - old_m->sets, &old))
		return 0;
	if (!same_shape(&old, s)) {
		sl_warn("set '%s' changed its type or flags: its run-time elements are dropped",
			s->name);
		return 0;
	}
	snprintf(sub, sizeof(sub), "%s/sets", old_dir);
	outer = sl_pin_open(sub, s->name);
	if (outer < 0)
		return 0; /* an older attachment without the pin: nothing to carry */
	old_inner = sl_set_slot_get(outer);
	if (old_inner < 0)
		return 0;
	if (s->d.flags & SLUICE_SET_F_TIMEOUT)
		sl_set_expire(old_inner, s->d.key_size);
	err = sl_set_copy(old_inner, inner, s->d.key_size, &old);
	if (err == -E2BIG || err == -ENOSPC || err == -ENOMEM) {
		sl_err(err,
		       "set '%s' is full: its run-time elements and the new policy's do not fit "
		       "its size of %u",
		       s->name, s->rec->size);
		sl_hint("raise `size` of the set in the new policy, or delete elements first "
			"(`sluice-load set del`); nothing was replaced");
	} else if (err) {
		sl_err(err, "cannot carry the elements of set '%s': %s", s->name, strerror(-err));
	}
	return err;
}

int sl_sets_setup(struct sl_obj *o, const char *old_dir, const struct sl_meta *old_m)
{
	for (uint32_t i = 0; i < o->meta->hdr.nsets; i++) {
		_cleanup_close_ int inner = -1;
		struct bpf_map *outer;
		struct sl_set s;
		int err = sl_set_at(o->meta, i, &s);

		if (err)
			return err;
		outer = outer_of(o, &s);
		if (!outer)
			return -EINVAL;
		inner = sl_set_inner_create(&s);
		if (inner < 0)
			return inner;
		err = sl_set_fill_policy(&s, inner);
		if (!err && old_dir)
			err = carry(&s, inner, old_dir, old_m);
		if (err)
			return err;
		err = sl_set_slot_put(bpf_map__fd(outer), inner);
		if (err)
			return sl_err(err, "cannot store the map of set '%s' in '%s': %s", s.name,
				      bpf_map__name(outer), strerror(-err));
	}
	return 0;
}

int sl_sets_pin(struct sl_obj *o, const char *dir, const char *sub)
{
	char path[PATH_MAX];

	if (!o->meta->hdr.nsets)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0700) && errno != EEXIST)
		return sl_err(-errno, "cannot create %s: %s", path, strerror(errno));
	for (uint32_t i = 0; i < o->meta->hdr.nsets; i++) {
		struct sl_set s;
		struct bpf_map *outer;

		if (sl_set_at(o->meta, i, &s) || !(outer = outer_of(o, &s)))
			return -EINVAL;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, s.name);
		unlink(path);
		if (bpf_obj_pin(bpf_map__fd(outer), path))
			return sl_err(-errno, "cannot pin %s: %s", path, strerror(errno));
	}
	return 0;
}

void sl_sets_remove(const char *dir, const char *sub)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char pin[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", path, de->d_name);
		if (unlink(pin) && errno != ENOENT)
			sl_warn("cannot remove pin %s: %s", pin, strerror(errno));
	}
	if (d)
		closedir(d);
	if (rmdir(path) && errno != ENOENT)
		sl_warn("cannot remove %s: %s", path, strerror(errno));
}

int sl_sets_commit(const char *dir)
{
	_cleanup_meta_ struct sl_meta *m = NULL;
	char from[PATH_MAX], to[PATH_MAX];
	struct sl_state st;
	struct stat sb;

	snprintf(from, sizeof(from), "%s/new-sets", dir);
	snprintf(to, sizeof(to), "%s/sets", dir);
	if (!stat(from, &sb)) {
		sl_sets_remove(dir, "sets");
		if (rename(from, to))
			return sl_err(-errno, "cannot move %s to %s: %s", from, to,
				      strerror(errno));
		return 0;
	}
	/*
	 * No new-sets: either this ran already (sets/ holds the new pins) or the
	 * new policy has no sets; the record, renamed first, says which.
	 */
	if (!sl_state_read(dir, &st, &m) && !m->hdr.nsets)
		sl_sets_remove(dir, "sets");
	return 0;
}
