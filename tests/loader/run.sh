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
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/short.pcap" >/dev/null 2>"$TMP/err"
check "raw pcap with a non-IP packet (rc)" 1 $?
grep -q "is not IPv4 or IPv6" "$TMP/err" && ok "non-IP message" || fail "non-IP: $(cat "$TMP/err")"
# Without privileges: a clear error naming what is missing.
if command -v setpriv >/dev/null; then
	chmod 755 "$TMP"
	chmod 644 "$TMP/eth.pcap"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/eth.pcap" >/dev/null 2>"$TMP/err"
	check "run unprivileged (rc)" 1 $?
	grep -q "hint: .*root" "$TMP/err" && ok "run unprivileged message" || fail "run unprivileged message: $(cat "$TMP/err")"
fi
finish
