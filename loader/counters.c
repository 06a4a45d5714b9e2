// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "counters.h"
#include "util.h"

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int sl_counters_check(int fd, const char *what)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return sl_err(-errno, "%s: cannot inspect the counter map: %s", what,
			      strerror(errno));
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.key_size != 4 ||
	    info.value_size != sizeof(struct sluice_counter))
		return sl_err(-EINVAL,
			      "%s: counter map is not a per-CPU array of {packets, bytes} (type "
			      "%u, key %u, value %u bytes)",
			      what, info.type, info.key_size, info.value_size);
	return 0;
}

int sl_counters_read(int fd, uint32_t slot, struct sluice_counter *sum)
{
	int n = ncpus();
	_cleanup_free_ struct sluice_counter *v = NULL;

	if (n < 0)
		return n;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fd, &slot, v))
		return -errno;
	for (int c = 0; c < n; c++) {
		sum->packets += v[c].packets;
		sum->bytes += v[c].bytes;
	}
	return 0;
}

struct keyed_rule {
	const char *chain;
	const char *text;
	uint32_t id;
	uint32_t slot;
	uint32_t occurrence;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed_rule *x = a, *y = b;
	int c = strcmp(x->chain, y->chain);

	if (!c)
		c = strcmp(x->text, y->text);
	if (!c)
		c = x->id < y->id ? -1 : x->id > y->id;
	return c;
}

static struct keyed_rule *keyed_rules(const struct sl_meta *m, size_t *n)
{
	struct keyed_rule *k = calloc(m->hdr.nrules ? m->hdr.nrules : 1, sizeof(*k));
	size_t cnt = 0;

	if (!k)
		return NULL;
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];

		if (r->counter_slot == SLUICE_NO_COUNTER)
			continue;
		k[cnt++] =
		    (struct keyed_rule){sl_meta_str(m, r->chain_str), sl_meta_str(m, r->text_str),
					r->id, r->counter_slot, 0};
	}
	qsort(k, cnt, sizeof(*k), cmp_keyed);
	for (size_t i = 1; i < cnt; i++)
		if (!strcmp(k[i].chain, k[i - 1].chain) && !strcmp(k[i].text, k[i - 1].text))
			k[i].occurrence = k[i - 1].occurrence + 1;
	*n = cnt;
	return k;
}

static int cmp_key_occ(const struct keyed_rule *x, const struct keyed_rule *y)
{
	int c = strcmp(x->chain, y->chain);

	if (!c)
		c = strcmp(x->text, y->text);
	if (!c)
		c = x->occurrence < y->occurrence ? -1 : x->occurrence > y->occurrence;
	return c;
}

int sl_counters_match(const struct sl_meta *old_m, const struct sl_meta *new_m,
		      struct sl_slot_pair **pairs, size_t *npairs)
{
	size_t no, nn, i = 0, j = 0, cnt = 0;
	_cleanup_free_ struct keyed_rule *ko = keyed_rules(old_m, &no);
	_cleanup_free_ struct keyed_rule *kn = keyed_rules(new_m, &nn);
	struct sl_slot_pair *p;

	if (!ko || !kn)
		return -ENOMEM;
	p = calloc(no < nn ? no + 1 : nn + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	while (i < no && j < nn) {
		int c = cmp_key_occ(&ko[i], &kn[j]);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			p[cnt++] = (struct sl_slot_pair){ko[i].slot, kn[j].slot};
			i++;
			j++;
		}
	}
	*pairs = p;
	*npairs = cnt;
	return 0;
}

static int carried_read(int fd, uint32_t slot, struct sluice_counter *c)
{
	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return 0;
	/* A slot the old map did not have counted nothing. */
	return bpf_map_lookup_elem(fd, &slot, c) && errno != ENOENT ? -errno : 0;
}

int sl_carried_build(int old_counters_fd, int old_carried_fd, const struct sl_slot_pair *pairs,
		     size_t npairs, uint32_t nslots)
{
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_carried", sizeof(uint32_t),
			    sizeof(struct sluice_counter), nslots ? nslots : 1, NULL);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < npairs && !err; i++) {
		struct sluice_counter live = {}, old, sum;

		if (pairs[i].new_slot >= nslots)
			continue;
		err = carried_read(old_carried_fd, pairs[i].old_slot, &old);
		if (!err && old_counters_fd >= 0)
			err = sl_counters_read(old_counters_fd, pairs[i].old_slot, &live);
		sum.packets = old.packets + live.packets;
		sum.bytes = old.bytes + live.bytes;
		if (!err && bpf_map_update_elem(fd, &pairs[i].new_slot, &sum, BPF_ANY))
			err = -errno;
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int sl_counters_total(int fd, int carried_fd, uint32_t slot, struct sluice_counter *sum)
{
	struct sluice_counter c;
	int err = sl_counters_read(fd, slot, sum);

	if (!err)
		err = carried_read(carried_fd, slot, &c);
	if (err)
		return err;
	sum->packets += c.packets;
	sum->bytes += c.bytes;
	return 0;
}
