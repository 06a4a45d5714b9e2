#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# `sluice run`: golden output over examples/traffic.pcap (text and JSON, an XDP,
# a TC and a cgroup_skb table), and its errors.
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
exit $fail
