#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# End to end, for one hook: attach policy A, check with real traffic that it
# blocks exactly what it says; a second sluice-load process lists it and reads
# its counters; replace it with policy B under continuous traffic (no packet
# may slip through unjudged); detach restores all traffic; nothing is left.
# Usage: hooks.sh xdp|tc-ingress|tc-egress|cgroup-ingress|cgroup-egress [legacy]
. "$(dirname "$0")/lib.sh"

HOOK=$1
[ "${2:-}" = legacy ] && export SLUICE_TC_LEGACY=1
require_kernel
setup_veth || { fail "veth setup"; finish; }

# Where the program goes and which side sends through it.
IN_CG_SRV=0 IN_CG_CLI=0 PING_FILTERED=1
case $HOOK in
xdp) OBJ=xdp TARGET=(--xdp "$DEV_A" --netns "$NS_A") ;;
tc-ingress) OBJ=tci TARGET=(--tc "$DEV_A" ingress --netns "$NS_A") ;;
tc-egress) OBJ=tce TARGET=(--tc "$DEV_B" egress --netns "$NS_B") ;;
cgroup-ingress)
	setup_cgroup
	OBJ=cgin TARGET=(--cgroup "$CG" ingress) IN_CG_SRV=1
	PING_FILTERED=0 # the kernel answers echo requests itself, no socket of the cgroup sees them
	;;
cgroup-egress)
	setup_cgroup
	OBJ=cgout TARGET=(--cgroup "$CG" egress) IN_CG_CLI=1
	;;
*) echo "unknown hook $HOOK"; exit 2 ;;
esac

srv() { IN_CG=$IN_CG_SRV in_ns "$NS_A" "$@"; }
cli() { IN_CG=$IN_CG_CLI in_ns "$NS_B" "$@"; }

ping_ok() { cli ping -c1 -W1 $IP_A >/dev/null 2>&1 && echo pass || echo blocked; }
tcp_ok() { # PORT
	rm -f "$TMP/serve"
	srv "$HELPER" tcp-serve "$1" 5000 > "$TMP/serve" &
	local pid=$!
	while ! grep -q ready "$TMP/serve" 2>/dev/null; do sleep 0.05; done
	local r=blocked
	cli "$HELPER" tcp-connect $IP_A "$1" 800 && r=pass
	kill -TERM "$(awk '/ready/ { print $2 }' "$TMP/serve")" 2>/dev/null
	wait $pid
	echo $r
}
# udp_count PORT COUNT GAP_US: datagrams the server received out of COUNT sent.
udp_count() {
	local ms=$(($2 * $3 / 1000 + 1500))
	rm -f "$TMP/recv" # a stale "ready" would start the sender before the bind
	srv "$HELPER" udp-recv "$1" $ms > "$TMP/recv" &
	local pid=$!
	while ! grep -q ready "$TMP/recv" 2>/dev/null; do sleep 0.05; done
	cli "$HELPER" udp-send $IP_A "$1" "$2" "$3" >/dev/null
	sleep 0.3 # datagrams in flight on the veth
	kill -TERM "$(awk '/ready/ { print $2 }' "$TMP/recv")" 2>/dev/null
	wait $pid
	tail -n1 "$TMP/recv"
}
counter_of() { # TEXT: packets of the rule with this text, from a fresh process
	"$SLUICE_LOAD" stats "${TARGET[@]}" --json |
		grep -F "\"text\":\"$1\"" | sed -n 's/.*"counter":{"packets":\([0-9]*\).*/\1/p'
}

# Before: everything passes.
check "baseline udp 7777" 20 "$(udp_count 7777 20 0)"
[ $PING_FILTERED = 1 ] && check "baseline ping" pass "$(ping_ok)"

out=$("$SLUICE_LOAD" attach "$OBJDIR/$OBJ-a.o" "${TARGET[@]}" 2>&1)
check "attach policy A (rc)" 0 $?
echo "$out"

# Policy A: drops udp 7777, icmp echo-request, tcp 8888; counts udp 7778.
check "A: udp 7777 dropped" 0 "$(udp_count 7777 20 0)"
check "A: udp 7778 accepted" 20 "$(udp_count 7778 20 0)"
[ $PING_FILTERED = 1 ] && check "A: ping dropped" blocked "$(ping_ok)"
check "A: tcp 8888 dropped" blocked "$(tcp_ok 8888)"
check "A: tcp 9999 passes" pass "$(tcp_ok 9999)"

# A second process finds the attachment and its counters.
list=$("$SLUICE_LOAD" list --json)
echo "$list" | grep >/dev/null '"status":"attached"' && ok "list: found attached" || fail "list: $list"
echo "$list" | grep >/dev/null "\"program_id\":[1-9]" || fail "list: no program id: $list"
check "stats: udp 7777 counter" 20 "$(counter_of 'udp dport 7777 counter drop')"
check "stats: udp 7778 counter" 20 "$(counter_of 'udp dport 7778 counter accept')"
"$SLUICE_LOAD" stats "${TARGET[@]}" | grep >/dev/null 'udp dport 7778 counter packets 20 bytes [1-9][0-9]* accept' &&
	ok "stats text" || fail "stats text: $("$SLUICE_LOAD" stats "${TARGET[@]}")"

# Replace A and B back and forth under continuous udp 7777 traffic, which both drop.
srv "$HELPER" udp-recv 7777 20000 > "$TMP/under" &
rpid=$!
while ! grep -q ready "$TMP/under" 2>/dev/null; do sleep 0.05; done
cli "$HELPER" udp-send $IP_A 7777 3000 1000 > "$TMP/sent" &
spid=$!
replaces=0
for p in b a b a b; do
	sleep 0.3
	"$SLUICE_LOAD" replace "$OBJDIR/$OBJ-$p.o" "${TARGET[@]}" >/dev/null && replaces=$((replaces + 1))
done
wait $spid
sleep 0.3
kill -TERM "$(awk '/ready/ { print $2 }' "$TMP/under")" 2>/dev/null
wait $rpid
check "replaces under traffic succeeded" 5 $replaces
check "no packet slipped through during replaces (sent $(cat "$TMP/sent"))" 0 "$(tail -n1 "$TMP/under")"
c=$(counter_of 'udp dport 7777 counter drop')
sent=$(cat "$TMP/sent")
echo "udp 7777 counter after replaces: $c (20 before + $sent sent)"
# The counter is carried over each replace exactly: the old program's counts are
# read once it cannot run any more, and the new program's map is never written.
check "counter carried over replaces exactly" $((20 + sent)) "$c"

# Policy B now: ping and tcp 8888 pass, tcp 9999 dropped, udp 7777 still dropped.
[ $PING_FILTERED = 1 ] && check "B: ping passes" pass "$(ping_ok)"
check "B: tcp 8888 passes" pass "$(tcp_ok 8888)"
check "B: tcp 9999 dropped" blocked "$(tcp_ok 9999)"
check "B: udp 7777 dropped" 0 "$(udp_count 7777 10 0)"
"$SLUICE_LOAD" list | grep >/dev/null "$OBJ\|edge" && ok "list text" || fail "list text"

# Detach restores traffic and leaves nothing behind.
"$SLUICE_LOAD" detach "${TARGET[@]}"
check "detach (rc)" 0 $?
check "after detach: udp 7777 passes" 20 "$(udp_count 7777 20 0)"
[ $PING_FILTERED = 1 ] && check "after detach: ping passes" pass "$(ping_ok)"
check "after detach: tcp 9999 passes" pass "$(tcp_ok 9999)"
check "list after detach" "[]" "$("$SLUICE_LOAD" list --json)"
if [ "${SLUICE_TC_LEGACY:-0}" = 1 ]; then
	# Legacy detach removes the filter; the clsact qdisc sluice created goes with it.
	:
fi
assert_clean "after detach"
finish
