// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test files of `sluice test` (compiler/testcase): what a line parses into,
 * the bytes of the frame a case describes (lang-spec/test-format.md section
 * 4), and errors that name their line and let the next lines parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testcase/testcase.h"

struct parsed {
	struct sl_sources srcs;
	struct sl_diag diag;
	struct sl_arena *arena;
	struct sl_testfile tf;
	char *errors;
	size_t len;
	FILE *out;
	int rc;
};

static void parse(struct parsed *p, const char *text)
{
	int file;

	memset(p, 0, sizeof(*p));
	sl_sources_init(&p->srcs);
	p->arena = sl_arena_new();
	p->out = open_memstream(&p->errors, &p->len);
	assert_non_null(p->out);
	file = sl_sources_add(&p->srcs, "t/x.sluicetest", text, strlen(text));
	assert_true(file >= 0);
	sl_diag_init(&p->diag, &p->srcs, p->out);
	p->rc = sl_testfile_parse(&p->diag, (uint32_t)file, p->arena, &p->tf);
	fflush(p->out);
}

static void done(struct parsed *p)
{
	fclose(p->out);
	free(p->errors);
	sl_arena_free(p->arena);
	sl_sources_fini(&p->srcs);
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void test_case_fields(void **state)
{
	struct parsed p;
	const struct sl_testcase *c;

	parse(&p,
	      "# comment\n"
	      "\n"
	      "tcp 10.1.2.3:40000 -> 192.0.2.10:22 syn ack   => accept @ web.sluice:12:5 # why\n"
	      "table other\n"
	      "udp [2001:db8::1]:53 -> [2001:db8::2]:5353 => drop @ policy\n"
	      "pcap cap.pcap#3 => drop @ a:b.sluice:7\n");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.diag.nerrors, 0);
	assert_int_equal(p.tf.ncases, 3);

	c = &p.tf.cases[0];
	assert_int_equal(c->loc.line, 3);
	assert_string_equal(c->text, "tcp 10.1.2.3:40000 -> 192.0.2.10:22 syn ack   => accept @ "
				     "web.sluice:12:5");
	assert_null(c->table);
	assert_int_equal(c->pkt.l3, SL_TC_L3_IPV4);
	assert_int_equal(c->pkt.l4, SL_TC_L4_TCP);
	assert_true(c->pkt.saddr == 0x0a010203);
	assert_true(c->pkt.daddr == 0xc000020a);
	assert_int_equal(c->pkt.sport, 40000);
	assert_int_equal(c->pkt.dport, 22);
	assert_int_equal(c->pkt.tcp_flags, 0x12);
	assert_int_equal(c->verdict, SL_VERDICT_ACCEPT);
	assert_true(c->pinned && !c->by_policy);
	assert_string_equal(c->rule_file, "web.sluice");
	assert_int_equal(c->rule_line, 12);
	assert_int_equal(c->rule_col, 5);

	c = &p.tf.cases[1];
	assert_string_equal(c->table, "other");
	assert_int_equal(c->pkt.l3, SL_TC_L3_IPV6);
	assert_true(c->pkt.saddr >> 96 == 0x20010db8 && (uint64_t)c->pkt.saddr == 1);
	assert_int_equal(c->pkt.sport, 53);
	assert_int_equal(c->verdict, SL_VERDICT_DROP);
	assert_true(c->pinned && c->by_policy);

	c = &p.tf.cases[2];
	assert_true(c->pcap);
	assert_string_equal(c->pcap_path, "t/cap.pcap"); /* beside the test file */
	assert_int_equal(c->pcap_index, 3);
	assert_string_equal(c->rule_file, "a:b.sluice");
	assert_int_equal(c->rule_line, 7);
	assert_int_equal(c->rule_col, 0);
	done(&p);
}

/* A bad line is reported at its word and the lines after it still parse. */
static void test_errors_go_on(void **state)
{
	struct parsed p;

	parse(&p, "tcp 1.2.3.4:1 -> 1.2.3.4:99999 => drop\n"
		  "udp 1.2.3.4:1 -> 1.2.3.4:2 => accept\n"
		  "icmp 1.2.3.4 -> 1.2.3.5 echo-reqest => accept\n");
	assert_int_equal(p.rc, -EINVAL);
	assert_int_equal(p.diag.nerrors, 2);
	assert_int_equal(p.tf.ncases, 1);
	assert_int_equal(p.tf.cases[0].loc.line, 2);
	assert_non_null(strstr(p.errors, "t/x.sluicetest:1:26: error: port 99999 is out of range"));
	assert_non_null(strstr(p.errors, "t/x.sluicetest:3:25: error: unknown word 'echo-reqest'; "
					 "did you mean 'echo-request'?"));
	done(&p);
}

static int frame_of(struct parsed *p, const char *line, enum sl_hook hook, uint8_t *frame)
{
	parse(p, line);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->tf.ncases, 1);
	return sl_tc_frame(&p->tf.cases[0].pkt, hook, &p->diag, frame);
}

/* QinQ: 802.1ad outside, 802.1Q inside; IPv4 and UDP lengths cover the padding. */
static void test_frame_vlan_ipv4(void **state)
{
	static uint8_t f[SL_TC_FRAME_MAX];
	struct parsed p;
	int n = frame_of(&p,
			 "udp 10.0.0.1:1000 -> 10.0.0.2:53 vlan 7 vlan 8 length 100 ttl 3 dscp ef "
			 "=> drop\n",
			 SL_HOOK_XDP, f);

	assert_int_equal(n, 100);
	assert_int_equal(be16(f + 12), 0x88a8);
	assert_int_equal(be16(f + 14), 7);
	assert_int_equal(be16(f + 16), 0x8100);
	assert_int_equal(be16(f + 18), 8);
	assert_int_equal(be16(f + 20), 0x0800);
	assert_int_equal(f[22], 0x45);
	assert_int_equal(f[23], 46 << 2);
	assert_int_equal(be16(f + 24), 100 - 22);
	assert_int_equal(f[30], 3);
	assert_int_equal(f[31], 17);
	assert_int_equal(be16(f + 42), 1000);
	assert_int_equal(be16(f + 44), 53);
	assert_int_equal(be16(f + 46), 100 - 42);
	done(&p);
}

/* IPv6: extension headers in order, then the fragment header; a later fragment has no L4. */
static void test_frame_ipv6_ext_frag(void **state)
{
	static uint8_t f[SL_TC_FRAME_MAX];
	struct parsed p;
	int n = frame_of(&p,
			 "tcp [2001:db8::1] -> [2001:db8::2] exthdr hopopts,routing frag later "
			 "hoplimit 9 => drop\n",
			 SL_HOOK_TC_INGRESS, f);

	assert_int_equal(n, 14 + 40 + 3 * 8);
	assert_int_equal(be16(f + 12), 0x86dd);
	assert_int_equal(f[14] >> 4, 6);
	assert_int_equal(be16(f + 18), 24); /* payload length */
	assert_int_equal(f[20], 0);	    /* next: hop-by-hop */
	assert_int_equal(f[21], 9);
	assert_int_equal(f[54], 43);		  /* hop-by-hop -> routing */
	assert_int_equal(f[62], 44);		  /* routing -> fragment */
	assert_int_equal(f[70], 6);		  /* fragment -> tcp */
	assert_int_equal(be16(f + 72), 185 << 3); /* offset 185, M clear */
	done(&p);
}

static void test_frame_ipv4_first_fragment(void **state)
{
	static uint8_t f[SL_TC_FRAME_MAX];
	struct parsed p;
	int n =
	    frame_of(&p, "tcp 10.0.0.1:1 -> 10.0.0.2:80 frag first fin => drop\n", SL_HOOK_XDP, f);

	assert_int_equal(n, 14 + 20 + 20);
	assert_int_equal(be16(f + 20), 0x2000); /* MF, offset 0 */
	assert_int_equal(f[47], 0x01);		/* TCP flags */
	assert_int_equal(f[46] >> 4, 5);
	done(&p);
}

/* On cgroup_skb `length` counts from the IP header; tags and MACs are errors there. */
static void test_frame_cgroup(void **state)
{
	static uint8_t f[SL_TC_FRAME_MAX];
	struct parsed p;
	int n = frame_of(&p, "icmp 10.0.0.1 -> 10.0.0.2 echo-request length 28 => drop\n",
			 SL_HOOK_CGROUP_INGRESS, f);

	assert_int_equal(n, 14 + 28);
	assert_int_equal(f[34], 8);
	done(&p);
	n = frame_of(&p, "icmp 10.0.0.1 -> 10.0.0.2 echo-request length 27 => drop\n",
		     SL_HOOK_CGROUP_INGRESS, f);
	assert_int_equal(n, -EINVAL);
	fflush(p.out);
	assert_non_null(strstr(p.errors, "1:47: error: length 27 is shorter than this packet's "
					 "headers: at least 28 on cgroup_skb ingress"));
	done(&p);
	n = frame_of(&p, "icmp 10.0.0.1 -> 10.0.0.2 echo-request vlan 3 => drop\n",
		     SL_HOOK_CGROUP_EGRESS, f);
	assert_int_equal(n, -EINVAL);
	fflush(p.out);
	assert_non_null(strstr(p.errors, "1:40: error: a cgroup_skb egress program sees no VLAN"));
	done(&p);
}

/* `ip6` without `proto` has no next header (59), not a hop-by-hop header (0). */
static void test_frame_ip6_no_next_header(void **state)
{
	static uint8_t f[SL_TC_FRAME_MAX];
	struct parsed p;
	int n = frame_of(&p, "ip6 2001:db8::1 -> 2001:db8::2 => drop\n", SL_HOOK_XDP, f);

	assert_int_equal(n, 14 + 40);
	assert_int_equal(f[20], 59);
	done(&p);
}

static void test_file_matches(void **state)
{
	assert_true(sl_tc_file_matches("web.sluice", "web.sluice"));
	assert_true(sl_tc_file_matches("web.sluice", "policies/web.sluice"));
	assert_true(sl_tc_file_matches("policies/web.sluice", "/src/policies/web.sluice"));
	assert_false(sl_tc_file_matches("eb.sluice", "policies/web.sluice"));
	assert_false(sl_tc_file_matches("policies/web.sluice", "web.sluice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_case_fields),
	    cmocka_unit_test(test_errors_go_on),
	    cmocka_unit_test(test_frame_vlan_ipv4),
	    cmocka_unit_test(test_frame_ipv6_ext_frag),
	    cmocka_unit_test(test_frame_ipv4_first_fragment),
	    cmocka_unit_test(test_frame_cgroup),
	    cmocka_unit_test(test_frame_ip6_no_next_header),
	    cmocka_unit_test(test_file_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
