#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# sluice-load on objects written by the compiler's own object writer
# (tests/object's samples: one table per hook in all.o, chains, counters):
# table selection, run on every table, attach of the XDP and tc tables, stats
# naming the shared chain, wrong-table refusal.
# Usage: writer-compat.sh WRITE_SAMPLES
. "$(dirname "$0")/lib.sh"
require_kernel
samples=$1
"$samples" "$TMP" || { fail "object_write_samples"; finish; }
ip -n "$NS_A" link add "$DEV_A" type veth peer name "${DEV_A}p"
ip -n "$NS_A" link set "$DEV_A" up
"$HELPER" mkpcap "$TMP/p.pcap" eth udp:7777 icmp:8 tcp:25 arp
L=$SLUICE_LOAD

$L run "$TMP/all.o" --pcap "$TMP/p.pcap" >/dev/null 2>"$TMP/err"
check "multi-table object needs --table (rc)" 1 $?
grep -q "holds 5 tables" "$TMP/err" && grep -q "edge (xdp), tc_in (tc ingress)" "$TMP/err" &&
	ok "the error lists the tables" || fail "table list: $(cat "$TMP/err")"
for t in edge tc_in tc_out cg_in cg_out; do
	out=$($L run "$TMP/all.o" --table $t --pcap "$TMP/p.pcap")
	check "run --table $t (rc)" 0 $?
	echo "$out" | grep >/dev/null "^total: 4 packets" && ok "run $t: 4 packets judged" || fail "run $t: $out"
done
check "run pass.o" "$(printf '1\taccept\t?\n2\taccept\t?\n3\taccept\t?\n4\taccept\t?\ntotal: 4 packets, 4 accept, 0 drop')" \
	"$($L run "$TMP/pass.o" --pcap "$TMP/p.pcap")"

X=(--netns "$NS_A")
$L attach "$TMP/all.o" --table edge --xdp "$DEV_A" "${X[@]}" >/dev/null
check "attach table edge to xdp" 0 $?
$L attach "$TMP/all.o" --table tc_in --tc "$DEV_A" ingress "${X[@]}" >/dev/null
check "attach table tc_in to tc ingress" 0 $?
$L attach "$TMP/all.o" --table tc_out --tc "$DEV_A" egress "${X[@]}" >/dev/null 2>&1
check "attach table tc_out to tc egress" 0 $?
$L attach "$TMP/all.o" --table cg_in --tc "$DEV_A" ingress "${X[@]}" >/dev/null 2>&1
check "cgroup table on tc refused" 1 $?
check "three attachments listed" 3 "$($L list --json | grep -c '"status":"attached"')"
$L stats --tc "$DEV_A" ingress "${X[@]}" | grep >/dev/null "^chain quarantine {" && ok "stats shows the shared chain" ||
	fail "stats: $($L stats --tc "$DEV_A" ingress "${X[@]}")"
for h in "--xdp $DEV_A" "--tc $DEV_A ingress" "--tc $DEV_A egress"; do
	$L detach $h "${X[@]}" >/dev/null || fail "detach $h"
done
assert_clean "end"
finish
