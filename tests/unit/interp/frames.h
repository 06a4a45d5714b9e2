/* SPDX-License-Identifier: GPL-2.0-only */
/* A tiny byte-level frame writer for the interpreter's unit tests. */
#pragma once

#include <stdint.h>
#include <string.h>

struct frame {
	uint8_t b[512];
	size_t len;
};

static inline void put8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static inline void put16(struct frame *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static inline void put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static inline void putn(struct frame *f, uint8_t v, size_t n)
{
	while (n--)
		put8(f, v);
}

/* dst 02:00:00:00:00:02, src 02:00:00:00:00:01 */
static inline void eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

	memcpy(f->b + f->len, macs, 12);
	f->len += 12;
	put16(f, type);
}

static inline void vlan(struct frame *f, uint16_t tci, uint16_t type)
{
	put16(f, tci);
	put16(f, type);
}

/* IPv4 header with `opt_words` 4-byte option words (NOP-filled). */
static inline void ipv4(struct frame *f, uint8_t proto, uint16_t fragword, unsigned opt_words)
{
	put8(f, 0x40 | (5 + opt_words));
	put8(f, 0x2e << 2); /* dscp 46 (ef) */
	put16(f, 1234);	    /* total length: reported, not used */
	put16(f, 0);
	put16(f, fragword);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x0a000001);
	put32(f, 0xc0a80102);
	putn(f, 1, opt_words * 4);
}

static inline void ipv6(struct frame *f, uint8_t nexthdr)
{
	put32(f, 0x60000000);
	put16(f, 0);
	put8(f, nexthdr);
	put8(f, 255);
	put32(f, 0x20010db8);
	put32(f, 0);
	put32(f, 0);
	put32(f, 1);
	put32(f, 0xfe800000);
	put32(f, 0);
	put32(f, 0);
	put32(f, 2);
}

/* A generic extension header of `len8` 8-byte units beyond the first. */
static inline void ext(struct frame *f, uint8_t next, uint8_t len8)
{
	put8(f, next);
	put8(f, len8);
	putn(f, 0, (len8 + 1) * 8 - 2);
}

static inline void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 1);
	put32(f, 0);
	put8(f, 0x50);
	put8(f, flags);
	put16(f, 1024);
	put16(f, 0);
	put16(f, 0);
}

static inline void udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, 8);
	put16(f, 0);
}

static inline void icmp(struct frame *f, uint8_t type, uint8_t code)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
}
