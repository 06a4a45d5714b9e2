// SPDX-License-Identifier: GPL-2.0-only
#include "common/util.h"

#include <errno.h>
#include <string.h>

int sl_grow(void **array, size_t *cap, size_t need, size_t elem_size)
{
	size_t new_cap;
	void *p;

	if (need <= *cap)
		return 0;
	new_cap = *cap ? *cap : 8;
	while (new_cap < need) {
		if (new_cap > SIZE_MAX / 2 / elem_size)
			return -ENOMEM;
		new_cap *= 2;
	}
	p = realloc(*array, new_cap * elem_size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * elem_size, 0, (new_cap - *cap) * elem_size);
	*array = p;
	*cap = new_cap;
	return 0;
}

char *sl_u128_str(sl_u128 v, char *buf)
{
	char tmp[41];
	int i = 40;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	strcpy(buf, tmp + i);
	return buf;
}
