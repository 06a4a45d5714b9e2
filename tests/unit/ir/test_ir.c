// SPDX-License-Identifier: GPL-2.0-only
/* The IR's text form and deep copy, on IR built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

#define MAX128 (~(sl_u128)0)

struct fixture {
	struct sl_arena *arena;
	struct sl_sources srcs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *text = "table edge {\n  hook xdp\n}\n";

	f->arena = sl_arena_new();
	sl_sources_init(&f->srcs);
	assert_int_equal(sl_sources_add(&f->srcs, "edge.sluice", text, strlen(text)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sl_arena_free(f->arena);
	sl_sources_fini(&f->srcs);
	free(f);
	return 0;
}

static struct sl_loc at(uint32_t line, uint32_t col)
{
	return (struct sl_loc){0, line, col, 1};
}

static struct sl_ir_pred pred(enum sl_field field, struct sl_iset set)
{
	return (struct sl_ir_pred){field, set, at(1, 1)};
}

static struct sl_ir_pred *preds(struct sl_arena *a, uint32_t n, const struct sl_ir_pred *p)
{
	struct sl_ir_pred *out = sl_arena_calloc(a, n, sizeof(*out));

	memcpy(out, p, n * sizeof(*out));
	return out;
}

static char *dump_to_string(const struct sl_ir *ir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sl_ir_dump(ir, out);
	fclose(out);
	return buf;
}

static char *pred_to_string(struct sl_ir_pred p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sl_ir_dump_pred(&p, out);
	fclose(out);
	return buf;
}

static void assert_pred_text(struct sl_ir_pred p, const char *want)
{
	char *got = pred_to_string(p);

	assert_string_equal(got, want);
	free(got);
}

/* table edge (xdp, drop) whose body jumps to chain quarantine. */
static struct sl_ir *sample_ir(struct fixture *f)
{
	struct sl_arena *a = f->arena;
	struct sl_ir *ir = sl_arena_alloc(a, sizeof(*ir));
	struct sl_ir_rule *body = sl_arena_calloc(a, 3, sizeof(*body));
	struct sl_ir_rule *quar = sl_arena_calloc(a, 2, sizeof(*quar));
	struct sl_ir_pred p0[] = {
	    pred(SL_FIELD_META_PROTOCOL, sl_iset_range(a, SL_ETH_P_IP, SL_ETH_P_IP)),
	    pred(SL_FIELD_META_L4PROTO, sl_iset_range(a, 6, 6)),
	    pred(SL_FIELD_IP_SADDR, sl_iset_prefix(a, 0x0a010000, 16, 32)),
	    pred(SL_FIELD_TCP_DPORT, sl_iset_range(a, 22, 22)),
	};
	struct sl_ir_pred p1[] = {
	    pred(SL_FIELD_META_PROTOCOL, sl_iset_range(a, SL_ETH_P_IP, SL_ETH_P_IP)),
	    pred(SL_FIELD_IP_SADDR, sl_iset_prefix(a, 0xc0000200, 24, 32)),
	};
	struct sl_ir_pred q0[] = {
	    pred(SL_FIELD_META_L4PROTO, sl_iset_range(a, 6, 6)),
	    pred(SL_FIELD_TCP_DPORT, sl_iset_range(a, 25, 25)),
	};

	ir->arena = a;
	ir->srcs = &f->srcs;
	ir->name = "edge";
	for (int i = 0; i < 32; i++)
		ir->source_hash[i] = (uint8_t)i;
	ir->ntables = 1;
	ir->tables = sl_arena_calloc(a, 1, sizeof(*ir->tables));
	ir->tables[0] = (struct sl_ir_table){.name = "edge",
					     .loc = at(1, 1),
					     .hook = SL_HOOK_XDP,
					     .policy = SL_VERDICT_DROP,
					     .entry = 0};
	ir->nchains = 2;
	ir->chains = sl_arena_calloc(a, 2, sizeof(*ir->chains));
	ir->chains[0] = (struct sl_ir_chain){"edge", at(1, 1), 3, body};
	ir->chains[1] = (struct sl_ir_chain){"quarantine", at(8, 1), 2, quar};
	body[0] = (struct sl_ir_rule){.id = 0,
				      .loc = at(3, 5),
				      .text = "ip saddr 10.1.0.0/16 tcp dport 22 counter accept",
				      .npreds = 4,
				      .preds = preds(a, 4, p0),
				      .counter = true,
				      .action = SL_IR_ACCEPT};
	body[1] = (struct sl_ir_rule){.id = 1,
				      .loc = at(4, 5),
				      .npreds = 2,
				      .preds = preds(a, 2, p1),
				      .action = SL_IR_JUMP,
				      .target = 1};
	body[2] = (struct sl_ir_rule){
	    .id = 2, .loc = at(5, 5), .counter = true, .action = SL_IR_CONTINUE};
	quar[0] = (struct sl_ir_rule){
	    .id = 3, .loc = at(9, 5), .npreds = 2, .preds = preds(a, 2, q0), .action = SL_IR_DROP};
	quar[1] = (struct sl_ir_rule){.id = 4, .loc = at(10, 5), .action = SL_IR_RETURN};
	ir->nrules = 5;
	return ir;
}

static const char sample_text[] =
    "sluice-ir 1\n"
    "policy edge\n"
    "source-sha256 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "rules 5\n"
    "table edge edge.sluice:1:1: hook xdp, policy drop, entry edge\n"
    "\n"
    "chain edge edge.sluice:1:1: entry of table edge\n"
    "  rule 0 edge.sluice:3:5: meta protocol ip, meta l4proto tcp, ip saddr 10.1.0.0/16, tcp dport "
    "22 -> counter accept\n"
    "  rule 1 edge.sluice:4:5: meta protocol ip, ip saddr 192.0.2.0/24 -> jump quarantine\n"
    "  rule 2 edge.sluice:5:5: any -> counter continue\n"
    "\n"
    "chain quarantine edge.sluice:8:1\n"
    "  rule 3 edge.sluice:9:5: meta l4proto tcp, tcp dport 25 -> drop\n"
    "  rule 4 edge.sluice:10:5: any -> return\n";

static void dump_sample(void **state)
{
	struct fixture *f = *state;
	char *text = dump_to_string(sample_ir(f));

	assert_string_equal(text, sample_text);
	free(text);
}

static void clone_is_deep_and_dumps_the_same(void **state)
{
	struct fixture *f = *state;
	struct sl_ir *ir = sample_ir(f);
	struct sl_arena *other = sl_arena_new();
	struct sl_ir *copy = sl_ir_clone(ir, other);
	char *text;

	assert_ptr_equal(copy->arena, other);
	assert_ptr_not_equal(copy->chains, ir->chains);
	assert_ptr_not_equal(copy->chains[0].rules[0].preds, ir->chains[0].rules[0].preds);
	assert_ptr_not_equal(copy->chains[0].rules[0].preds[2].set.iv,
			     ir->chains[0].rules[0].preds[2].set.iv);
	assert_string_equal(copy->chains[0].rules[0].text, ir->chains[0].rules[0].text);
	assert_memory_equal(copy->source_hash, ir->source_hash, 32);
	/* the original's arena can go: the copy stands alone */
	sl_arena_free(f->arena);
	f->arena = sl_arena_new();
	text = dump_to_string(copy);
	assert_string_equal(text, sample_text);
	free(text);
	sl_arena_free(other);
}

static void addresses_print_as_prefixes_or_ranges(void **state)
{
	struct sl_arena *a = ((struct fixture *)*state)->arena;
	struct sl_interval v4[] = {
	    {0x0a000000, 0x0a0000ff}, {0x0a000101, 0x0a000101}, {0x0a000200, 0x0a000202}};
	sl_u128 db8 = (sl_u128)0x20010db8u << 96;

	assert_pred_text(pred(SL_FIELD_IP_DADDR, sl_iset_from(a, v4, 3)),
			 "ip daddr { 10.0.0.0/24, 10.0.1.1, 10.0.2.0-10.0.2.2 }");
	assert_pred_text(pred(SL_FIELD_IP_SADDR, sl_iset_prefix(a, 0, 1, 32)),
			 "ip saddr 0.0.0.0/1");
	assert_pred_text(pred(SL_FIELD_IP6_SADDR, sl_iset_prefix(a, db8, 32, 128)),
			 "ip6 saddr 2001:db8::/32");
	assert_pred_text(pred(SL_FIELD_IP6_DADDR, sl_iset_range(a, 1, 1)), "ip6 daddr ::1");
	assert_pred_text(pred(SL_FIELD_IP6_DADDR, sl_iset_range(a, MAX128 - 1, MAX128)),
			 "ip6 daddr ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	assert_pred_text(pred(SL_FIELD_IP6_DADDR, sl_iset_range(a, 1, MAX128)),
			 "ip6 daddr ::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* complement of one /24: two ranges that are not prefixes */
	assert_pred_text(
	    pred(SL_FIELD_IP_DADDR,
		 sl_iset_complement(a, sl_iset_prefix(a, 0x0a000000, 24, 32), 0xffffffff)),
	    "ip daddr { 0.0.0.0-9.255.255.255, 10.0.1.0-255.255.255.255 }");
}

static void other_kinds_print_in_their_syntax(void **state)
{
	struct sl_arena *a = ((struct fixture *)*state)->arena;
	struct sl_interval ports[] = {{80, 80}, {443, 443}, {8000, 8999}};

	assert_pred_text(pred(SL_FIELD_TCP_DPORT, sl_iset_from(a, ports, 3)),
			 "tcp dport { 80, 443, 8000-8999 }");
	assert_pred_text(pred(SL_FIELD_TH_SPORT, sl_iset_range(a, 1024, 65535)),
			 "th sport 1024-65535");
	assert_pred_text(
	    pred(SL_FIELD_ETHER_SADDR, sl_iset_range(a, 0x0011223344ffull, 0x0011223344ffull)),
	    "ether saddr 00:11:22:33:44:ff");
	assert_pred_text(pred(SL_FIELD_META_PROTOCOL, sl_iset_range(a, SL_ETH_P_ARP, SL_ETH_P_ARP)),
			 "meta protocol arp");
	assert_pred_text(pred(SL_FIELD_META_PROTOCOL, sl_iset_range(a, 0x88cc, 0x88cc)),
			 "meta protocol 0x88cc");
	struct sl_interval l4[] = {{6, 6}, {17, 17}};

	assert_pred_text(pred(SL_FIELD_META_L4PROTO, sl_iset_from(a, l4, 2)),
			 "meta l4proto { tcp, udp }");
	struct sl_interval icmp[] = {{0, 0}, {8, 8}, {20, 30}};

	assert_pred_text(pred(SL_FIELD_ICMP_TYPE, sl_iset_from(a, icmp, 3)),
			 "icmp type { echo-reply, echo-request, 20-30 }");
	assert_pred_text(pred(SL_FIELD_ICMP6_TYPE, sl_iset_range(a, 128, 128)),
			 "icmpv6 type echo-request");
	assert_pred_text(pred(SL_FIELD_IP_FRAG, sl_iset_range(a, 1, 2)),
			 "ip frag { first, later }");
	assert_pred_text(pred(SL_FIELD_IP_FRAG, sl_iset_range(a, 0, 0)), "ip frag none");
	assert_pred_text(pred(SL_FIELD_IP_DSCP, sl_iset_range(a, 46, 46)), "ip dscp 46");
	assert_pred_text(pred(SL_FIELD_VLAN_ID, sl_iset_range(a, 0, 99)), "vlan id 0-99");
	assert_pred_text(pred(SL_FIELD_META_LENGTH, sl_iset_range(a, 4294967295u, 4294967295u)),
			 "meta length 4294967295");
}

static void tcp_flags_print_as_masks_or_values(void **state)
{
	struct sl_arena *a = ((struct fixture *)*state)->arena;

	assert_pred_text(pred(SL_FIELD_TCP_FLAGS, sl_iset_masked(a, 0x12, 0x02, 8)),
			 "tcp flags & (syn|ack) == syn");
	assert_pred_text(pred(SL_FIELD_TCP_FLAGS, sl_iset_masked(a, 0x04, 0x00, 8)),
			 "tcp flags & rst == 0x00");
	assert_pred_text(
	    pred(SL_FIELD_TCP_FLAGS, sl_iset_complement(a, sl_iset_masked(a, 0x06, 0x00, 8), 0xff)),
	    "tcp flags & (syn|rst) != 0x00");
	assert_pred_text(
	    pred(SL_FIELD_TCP_FLAGS, sl_iset_complement(a, sl_iset_range(a, 0x02, 0x02), 0xff)),
	    "tcp flags != syn");
	assert_pred_text(pred(SL_FIELD_TCP_FLAGS, sl_iset_range(a, 0x12, 0x12)),
			 "tcp flags syn|ack");
	struct sl_interval two[] = {{0x02, 0x02}, {0x12, 0x12}, {0x20, 0x23}};

	assert_pred_text(pred(SL_FIELD_TCP_FLAGS, sl_iset_from(a, two, 3)),
			 "tcp flags { syn, syn|ack, 0x20-0x23 }");
}

static void verify_finds_broken_invariants(void **state)
{
	struct fixture *f = *state;
	struct sl_ir *ir = sample_ir(f);
	struct sl_ir_rule *r0 = &ir->chains[0].rules[0];
	struct sl_ir_pred *p = (struct sl_ir_pred *)r0->preds;
	struct sl_interval bad[2] = {{5, 10}, {11, 12}}; /* adjacent: not canonical */
	char err[256];

	assert_int_equal(sl_ir_verify(ir, err, sizeof(err)), 0);
	p[1].field = SL_FIELD_META_PROTOCOL; /* repeated field */
	assert_int_equal(sl_ir_verify(ir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not sorted"));
	p[1].field = SL_FIELD_META_L4PROTO;
	p[3].set = (struct sl_iset){2, bad};
	assert_int_equal(sl_ir_verify(ir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tcp dport set empty or not canonical"));
	p[3].set = sl_iset_range(f->arena, 70000, 70000); /* beyond the domain */
	assert_int_equal(sl_ir_verify(ir, err, sizeof(err)), -EINVAL);
	p[3].set = sl_iset_range(f->arena, 22, 22);
	ir->chains[1].rules[0].id = 0; /* duplicate id */
	assert_int_equal(sl_ir_verify(ir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "appears twice"));
	ir->chains[1].rules[0].id = 3;
	ir->chains[0].rules[1].target = 0; /* a jump into a table's body */
	assert_int_equal(sl_ir_verify(ir, NULL, 0), -EINVAL);
	ir->chains[0].rules[1].target = 1;
	assert_int_equal(sl_ir_verify(ir, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(dump_sample, setup, teardown),
	    cmocka_unit_test_setup_teardown(clone_is_deep_and_dumps_the_same, setup, teardown),
	    cmocka_unit_test_setup_teardown(addresses_print_as_prefixes_or_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(other_kinds_print_in_their_syntax, setup, teardown),
	    cmocka_unit_test_setup_teardown(tcp_flags_print_as_masks_or_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(verify_finds_broken_invariants, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
