#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `sluice-load run`: verdicts, deciding rules and counters of every hook's
# object on crafted pcaps (Ethernet and raw IP), in the exact text and JSON
# formats of loader/README.md, plus its error paths.
. "$(dirname "$0")/lib.sh"
[ -f "$OBJDIR/kind" ] || { echo "FAIL: no test objects in $OBJDIR"; exit 1; }
echo "objects: $(cat "$OBJDIR/kind")"
[ "$(id -u)" = 0 ] || skip "needs root"
"$HELPER" mkpcap "$TMP/probe.pcap" eth udp:1 >/dev/null
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/probe.pcap" >/dev/null 2>&1 || skip "BPF not usable here"

"$HELPER" mkpcap "$TMP/eth.pcap" eth udp:7777 icmp:8 tcp:8888 udp:7778 arp udp:53 icmp:0 tcp:9999
"$HELPER" mkpcap "$TMP/raw.pcap" raw udp:7777 icmp:8 tcp:8888 udp:7778 udp:53 icmp:0 tcp:9999

expect_a() { # FILE BYTES-PER-UDP-PACKET: the output policy A must give on eth.pcap
	printf '1\tdrop\tedge-a.sluice:5:5\n2\tdrop\tedge-a.sluice:6:5\n3\tdrop\tedge-a.sluice:7:5\n'
	printf '4\taccept\tedge-a.sluice:8:5\n5\taccept\tpolicy\n6\taccept\tpolicy\n7\taccept\tpolicy\n8\taccept\tpolicy\n'
	printf 'total: 8 packets, 5 accept, 3 drop\n'
	printf 'counter\tedge-a.sluice:5:5\t1 packets\t%s bytes\n' "$1"
	printf 'counter\tedge-a.sluice:6:5\t1 packets\t%s bytes\n' "$1"
	printf 'counter\tedge-a.sluice:8:5\t1 packets\t%s bytes\n' "$1"
}
for obj in xdp tci tce; do
	check "run $obj-a eth" "$(expect_a 42)" "$("$SLUICE_LOAD" run "$OBJDIR/$obj-a.o" --pcap "$TMP/eth.pcap")"
done
for obj in cgin cgout; do
	# cgroup_skb sees the packet from the IP header: 28 bytes for UDP and ICMP.
	check "run $obj-a eth" "$(expect_a 28)" "$("$SLUICE_LOAD" run "$OBJDIR/$obj-a.o" --pcap "$TMP/eth.pcap")"
done
# Raw IP: the ARP frame is missing, so packets from 5 on shift by one.
expect_raw=$(printf '1\tdrop\tedge-b.sluice:5:5\n2\taccept\tpolicy\n3\taccept\tpolicy\n4\taccept\tedge-b.sluice:7:5\n5\taccept\tpolicy\n6\taccept\tpolicy\n7\tdrop\tedge-b.sluice:6:5\ntotal: 7 packets, 5 accept, 2 drop\ncounter\tedge-b.sluice:5:5\t1 packets\t28 bytes\ncounter\tedge-b.sluice:6:5\t1 packets\t40 bytes\ncounter\tedge-b.sluice:7:5\t1 packets\t28 bytes')
check "run cgin-b raw" "$expect_raw" "$("$SLUICE_LOAD" run "$OBJDIR/cgin-b.o" --pcap "$TMP/raw.pcap")"
expect_json='{"packets":[{"n":1,"verdict":"drop","rule":{"id":0,"file":"edge-b.sluice","line":5,"col":5}},{"n":2,"verdict":"accept","rule":null}],"total":{"packets":2,"accept":1,"drop":1},"counters":[{"id":0,"file":"edge-b.sluice","line":5,"col":5,"packets":1,"bytes":42},{"id":1,"file":"edge-b.sluice","line":6,"col":5,"packets":0,"bytes":0},{"id":2,"file":"edge-b.sluice","line":7,"col":5,"packets":0,"bytes":0}]}'
"$HELPER" mkpcap "$TMP/two.pcap" eth udp:7777 icmp:8
check "run --json" "$expect_json" "$("$SLUICE_LOAD" run "$OBJDIR/xdp-b.o" --pcap "$TMP/two.pcap" --json)"

# Objects without decision recording print `?`.
check "run without decisions" "$(printf '1\tdrop\t?\n2\tdrop\t?\ntotal: 2 packets, 0 accept, 2 drop\ncounter\tedge-a.sluice:5:5\t1 packets\t42 bytes\ncounter\tedge-a.sluice:6:5\t1 packets\t42 bytes\ncounter\tedge-a.sluice:8:5\t0 packets\t0 bytes')" "$("$SLUICE_LOAD" run "$OBJDIR/xdp-nodec.o" --pcap "$TMP/two.pcap")"
# Errors: exit 1 with a message; usage errors exit 2.
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/missing.pcap" 2>"$TMP/err"
check "run missing pcap (rc)" 1 $?
grep -q "cannot read pcap" "$TMP/err" || fail "run missing pcap message: $(cat "$TMP/err")"
"$SLUICE_LOAD" run "$OBJDIR/garbage.o" --pcap "$TMP/eth.pcap" 2>"$TMP/err"
check "run garbage object (rc)" 1 $?
grep -q "not an ELF object" "$TMP/err" || fail "run garbage message: $(cat "$TMP/err")"
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" 2>/dev/null
check "run without --pcap (rc)" 2 $?
"$HELPER" mkpcap "$TMP/short.pcap" raw short
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/short.pcap" >"$TMP/out" 2>"$TMP/err"
check "raw pcap with a non-IP packet (rc)" 3 $?
check "raw pcap with a non-IP packet" "$(printf '1\tskipped\ta packet of a raw-IP capture must be IPv4 or IPv6')" \
	"$(head -1 "$TMP/out")"

# Frames the kernel will not test-run (examples/malformed.pcap, 25 frames): each gets its own
# line with the true reason, the run goes on to the last frame, the total counts them and the
# exit code is 3. XDP refuses only the 5 runts; tc and cgroup_skb also IPv4/IPv6 headers cut
# under 20/40 bytes (3 each).
malformed=$(dirname "$0")/../../examples/malformed.pcap
runt='the kernel cannot test-run frames under 14 bytes'
v4='the kernel cannot test-run tc or cgroup_skb frames with an IPv4 header under 20 bytes'
v6='the kernel cannot test-run tc or cgroup_skb frames with an IPv6 header under 40 bytes'
for obj in xdp tci tce cgin cgout; do
	"$SLUICE_LOAD" run "$OBJDIR/$obj-a.o" --pcap "$malformed" >"$TMP/out" 2>"$TMP/err"
	check "run $obj-a malformed (rc)" 3 $?
	check "run $obj-a malformed: runts" "$(for n in 4 5 6 7 8; do printf '%s\tskipped\t%s\n' $n "$runt"; done)" \
		"$(sed -n '4,8p' "$TMP/out")"
	if [ $obj = xdp ]; then
		want=$(printf '9\t\n10\t\n11\t\n17\t\n18\t\n19\t')
		skipped=5
	else
		want=$(printf '9\tskipped\t%s (0 here)\n10\tskipped\t%s (10 here)\n11\tskipped\t%s (19 here)\n' "$v4" "$v4" "$v4"
		       printf '17\tskipped\t%s (1 here)\n18\tskipped\t%s (20 here)\n19\tskipped\t%s (39 here)' "$v6" "$v6" "$v6")
		skipped=11
	fi
	check "run $obj-a malformed: cut IP headers" "$want" \
		"$(sed -n '9,11p;17,19p' "$TMP/out" | sed 's/^\([0-9]*\t\)\(accept\|drop\)\t.*/\1/')"
	check "run $obj-a malformed: skipped" $skipped "$(grep -c '	skipped	' "$TMP/out")"
	grep -q "^25	\(accept\|drop\)	" "$TMP/out" && ok "run $obj-a malformed: goes on to the end" ||
		fail "run $obj-a malformed: no verdict for the last frame"
	grep -q "^total: 25 packets, [0-9]* accept, [0-9]* drop, $skipped skipped$" "$TMP/out" &&
		ok "run $obj-a malformed: total" || fail "run $obj-a malformed: total: $(grep total "$TMP/out")"
	[ -s "$TMP/err" ] && fail "run $obj-a malformed wrote errors: $(cat "$TMP/err")"
done
"$SLUICE_LOAD" run "$OBJDIR/tci-a.o" --pcap "$malformed" --json >"$TMP/out"
check "run --json malformed (rc)" 3 $?
grep -qF '{"n":4,"verdict":"skipped","reason":"the kernel cannot test-run frames under 14 bytes"}' "$TMP/out" &&
	grep -qF '"total":{"packets":25,' "$TMP/out" && grep -qF '"skipped":11},"counters":[' "$TMP/out" &&
	ok "run --json malformed" || fail "run --json malformed: $(cat "$TMP/out")"
# A frame longer than tc and cgroup_skb test runs take (a page less the skb's head- and
# tailroom: 3712 bytes with 4 KiB pages); XDP runs it.
big() { # OUT LEN: a pcap of one IPv4 frame of LEN bytes
	{
		printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
		printf '\x00\x00\x00\x00\x00\x00\x00\x00'
		printf "$(printf '\\x%02x\\x%02x\\x00\\x00' $(($2 & 255)) $(($2 >> 8)))"
		printf "$(printf '\\x%02x\\x%02x\\x00\\x00' $(($2 & 255)) $(($2 >> 8)))"
		printf '\x02\x02\x02\x02\x02\x02\x04\x04\x04\x04\x04\x04\x08\x00'
		printf '\x45\x00\x00\x14\x00\x00\x00\x00\x40\x11\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
		head -c $(($2 - 34)) /dev/zero
	} >"$1"
}
page=$(getconf PAGESIZE)
big "$TMP/big.pcap" $((page - 384 + 1))
"$SLUICE_LOAD" run "$OBJDIR/tci-a.o" --pcap "$TMP/big.pcap" >"$TMP/out" 2>"$TMP/err"
check "run tc too long (rc)" 3 $?
check "run tc too long" "$(printf '1\tskipped\tthe kernel cannot test-run tc or cgroup_skb frames over %s bytes (%s here)' $((page - 384)) $((page - 383)))" \
	"$(head -1 "$TMP/out")"
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/big.pcap" >"$TMP/out" 2>"$TMP/err"
check "run xdp long (rc)" 0 $?
big "$TMP/big.pcap" $((page - 384))
"$SLUICE_LOAD" run "$OBJDIR/cgin-a.o" --pcap "$TMP/big.pcap" >"$TMP/out" 2>"$TMP/err"
check "run cgroup_skb at the limit (rc)" 0 $?
# Without privileges: a clear error naming what is missing.
if command -v setpriv >/dev/null; then
	chmod 755 "$TMP"
	chmod 644 "$TMP/eth.pcap"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/eth.pcap" >/dev/null 2>"$TMP/err"
	check "run unprivileged (rc)" 1 $?
	grep -q "hint: .*root" "$TMP/err" && ok "run unprivileged message" || fail "run unprivileged message: $(cat "$TMP/err")"
fi
finish
