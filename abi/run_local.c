// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which packets of a capture leave the host (run_output.h, `--local`): both
 * `sluice run` and `sluice-load run` decide it here, the same way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/run_output.h"

static int parse_one(const char *text, struct sl_run_prefix *p)
{
	char buf[64], *slash;
	unsigned max;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = 4, max = 32;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = 6, max = 128;
	else
		return -EINVAL;
	p->len = max;
	if (slash) {
		char *end;
		unsigned long n = strtoul(slash + 1, &end, 10);

		if (!slash[1] || *end || n > max)
			return -EINVAL;
		p->len = (unsigned)n;
	}
	return 0;
}

int sl_run_local_parse(const char *arg, struct sl_run_local *out)
{
	char buf[1024], *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (out->n == SL_RUN_MAX_LOCAL || parse_one(t, &out->p[out->n]))
			return -EINVAL;
		out->n++;
	}
	return out->n ? 0 : -EINVAL;
}

static bool prefix_has(const struct sl_run_prefix *p, unsigned family, const uint8_t *addr)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->family != family || memcmp(p->addr, addr, full))
		return false;
	return !rest || ((p->addr[full] ^ addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

bool sl_run_outgoing(const struct sl_run_local *l, const uint8_t *frame, uint32_t len)
{
	uint32_t off = SL_RUN_ETH_HLEN;
	uint16_t type;

	if (!l || len < SL_RUN_ETH_HLEN)
		return false;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	for (unsigned tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; tags++) {
		if (len < off + 4)
			return false;
		type = (uint16_t)(frame[off + 2] << 8 | frame[off + 3]);
		off += 4;
	}
	for (unsigned i = 0; i < l->n; i++) {
		if (type == 0x0800 && len >= off + 20 && prefix_has(&l->p[i], 4, frame + off + 12))
			return true;
		if (type == 0x86dd && len >= off + 40 && prefix_has(&l->p[i], 6, frame + off + 8))
			return true;
	}
	return false;
}
