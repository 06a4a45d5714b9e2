#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `accept next` on tcx: a sluice program placed before a second one (a sluice
# object that counts what it sees, attached by sluice-load --after the first)
# passes the packets it accepts on to it only with the table setting; without
# it, accept (TC_ACT_OK) ends the chain. Dropped packets never reach the
# second program either way. Then the same on legacy tc (clsact + cls_bpf):
# TCX_NEXT is TC_ACT_UNSPEC there, "the next filter".
# usage: accept-next.sh SLUICE
. "$(dirname "$0")/lib.sh"
SLUICE=$1
require_kernel
setup_veth || { fail "veth setup"; finish; }
pin=/sys/fs/bpf/sluice-loader-$ID-first

for mode in end next; do
	{
		echo "table first {"
		echo "    hook tc ingress"
		[ $mode = next ] && echo "    accept next"
		echo "    udp dport 7777 drop"
		echo "    udp dport 7778 accept"
		echo "}"
	} >"$TMP/first-$mode.sluice"
	"$SLUICE" build -o "$TMP/first-$mode.o" "$TMP/first-$mode.sluice" || { fail "build first-$mode"; finish; }
done
cat >"$TMP/second.sluice" <<'POL'
table second {
    hook tc ingress
    udp dport 7777 counter accept
    udp dport 7778 counter accept
}
POL
"$SLUICE" build -o "$TMP/second.o" "$TMP/second.sluice" || { fail "build second"; finish; }

udp_count() { # PORT COUNT: datagrams received out of COUNT sent from B to A
	rm -f "$TMP/recv"
	ip netns exec "$NS_A" "$HELPER" udp-recv "$1" 2500 >"$TMP/recv" &
	local pid=$!
	while ! grep -q ready "$TMP/recv" 2>/dev/null; do sleep 0.05; done
	ip netns exec "$NS_B" "$HELPER" udp-send $IP_A "$1" "$2" 0 >/dev/null
	sleep 0.3
	kill -TERM "$(awk '/ready/ { print $2 }' "$TMP/recv")" 2>/dev/null
	wait $pid
	tail -n1 "$TMP/recv"
}
seen() { # PORT: packets the second program counted
	"$SLUICE_LOAD" stats --tc "$DEV_A" ingress --netns "$NS_A" --json |
		grep -F "\"text\":\"udp dport $1 counter accept\"" | sed -n 's/.*"counter":{"packets":\([0-9]*\).*/\1/p'
}

# tcx is 6.6+: older kernels (Debian 12's 6.1) run the legacy part only.
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
tcx_modes="end next"
if ((kmaj < 6 || (kmaj == 6 && kmin < 6))); then
	echo "note: no tcx on $(uname -r) (6.6+): the tcx part does not run, the legacy part does"
	tcx_modes=""
fi
for mode in $tcx_modes; do
	first=$(nsenter --net=/run/netns/"$NS_A" "$TCXOBJ" "$DEV_A" ingress "$TMP/first-$mode.o" "$pin")
	[ -n "$first" ] || { fail "$mode: attach the first program"; continue; }
	"$SLUICE_LOAD" attach "$TMP/second.o" --tc "$DEV_A" ingress --netns "$NS_A" --after "$first" >/dev/null
	check "$mode: second attached after the first (rc)" 0 $?
	check "$mode: 7778 accepted by the first" 20 "$(udp_count 7778 20)"
	check "$mode: 7777 dropped by the first" 0 "$(udp_count 7777 20)"
	want=0
	[ $mode = next ] && want=20
	check "accept $mode: the second program saw $want accepted packets" $want "$(seen 7778)"
	check "accept $mode: the second program saw no dropped packet" 0 "$(seen 7777)"
	"$SLUICE_LOAD" detach --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
	rm -f "$pin" # the link goes with its pin
done

# Legacy tc: cls_bpf filters by priority; the first program's TC_ACT_UNSPEC
# (accept next) lets the next filter run, TC_ACT_OK does not.
for mode in end next; do
	"$SLUICE_LOAD" attach "$TMP/second.o" --tc "$DEV_A" ingress --netns "$NS_A" --tc-legacy >/dev/null
	check "legacy $mode: second attached (rc)" 0 $?
	# A filter with a smaller priority number runs first.
	tc -n "$NS_A" filter add dev "$DEV_A" ingress pref 1 bpf da obj "$TMP/first-$mode.o" sec tc ||
		{ fail "legacy $mode: tc filter add"; continue; }
	check "legacy $mode: 7778 accepted" 20 "$(udp_count 7778 20)"
	want=0
	[ $mode = next ] && want=20
	check "legacy accept $mode: the second filter saw $want accepted packets" $want "$(seen 7778)"
	tc -n "$NS_A" filter del dev "$DEV_A" ingress pref 1
	"$SLUICE_LOAD" detach --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
done
assert_clean "end"
finish
