// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the set element parser (abi/set_text.c) on arbitrary lines.
 * The first byte picks the set's shape; what parses must give keys that
 * decode, format back to text, and parse again to the same keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/set_text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint32_t n, flags, t[4];
} shapes[] = {
    {1, 0, {SLUICE_SET_T_IPV4_ADDR}},
    {1, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_IPV4_ADDR}},
    {1, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_IPV6_ADDR}},
    {1, 0, {SLUICE_SET_T_ETHER_ADDR}},
    {1, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_INET_PROTO}},
    {1, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_INET_SERVICE}},
    {1, 0, {SLUICE_SET_T_IPV6_ADDR}},
    {2, 0, {SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE}},
    {2, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_INET_SERVICE, SLUICE_SET_T_IPV4_ADDR}},
    {3,
     SLUICE_SET_F_INTERVAL,
     {SLUICE_SET_T_IPV6_ADDR, SLUICE_SET_T_INET_PROTO, SLUICE_SET_T_INET_SERVICE}},
    {1, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_ETHER_ADDR}},
    {2, SLUICE_SET_F_INTERVAL, {SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_SERVICE}},
    {4,
     0,
     {SLUICE_SET_T_ETHER_ADDR, SLUICE_SET_T_IPV4_ADDR, SLUICE_SET_T_INET_PROTO,
      SLUICE_SET_T_INET_SERVICE}},
};

struct keys {
	uint32_t ks;
	size_t n;
	uint8_t k[SL_SET_MAX_KEYS_PER_ELEM * SLUICE_SET_MAX_KEY];
};

static int collect(const uint8_t *key, void *ctx)
{
	struct keys *k = ctx;

	if (k->n == SL_SET_MAX_KEYS_PER_ELEM)
		abort();
	memcpy(k->k + k->n++ * k->ks, key, k->ks);
	return 0;
}

static struct keys k1, k2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_set_desc s;
	struct sl_set_elem e, d;
	char why[200], text[512];
	const char *w;
	uint64_t timeout;
	size_t len, i;

	if (!size)
		return 0;
	i = data[0] % (sizeof(shapes) / sizeof(shapes[0]));
	if (sl_set_desc_init(&s, shapes[i].t, shapes[i].n, shapes[i].flags, &w))
		abort();
	k1 = (struct keys){.ks = s.key_size};
	k2 = (struct keys){.ks = s.key_size};
	if (sl_set_text_parse(&s, (const char *)data + 1, size - 1, &e, &timeout, why, sizeof(why)))
		return 0;
	len = sl_set_text_format(&s, &e, text, sizeof(text));
	if (len >= sizeof(text) - 1)
		abort();
	/* What the parser accepts, the encoder accepts. */
	if (sl_set_elem_keys(&s, &e, collect, &k1, &w))
		abort();
	/* The text written back parses to the same keys. */
	if (sl_set_text_parse(&s, text, len, &d, &timeout, why, sizeof(why)) ||
	    sl_set_elem_keys(&s, &d, collect, &k2, &w) || k1.n != k2.n ||
	    memcmp(k1.k, k2.k, k1.n * k1.ks))
		abort();
	/* Every key decodes, and formats to an element that gives that key alone. */
	for (size_t j = 0; j < k1.n; j++) {
		if (sl_set_key_decode(&s, k1.k + j * k1.ks, &d, &w))
			abort();
		len = sl_set_text_format(&s, &d, text, sizeof(text));
		k2.n = 0;
		if (sl_set_text_parse(&s, text, len, &e, &timeout, why, sizeof(why)) ||
		    sl_set_elem_keys(&s, &e, collect, &k2, &w) || k2.n != 1 ||
		    memcmp(k2.k, k1.k + j * k1.ks, k1.ks))
			abort();
	}
	return 0;
}
