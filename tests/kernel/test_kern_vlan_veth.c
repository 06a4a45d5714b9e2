// SPDX-License-Identifier: GPL-2.0-only
/*
 * `meta length` and counter bytes on TC when the kernel holds the outer VLAN
 * tag in skb metadata (lang-spec/packet-semantics.md section 2): the frame on
 * the wire, tag included, whether the tag is in the packet data or not.
 *
 * BPF_PROG_TEST_RUN never offloads a tag, so this test attaches the compiled
 * programs to a real veth pair, in a network namespace of its own (unshare:
 * nothing to collide with parallel runs), and sends frames with a packet
 * socket:
 *   - a tagged frame written on veth A: A's egress sees the tag in the data,
 *     B's ingress sees it moved into metadata (skb_vlan_untag);
 *   - a double-tagged frame (802.1ad outside) on veth A: B's ingress holds
 *     the outer tag in metadata, the inner one stays in the data;
 *   - an untagged frame written on A's VLAN device A.10: the VLAN device
 *     puts the tag into metadata, so both A's egress and B's ingress see it
 *     there.
 * Each program's counters (a map read) must equal the reference
 * interpreter's for the frame as it is on the wire.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "interp/interp.h"
#include "kt.h"
#include "lib/compile.h"

#define DEV_A	"sla"
#define DEV_B	"slb"
#define DEV_A10 "sla.10"
#define FRAMES	5
#define NRULES	4

struct compiled {
	struct sl_result *front; /* owns the IR */
	struct sl_ir *ir;
};

/*
 * Rules: 0 counts tagged frames of the wire length L, 1 those of L - 4 (the
 * length without the tag), 2 every frame with tag 10, 3 drops frames under L
 * (the issue's `meta length 0-46 counter drop` for L = 47).
 */
static void compile(struct kt *kt, const char *hook, size_t wire_len, struct compiled *c)
{
	struct sl_compile_opts o = {.compiler = "sluice kernel tests", .diag = stderr};
	char text[512];
	int status;

	snprintf(text, sizeof(text),
		 "table t {\n"
		 "    hook %s\n"
		 "    policy accept\n"
		 "    vlan id 10 meta length %zu counter\n"
		 "    vlan id 10 meta length %zu counter\n"
		 "    vlan id 10 counter\n"
		 "    vlan id 10 meta length 0-%zu counter drop\n"
		 "}\n",
		 hook, wire_len, wire_len - 4, wire_len - 1);
	status = sl_compile_front("vlan.sluice", text, strlen(text), &o, &c->front);
	if (status != SL_COMPILE_OK) {
		fprintf(stderr, "%s: policy does not compile (%d)\n", kt->test, status);
		exit(1);
	}
	c->ir = c->front->written;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "`%s` failed (%d)\n", cmd, rc);
	return rc;
}

/*
 * A namespace of our own with DEV_A <-> DEV_B and, when the kernel has 802.1Q
 * devices (*vlan_dev), DEV_A10 on DEV_A. 0 or -1.
 */
static int setup_net(char *why, size_t size, bool *vlan_dev)
{
	int fd;

	if (unshare(CLONE_NEWNET)) {
		snprintf(why, size, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return -1;
	}
	/* No IPv6 autoconfiguration traffic on the links. */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			fprintf(stderr, "cannot disable IPv6: %s\n", strerror(errno));
		close(fd);
	}
	if (sh("ip link add " DEV_A " type veth peer name " DEV_B) ||
	    sh("ip link set " DEV_A " up") || sh("ip link set " DEV_B " up")) {
		snprintf(why, size, "cannot create a veth pair (iproute2?)");
		return -1;
	}
	/* Optional: the tagged frames on the veth already exercise the offload. */
	*vlan_dev =
	    !system("ip link add link " DEV_A " name " DEV_A10 " type vlan id 10 2>/dev/null") &&
	    !sh("ip link set " DEV_A10 " up");
	if (!*vlan_dev)
		fprintf(stderr,
			"no 802.1Q devices here (8021q): the VLAN device case is not run\n");
	return 0;
}

static int attach(struct kt *kt, const struct sl_kern_prog *prog, const char *dev,
		  enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex(dev), .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog->fd);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST) {
		fprintf(stderr, "%s: clsact on %s: %d\n", kt->test, dev, err);
		return err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		fprintf(stderr, "%s: attach on %s: %d\n", kt->test, dev, err);
	return err;
}

static int send_frames(const char *dev, const uint8_t *frame, size_t len, unsigned n)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_ifindex = (int)if_nametoindex(dev),
				 .sll_halen = ETH_ALEN};
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return -errno;
	memcpy(to.sll_addr, frame, ETH_ALEN);
	for (unsigned i = 0; i < n; i++) {
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
			int err = -errno;

			close(fd);
			return err;
		}
	}
	close(fd);
	return 0;
}

/* Wait (up to 2 s) until rule 2 (every tagged frame) has seen `want` packets. */
static void settle(const struct sl_kern_prog *prog, uint64_t want)
{
	struct sluice_counter c;

	for (int i = 0; i < 200; i++) {
		if (!sl_kern_counter(prog, 2, &c) && c.packets >= want)
			return;
		usleep(10000);
	}
}

/* The program's counters equal the interpreter's for `frames` copies of the wire frame. */
static void expect_counters(struct kt *kt, const struct sl_kern_prog *prog,
			    const struct compiled *c, enum sl_hook hook, const struct sl_pkt *wire,
			    unsigned frames, const char *what)
{
	struct sl_interp_packet pkt = {.hook = hook, .data = wire->data, .len = wire->len};
	struct sl_interp_counter want[NRULES] = {0};
	struct sl_interp_result res;

	for (unsigned i = 0; i < frames; i++)
		kt_expect(kt, !sl_interp_run(c->ir, 0, &pkt, &res, want), "%s: interpreter", what);
	settle(prog, want[2].packets);
	for (uint32_t r = 0; r < NRULES; r++) {
		struct sluice_counter got = {0};

		kt_expect(kt, !sl_kern_counter(prog, r, &got), "%s: read counter %u", what, r);
		kt_expect(
		    kt, got.packets == want[r].packets && got.bytes == want[r].bytes,
		    "%s: rule %u counted %llu packets, %llu bytes; the interpreter %llu, %llu",
		    what, r, (unsigned long long)got.packets, (unsigned long long)got.bytes,
		    (unsigned long long)want[r].packets, (unsigned long long)want[r].bytes);
	}
}

int main(void)
{
	struct kt kt;
	struct sl_pkt_spec s;
	struct sl_pkt tagged, untagged, qinq;
	struct compiled in, out;
	struct sl_kern_prog prog_in, prog_out;
	char why[256];
	bool vlan_dev = false;
	int code;

	if (!kt_begin(&kt, "test_kern_vlan_veth", &code))
		return code;

	/* Ethernet, tag 10, IPv4, UDP, 1 byte of payload: 47 bytes on the wire. */
	sl_pkt_spec_init(&s);
	s.l4 = SL_PKT_UDP;
	s.payload_len = 1;
	s.nvlan = 1;
	s.vlan_tci[0] = 10;
	kt_build(&s, &tagged);
	s.nvlan = 2; /* 802.1ad 10 outside, 802.1Q 20 inside: only the outer one is offloaded */
	s.vlan_tpid[0] = 0x88a8;
	s.vlan_tci[1] = 20;
	kt_build(&s, &qinq);
	s.nvlan = 0;
	kt_build(&s, &untagged);
	kt_expect(&kt, tagged.len == untagged.len + 4, "tagged frame is 4 bytes longer");

	compile(&kt, "tc ingress", tagged.len, &in);
	compile(&kt, "tc egress", tagged.len, &out);
	kt_load(&kt, in.ir, 0, &prog_in);
	kt_load(&kt, out.ir, 0, &prog_out);

	if (setup_net(why, sizeof(why), &vlan_dev))
		return sl_kern_skip(kt.test, why);
	if (attach(&kt, &prog_in, DEV_B, BPF_TC_INGRESS) ||
	    attach(&kt, &prog_out, DEV_A, BPF_TC_EGRESS))
		return sl_kern_skip(kt.test, "cannot attach at tc");

	/* The tag in the data on A's egress, in metadata on B's ingress. */
	kt_expect(&kt, !send_frames(DEV_A, tagged.data, tagged.len, FRAMES), "send tagged");
	expect_counters(&kt, &prog_out, &out, SL_HOOK_TC_EGRESS, &tagged, FRAMES,
			"tagged frame, egress (tag in data)");
	expect_counters(&kt, &prog_in, &in, SL_HOOK_TC_INGRESS, &tagged, FRAMES,
			"tagged frame, ingress (tag offloaded)");

	/* Two tags: B's ingress holds the outer one in metadata, the inner one stays. */
	sl_kern_counters_reset(&prog_in);
	sl_kern_counters_reset(&prog_out);
	kt_expect(&kt, !send_frames(DEV_A, qinq.data, qinq.len, FRAMES), "send double-tagged");
	expect_counters(&kt, &prog_out, &out, SL_HOOK_TC_EGRESS, &qinq, FRAMES,
			"double-tagged frame, egress (tags in data)");
	expect_counters(&kt, &prog_in, &in, SL_HOOK_TC_INGRESS, &qinq, FRAMES,
			"double-tagged frame, ingress (outer tag offloaded)");

	/* Through the VLAN device: the tag in metadata on both. */
	if (vlan_dev) {
		sl_kern_counters_reset(&prog_in);
		sl_kern_counters_reset(&prog_out);
		kt_expect(&kt, !send_frames(DEV_A10, untagged.data, untagged.len, FRAMES),
			  "send on the VLAN device");
		expect_counters(&kt, &prog_out, &out, SL_HOOK_TC_EGRESS, &tagged, FRAMES,
				"VLAN device, egress (tag offloaded)");
		expect_counters(&kt, &prog_in, &in, SL_HOOK_TC_INGRESS, &tagged, FRAMES,
				"VLAN device, ingress (tag offloaded)");
	}

	/* The interpreter's view of an offloaded tag is the same frame. */
	struct sl_interp_packet off = {.hook = SL_HOOK_TC_INGRESS,
				       .data = untagged.data,
				       .len = untagged.len,
				       .vlan_present = true,
				       .vlan_tci = 10};
	struct sl_interp_counter c_off[NRULES] = {0}, c_wire[NRULES] = {0};
	struct sl_interp_packet wire = {
	    .hook = SL_HOOK_TC_INGRESS, .data = tagged.data, .len = tagged.len};
	struct sl_interp_result r_off, r_wire;

	sl_interp_run(in.ir, 0, &off, &r_off, c_off);
	sl_interp_run(in.ir, 0, &wire, &r_wire, c_wire);
	kt_expect(&kt,
		  r_off.verdict == r_wire.verdict && r_off.rule == r_wire.rule &&
		      !memcmp(c_off, c_wire, sizeof(c_off)),
		  "interpreter: offloaded tag and tag in data agree");

	sl_kern_prog_close(&prog_in);
	sl_kern_prog_close(&prog_out);
	sl_result_free(in.front);
	sl_result_free(out.front);
	return kt_end(&kt);
}
