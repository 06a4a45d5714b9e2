#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# `sluice run`: golden output over examples/traffic.pcap and examples/malformed.pcap
# (text and JSON, an XDP, a TC and a cgroup_skb table; every frame of the second,
# runts and cut headers included, is judged, exit 0), and its errors.
#   run_test.sh SLUICE SOURCE_DIR
set -u
sluice=$1 src=$2
here=$src/tests/unit/interp/run
tmp=$(mktemp -d /tmp/sluice-interp-runtest.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

golden() { # NAME ARGS...
	name=$1
	shift
	(cd "$src/examples" && "$sluice" run "$@") >"$tmp/out" 2>&1
	if ! diff -u "$here/$name" "$tmp/out"; then
		echo "run_test: $name differs (update with: cd examples && sluice run $*)" >&2
		fail=1
	fi
}

fails() { # EXIT MESSAGE ARGS...
	want=$1 msg=$2
	shift 2
	(cd "$src/examples" && "$sluice" run "$@") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc != "$want" ] || ! grep -q "$msg" "$tmp/err"; then
		echo "run_test: 'sluice run $*' exited $rc (want $want) with:" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
}

golden edge.expected edge.sluice --pcap traffic.pcap
golden service.json.expected service.sluice --pcap traffic.pcap --json
golden dualstack.expected dualstack.sluice --table port_in --pcap traffic.pcap
golden edge.malformed.expected edge.sluice --pcap malformed.pcap
golden service.malformed.json.expected service.sluice --pcap malformed.pcap --json
golden dualstack.malformed.expected dualstack.sluice --table port_in --pcap malformed.pcap
for args in "edge.sluice" "service.sluice" "dualstack.sluice --table port_in"; do
	(cd "$src/examples" && "$sluice" run $args --pcap malformed.pcap) >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc != 0 ] || [ -s "$tmp/err" ]; then
		echo "run_test: 'sluice run $args --pcap malformed.pcap' exited $rc (want 0):" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
done

fails 2 "no table 'nope'" edge.sluice --table nope --pcap traffic.pcap
fails 2 "needs a policy and --pcap" edge.sluice
fails 2 "cannot read pcap" edge.sluice --pcap edge.sluice
printf 'table t {\n\thook xdp\n\ttcp dport 99999 accept\n}\n' >"$tmp/bad.sluice"
fails 1 "bad.sluice:3" "$tmp/bad.sluice" --pcap traffic.pcap
# a raw-IP capture: one IPv4/TCP packet to port 80 (LINKTYPE_RAW 101)
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\145\000\000\000' >"$tmp/raw.pcap"
printf '\000\000\000\000\000\000\000\000\050\000\000\000\050\000\000\000' >>"$tmp/raw.pcap"
printf '\105\000\000\050\000\000\000\000\100\006\000\000\012\000\000\001\012\000\000\002' >>"$tmp/raw.pcap"
printf '\004\322\000\120\000\000\000\000\000\000\000\000\120\002\000\000\000\000\000\000' >>"$tmp/raw.pcap"
(cd "$src/examples" && "$sluice" run service.sluice --pcap "$tmp/raw.pcap") >"$tmp/out" 2>&1
if ! grep -q "^1	accept	service.sluice:17:5$" "$tmp/out" ||
   ! grep -q "^counter	service.sluice:17:5	1 packets	40 bytes$" "$tmp/out"; then
	echo "run_test: raw-IP capture:" >&2
	cat "$tmp/out" >&2
	fail=1
fi
# runts have no header but their `meta` fields: meta length 0-13 accepts exactly frames 4-8
printf 'table t {\n\thook xdp\n\tpolicy drop\n\tmeta length 0-13 accept\n}\n' >"$tmp/runt.sluice"
(cd "$src/examples" && "$sluice" run "$tmp/runt.sluice" --pcap malformed.pcap) >"$tmp/out" 2>&1
if [ "$(grep -c '	accept	' "$tmp/out")" != 5 ] || [ "$(sed -n '4,8p' "$tmp/out" | grep -c '	accept	')" != 5 ]; then
	echo "run_test: runts and meta length:" >&2
	cat "$tmp/out" >&2
	fail=1
fi
# a raw-IP capture whose packet is neither IPv4 nor IPv6: skipped (exit 3), as sluice-load does
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\145\000\000\000' >"$tmp/raw2.pcap"
printf '\000\000\000\000\000\000\000\000\004\000\000\000\004\000\000\000\000\001\002\003' >>"$tmp/raw2.pcap"
(cd "$src/examples" && "$sluice" run service.sluice --pcap "$tmp/raw2.pcap") >"$tmp/out" 2>&1
rc=$?
if [ $rc != 3 ] || ! grep -q "^1	skipped	a packet of a raw-IP capture must be IPv4 or IPv6$" "$tmp/out" ||
   ! grep -q "^total: 1 packets, 0 accept, 0 drop, 1 skipped$" "$tmp/out"; then
	echo "run_test: raw-IP non-IP packet: exit $rc" >&2
	cat "$tmp/out" >&2
	fail=1
fi
exit $fail
