#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `sluice run --set NAME=FILE`: the interpreter looks the set up in FILE's
# elements instead of the policy's; bad files and unknown sets are usage errors.
# And `sluice diff` compares named-set policies (a set's contents are unknown).
# usage: run_sets.sh SLUICE TRAFFIC_PCAP
set -uo pipefail
sluice=$(realpath "$1")
pcap=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-run-sets.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

cat >p.sluice <<'P'
set bl { type ipv4_addr; flags interval; size 4; elements = { 10.0.0.0/8 } }
set pairs { type ipv4_addr . inet_service; size 8 }
table t {
    hook xdp
    ip saddr @bl drop
    ip saddr . tcp dport @pairs accept
    ip saddr 203.0.113.0/24 drop
}
P
# traffic.pcap: packet 3 comes from 10.1.2.3, 4 and 5 from 203.0.113.7 (to ports 22, 80),
# 6 from 192.0.2.10.
"$sluice" run p.sluice --pcap "$pcap" >policy.out || bad "run with the policy's elements"
grep -q $'^3\tdrop\tp.sluice:5:5$' policy.out || bad "10.1.2.3 is in the policy's @bl"
grep -q $'^4\tdrop\tp.sluice:7:5$' policy.out || bad "@pairs is empty: 203.0.113.7 . 22 falls to rule 3"

printf '192.0.2.0/24  # a comment\n\n# only a comment\n' >bl.txt
printf '203.0.113.7 . 22\n' >pairs.txt
"$sluice" run p.sluice --pcap "$pcap" --set bl=bl.txt --set=pairs=pairs.txt >file.out ||
	bad "run with --set"
grep -q $'^3\taccept\tpolicy$' file.out || bad "10.1.2.3 left @bl with --set"
grep -q $'^4\taccept\tp.sluice:6:5$' file.out || bad "203.0.113.7 . 22 is in --set pairs"
grep -q $'^5\tdrop\tp.sluice:7:5$' file.out || bad "203.0.113.7 . 80 is not"
grep -q $'^6\tdrop\tp.sluice:5:5$' file.out || bad "192.0.2.10 is in --set bl"

printf '10.0.0.1\nnot-an-address\n' >broken.txt
"$sluice" run p.sluice --pcap "$pcap" --set bl=broken.txt >/dev/null 2>err.txt
[ $? = 2 ] || bad "a bad element: exit 2"
grep -q '^broken.txt:2: error: ' err.txt || bad "a bad element names file:line ($(cat err.txt))"
"$sluice" run p.sluice --pcap "$pcap" --set nope=bl.txt >/dev/null 2>err.txt
[ $? = 2 ] && grep -q "no set 'nope'" err.txt || bad "an unknown set: exit 2 and its name"
printf '10.0.0.1-10.0.0.6\n' >full.txt # 3 prefixes, and the set has room for 4: fits
"$sluice" run p.sluice --pcap "$pcap" --set bl=full.txt >/dev/null || bad "3 prefixes fit in 4"
printf '10.0.0.1-10.0.0.6\n10.0.1.1-10.0.1.2\n' >full.txt # 3 + 2 prefixes: full
"$sluice" run p.sluice --pcap "$pcap" --set bl=full.txt >/dev/null 2>err.txt
[ $? = 2 ] && grep -q "is full" err.txt || bad "a full set: exit 2"
"$sluice" run p.sluice --pcap "$pcap" --set bl >/dev/null 2>err.txt
[ $? = 2 ] || bad "--set without =FILE: exit 2"
printf '10.0.0.1 timeout 10m\n' >timed.txt # bl has no flags timeout
"$sluice" run p.sluice --pcap "$pcap" --set bl=timed.txt >/dev/null 2>err.txt
[ $? = 2 ] && grep -q "^timed.txt:1: error: .*timeout" err.txt || bad "a timeout in a set without flags timeout"
# sluice diff takes a set's contents as unknown: a policy with sets equals itself
"$sluice" diff p.sluice p.sluice >out.txt 2>err.txt
[ $? = 0 ] && grep -q "^equivalent" out.txt || bad "sluice diff: a named-set policy against itself"
exit $fail
