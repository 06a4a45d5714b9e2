#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# ct state, a named set, a meter and logs in one attached table (xdp, or tc with
# `accept next`), real traffic over a veth: pings open flows and their replies
# come back, a meter drops a UDP burst past its rate and logs it, an address
# added to the set at run time is then dropped and logged, stats, log and
# set list read the object's maps, detach leaves nothing.
# Usage: combined.sh xdp|tc SLUICE
. "$(dirname "$0")/lib.sh"
HOOK=$1 SLUICE=$2
require_kernel
setup_veth || { echo "FAIL: veth setup"; exit 1; }
case $HOOK in
xdp) TARGET=(--xdp "$DEV_A" --netns "$NS_A") hookline="hook xdp" next= ;;
tc) TARGET=(--tc "$DEV_A" ingress --netns "$NS_A") hookline="hook tc ingress" next="accept next" ;;
*) echo "usage: combined.sh xdp|tc SLUICE"; exit 2 ;;
esac
cat >"$TMP/c.sluice" <<POL
set block {
    type ipv4_addr
    flags interval
    size 64
}
set svc {
    type inet_service
    elements = { 7777, 7778 }
}
table c {
    $hookline
    policy drop
    $next
    ether type arp accept
    ip saddr @block log prefix "blocked" counter drop
    ct state established,related counter accept
    ct state invalid counter drop
    udp dport @svc ct state new limit rate over 2/second burst 2 packets per ip saddr . udp dport log prefix "udp-over" counter drop
    udp dport @svc ct state new counter accept
    icmp type echo-request ct state new limit rate 50/second burst 10 packets counter accept
}
POL
"$SLUICE" build -q "$TMP/c.sluice" -o "$TMP/c.o" || { echo "FAIL: build"; exit 1; }
"$SLUICE_LOAD" attach "$TMP/c.o" "${TARGET[@]}"
check "attach (rc)" 0 $?

# echo requests: new, then established (the first reply went through the companion)
got=$(ip netns exec "$NS_B" ping -q -i 0.05 -c 3 -W 1 $IP_A 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p')
check "pings answered" 3 "${got:-0}"

# 10 datagrams at once from one source port: no reply, all new; 2 under the meter's rate
ip netns exec "$NS_B" "$HELPER" udp-send $IP_A 7777 10 0 >/dev/null
stats=$("$SLUICE_LOAD" stats "${TARGET[@]}")
echo "$stats"
echo "$stats" | grep -q "c.sluice:18:5	meter: 1 of 65536 keys, over the limit 8 times" &&
	ok "stats: the meter's key and hits over it" || fail "stats (meter)"
echo "$stats" | grep -q '"udp-over" counter packets 8 .*c.sluice:18:5$' && ok "stats: 8 dropped by the meter" || fail "stats: meter rule counter"
echo "$stats" | grep -q 'new counter packets 2 .*c.sluice:19:5$' && ok "stats: 2 accepted new" || fail "stats: accept rule counter"
echo "$stats" | grep -q 'established,related counter packets 2 .*c.sluice:16:5$' && ok "stats: 2 echo requests established" || fail "stats: established counter"
sleep 0.2
lines=$("$SLUICE_LOAD" log "${TARGET[@]}" 2>/dev/null)
check "log: the meter's 8 drops" 8 "$(echo "$lines" | grep -c "c.sluice:18 \"udp-over\" drop udp $IP_B:[0-9]* -> $IP_A:7777")"

# the set at run time: B's address blocked, pings dropped and logged
"$SLUICE_LOAD" set add "${TARGET[@]}" block $IP_B/32 || fail "set add"
check "set list" 1 "$("$SLUICE_LOAD" set list "${TARGET[@]}" block 2>/dev/null | grep -c "$IP_B")"
got=$(ip netns exec "$NS_B" ping -q -i 0.05 -c 2 -W 1 $IP_A 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p')
check "pings from a blocked address" 0 "${got:-0}"
sleep 0.2
check "log: blocked pings" 2 "$("$SLUICE_LOAD" log "${TARGET[@]}" 2>/dev/null | grep -c "c.sluice:15 \"blocked\" drop icmp $IP_B")"
"$SLUICE_LOAD" set del "${TARGET[@]}" block $IP_B/32 || fail "set del"
got=$(ip netns exec "$NS_B" ping -q -i 0.05 -c 2 -W 1 $IP_A 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p')
check "pings after set del" 2 "${got:-0}"

"$SLUICE_LOAD" detach "${TARGET[@]}" || fail "detach"
assert_clean "after detach"
finish
