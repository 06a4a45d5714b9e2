// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl_limits_pcap OUT.pcap MODE [ARGS]: captures with nanosecond timestamps for
 * the limit tests (limits.sh).
 *   random SEED N   ICMP echo requests, TCP SYNs to 22 and UDP to 53 from three
 *                   sources, at random gaps from 1 us to 1.1 s (deterministic)
 *   even N GAP_NS   N ICMP echo requests, one every GAP_NS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33) % n;
}

static void put(FILE *f, const void *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n) {
		perror("write");
		exit(1);
	}
}

static void packet(FILE *f, uint64_t t, uint8_t src, int kind, uint16_t sport, uint32_t pad)
{
	uint8_t b[1600] = {0};
	uint32_t l4 = kind == 1 ? 20 : 8, len = 14 + 20 + l4 + pad, h[4];

	memset(b, 2, 6);
	memset(b + 6, 4, 6);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)((len - 14) >> 8);
	b[17] = (uint8_t)(len - 14);
	b[22] = 64;
	b[23] = kind == 0 ? 1 : kind == 1 ? 6 : 17;
	memcpy(b + 26, (uint8_t[]){198, 51, 100, src}, 4);
	memcpy(b + 30, (uint8_t[]){192, 0, 2, 1}, 4);
	if (kind == 0) {
		b[34] = 8; /* echo request */
	} else if (kind == 1) {
		b[34] = (uint8_t)(sport >> 8);
		b[35] = (uint8_t)sport;
		b[37] = 22;
		b[46] = 0x50;
		b[47] = 0x02; /* SYN */
	} else {
		b[34] = 0x14;
		b[35] = 0xe9;
		b[37] = 53;
		b[38] = (uint8_t)((8 + pad) >> 8);
		b[39] = (uint8_t)(8 + pad);
	}
	h[0] = (uint32_t)(t / 1000000000ull);
	h[1] = (uint32_t)(t % 1000000000ull);
	h[2] = h[3] = len;
	put(f, h, sizeof(h));
	put(f, b, len);
}

int main(int argc, char **argv)
{
	uint32_t hdr[6] = {0xa1b23c4d, 2 | 4 << 16, 0, 0, 65535, 1};
	uint64_t t = 1000000000ull;
	FILE *f;

	if (argc < 4)
		return 2;
	f = fopen(argv[1], "wb");
	if (!f)
		return 1;
	put(f, hdr, sizeof(hdr));
	if (!strcmp(argv[2], "random") && argc == 5) {
		static const uint64_t gaps[] = {1000,	  50000,     3000000,
						40000000, 200000000, 1100000000};

		rng_state = strtoull(argv[3], NULL, 10);
		for (long i = strtol(argv[4], NULL, 10); i > 0; i--) {
			int kind = (int)rnd(3);

			t += gaps[rnd(6)];
			packet(f, t, (uint8_t)(1 + rnd(3)), kind, (uint16_t)(40000 + rnd(3)),
			       kind == 1 ? 0 : rnd(300));
		}
	} else if (!strcmp(argv[2], "even") && argc == 5) {
		uint64_t gap = strtoull(argv[4], NULL, 10);

		for (long i = strtol(argv[3], NULL, 10); i > 0; i--, t += gap)
			packet(f, t, 1, 0, 0, 0);
	} else {
		return 2;
	}
	return fclose(f) ? 1 : 0;
}
