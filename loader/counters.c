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

int sl_counters_snapshot(int old_fd, const struct sl_slot_pair *pairs, size_t npairs,
			 uint64_t **snap)
{
	int n = ncpus();
	uint64_t *s;

	if (n < 0)
		return n;
	s = calloc(npairs * n * 2 + 1, sizeof(uint64_t));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < npairs; i++) {
		if (bpf_map_lookup_elem(old_fd, &pairs[i].old_slot, s + i * n * 2)) {
			free(s);
			return -errno;
		}
	}
	*snap = s;
	return 0;
}

int sl_counters_seed(int new_fd, const struct sl_slot_pair *pairs, size_t npairs,
		     const uint64_t *snap)
{
	int n = ncpus();

	if (n < 0)
		return n;
	for (size_t i = 0; i < npairs; i++)
		if (bpf_map_update_elem(new_fd, &pairs[i].new_slot, snap + i * n * 2, BPF_ANY))
			return -errno;
	return 0;
}

int sl_counters_carry(int old_fd, int new_fd, const struct sl_slot_pair *pairs, size_t npairs,
		      uint64_t *base)
{
	int n = ncpus();
	_cleanup_free_ uint64_t *o = NULL;
	_cleanup_free_ uint64_t *v = NULL;

	if (n < 0)
		return n;
	o = calloc(n * 2, sizeof(uint64_t));
	v = calloc(n * 2, sizeof(uint64_t));
	if (!o || !v)
		return -ENOMEM;
	for (size_t i = 0; i < npairs; i++) {
		if (bpf_map_lookup_elem(old_fd, &pairs[i].old_slot, o) ||
		    bpf_map_lookup_elem(new_fd, &pairs[i].new_slot, v))
			return -errno;
		for (int c = 0; c < n * 2; c++)
			v[c] += o[c] - (base ? base[i * n * 2 + c] : 0);
		if (bpf_map_update_elem(new_fd, &pairs[i].new_slot, v, BPF_ANY))
			return -errno;
	}
	return 0;
}
