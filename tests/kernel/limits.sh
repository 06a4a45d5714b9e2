#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Limits, meters and logs in the kernel (lang-spec/packet-semantics.md, "Rate limits"):
# test-clock objects run by sluice-load run, whose clock is the pcap's timestamps, give the
# verdicts and deciding rules of the interpreter, packet for packet, at -O0, -O1 and -O2 on
# xdp and tc; exact counts of the deterministic cases; then the real clock's bounds.
set -u
SLUICE=$1 LOAD=$2 MKPCAP=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
skip() { echo "SKIP: $*"; [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ] && exit 1; exit 77; }
check() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: want [$2] got [$3]"; fail=1; fi
}
[ "$(id -u)" = 0 ] || skip "needs root"

cat >"$T/p.sluice" <<'POL'
table edge {
    hook xdp
    policy accept
    icmp type echo-request limit rate 2/second burst 3 packets counter accept
    icmp type echo-request drop
    tcp dport 22 limit rate over 1/second burst 2 packets per ip saddr . tcp sport log prefix "ssh-probe" every 1s drop
    udp dport 53 limit rate 1 kbytes/second burst 600 bytes accept
    udp dport 53 drop
    tcp dport 22 limit rate over 2/minute per ip6 saddr/64 drop
    tcp dport 22 log prefix "ssh"
}
POL
"$MKPCAP" "$T/r.pcap" random 7 600 || exit 1
"$MKPCAP" "$T/dense.pcap" random 11 300 || exit 1
for hook in xdp "tc ingress"; do
	sed "s/hook xdp/hook $hook/" "$T/p.sluice" >"$T/h.sluice"
	for O in 0 1 2; do
		"$SLUICE" build -q -O$O --test-clock --record-decisions "$T/h.sluice" -o "$T/h.o" || exit 1
		for pcap in r dense; do
			"$SLUICE" run -q "$T/h.sluice" --pcap "$T/$pcap.pcap" >"$T/want" || exit 1
			"$LOAD" run "$T/h.o" --pcap "$T/$pcap.pcap" >"$T/got" 2>"$T/err" ||
				{ grep -q "Operation not permitted" "$T/err" && skip "BPF not usable"; cat "$T/err"; fail=1; }
			if cmp -s "$T/want" "$T/got"; then
				echo "ok: -O$O $hook $pcap: kernel = interpreter ($(grep -c drop "$T/got") drops)"
			else
				echo "FAIL: -O$O $hook $pcap"; diff "$T/want" "$T/got" | head; fail=1
			fi
		done
	done
done
# The limits decide something in these captures (else the comparison proves little).
check "limits drop some" 1 "$([ "$(grep -c 'drop.*h.sluice:5:5' "$T/want")" -gt 0 ] && [ "$(grep -c 'drop.*h.sluice:8:5' "$T/want")" -gt 0 ] && echo 1)"

# 1,000 packets in 100 ms through `limit rate 100/second burst 10`: burst 10, plus
# one packet per 10 ms refilled in the 99.9 ms after the first: 19, exactly.
cat >"$T/b.sluice" <<'POL'
table t {
    hook xdp
    policy drop
    icmp type echo-request limit rate 100/second burst 10 packets accept
}
POL
"$MKPCAP" "$T/even.pcap" even 1000 100000 || exit 1
"$SLUICE" build -q --test-clock "$T/b.sluice" -o "$T/bt.o" || exit 1
check "controlled clock: 19 of 1000 in 100 ms" "total: 1000 packets, 19 accept, 981 drop" \
	"$("$LOAD" run "$T/bt.o" --pcap "$T/even.pcap" | grep total)"
check "interpreter: 19 of 1000 in 100 ms" "total: 1000 packets, 19 accept, 981 drop" \
	"$("$SLUICE" run "$T/b.sluice" --pcap "$T/even.pcap" | grep total)"
# The real clock: as many packets as fast as test runs go; at least the burst, at most the
# burst plus what the elapsed time refills (+1 for the partial token at the end).
"$SLUICE" build -q "$T/b.sluice" -o "$T/b.o" || exit 1
start=$(date +%s%N)
got=$("$LOAD" run "$T/b.o" --pcap "$T/even.pcap" | sed -n 's/^total: 1000 packets, \([0-9]*\) accept.*/\1/p')
ns=$(($(date +%s%N) - start))
max=$((10 + 100 * ns / 1000000000 + 1))
echo "real clock: $got accepted in $((ns / 1000000)) ms (bounds 10..$max)"
check "real clock within bounds" 1 "$([ "${got:-0}" -ge 10 ] && [ "${got:-0}" -le $max ] && echo 1)"
exit $fail
