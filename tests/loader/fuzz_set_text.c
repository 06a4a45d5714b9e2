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

static const struct sl_set_shape shapes[] = {
    {1, {SL_SETF_IPV4}, false, 0},
    {1, {SL_SETF_IPV4}, true, 0},
    {1, {SL_SETF_IPV6}, true, 0},
    {1, {SL_SETF_ETHER}, false, 0},
    {1, {SL_SETF_PROTO}, true, 0},
    {1, {SL_SETF_SERVICE}, true, 0},
    {1, {SL_SETF_IPV6}, false, 0},
    {2, {SL_SETF_IPV4, SL_SETF_SERVICE}, false, 0},
    {2, {SL_SETF_IPV4, SL_SETF_SERVICE}, true, 0},
    {3, {SL_SETF_IPV6, SL_SETF_PROTO, SL_SETF_SERVICE}, true, 2},
    {1, {SL_SETF_IPV6}, true, 0},
    {2, {SL_SETF_IPV4, SL_SETF_SERVICE}, true, 1},
    {4, {SL_SETF_ETHER, SL_SETF_IPV4, SL_SETF_PROTO, SL_SETF_SERVICE}, false, 0},
};

static uint8_t k1[SL_SET_MAX_KEYS * 64], k2[SL_SET_MAX_KEYS * 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sl_set_shape *s;
	struct sl_set_elem e, d;
	char why[200], text[512];
	size_t n1, n2, len;
	uint32_t ks;

	if (!size)
		return 0;
	s = &shapes[data[0] % (sizeof(shapes) / sizeof(shapes[0]))];
	ks = sl_set_key_size(s);
	if (sl_set_text_parse(s, (const char *)data + 1, size - 1, &e, why, sizeof(why)))
		return 0;
	len = sl_set_text_format(s, &e, text, sizeof(text));
	if (len >= sizeof(text) - 1)
		abort();
	if (sl_set_elem_keys(s, &e, k1, SL_SET_MAX_KEYS, &n1, why, sizeof(why)))
		return 0; /* a wide field the set does not allow there */
	/* The text written back parses to the same keys. */
	if (sl_set_text_parse(s, text, len, &d, why, sizeof(why)) ||
	    sl_set_elem_keys(s, &d, k2, SL_SET_MAX_KEYS, &n2, why, sizeof(why)) || n1 != n2 ||
	    memcmp(k1, k2, n1 * ks))
		abort();
	/* Every key decodes, and formats to an element that gives that key alone. */
	for (size_t i = 0; i < n1; i++) {
		if (sl_set_key_elem(s, k1 + i * ks, &d))
			abort();
		len = sl_set_text_format(s, &d, text, sizeof(text));
		if (sl_set_text_parse(s, text, len, &e, why, sizeof(why)) ||
		    sl_set_elem_keys(s, &e, k2, SL_SET_MAX_KEYS, &n2, why, sizeof(why)) ||
		    n2 != 1 || memcmp(k2, k1 + i * ks, ks))
			abort();
	}
	return 0;
}
