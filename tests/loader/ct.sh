#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A table that tracks connections (examples/host-firewall.sluice, built by
# SLUICE) and its companion, beyond the kill tests (kill.sh ct-*):
#   - the kernel probe: with the probed helper replaced by one no kernel has
#     (SLUICE_TEST_CT_HELPER), attach fails with the kernel requirement, not a
#     verifier dump, and attaches nothing; the real probe passes here;
#   - stats on the table shows its flow table by protocol and state (a ping
#     out makes an ICMP entry opened by an outgoing packet), stats on the
#     companion's target says what it is and shows the same flow table;
#   - replace from ct to a table without tracking and back: the companion
#     comes and goes with the flow table's pins; failures roll back (kill.sh).
# Usage: ct.sh xdp|tc SLUICE
. "$(dirname "$0")/lib.sh"
HOOK=$1 SLUICE=$2
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD
case $HOOK in
xdp) h=xdp PLAIN=$OBJDIR/xdp-a.o TARGET=(--xdp "$DEV_A" --netns "$NS_A") ;;
tc) h="tc ingress" PLAIN=$OBJDIR/tci-a.o TARGET=(--tc "$DEV_A" ingress --netns "$NS_A") ;;
*) echo "unknown hook $HOOK"; exit 2 ;;
esac
COMP=(--tc "$DEV_A" egress --netns "$NS_A")
sed "s/hook xdp/hook $h/" "$(dirname "$0")/../../examples/host-firewall.sluice" >"$TMP/ct.sluice"
"$SLUICE" build "$TMP/ct.sluice" -o "$TMP/ct.o" || { fail "build"; finish; }

# The probe.
SLUICE_TEST_CT_HELPER=100000 "$L" attach "$TMP/ct.o" "${TARGET[@]}" >/dev/null 2>"$TMP/err"
check "old kernel: attach fails" 1 $?
grep -q "bpf_ktime_get_coarse_ns().*lacks.*Linux >= 5.11" "$TMP/err" && ok "old kernel: says what is missing" ||
	fail "old kernel: unclear error: $(cat "$TMP/err")"
grep -qi "verifier\|PROG LOAD LOG" "$TMP/err" && fail "old kernel: a verifier dump: $(cat "$TMP/err")"
assert_clean "old kernel: nothing attached"

# Stats.
"$L" attach "$TMP/ct.o" "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "attach: $(cat "$TMP/err")"
"$L" stats "${TARGET[@]}" >"$TMP/st" || fail "stats"
grep -q "^# flow table: 0 of 65536 entries" "$TMP/st" && ok "stats: an empty flow table" ||
	fail "stats: no flow table: $(cat "$TMP/st")"
ip netns exec "$NS_A" ping -c 1 -W 2 $IP_B >/dev/null || fail "ping out"
"$L" stats "${TARGET[@]}" >"$TMP/st"
grep -q "^# flow table: 1 of 65536 entries;.* icmp: 1; 1 opened by outgoing packets" "$TMP/st" &&
	ok "stats: the ping's flow" || fail "stats: $(grep flow "$TMP/st")"
"$L" stats "${TARGET[@]}" --json | grep -q '"flows":{"entries":1,"max":65536,"expired":0,"outgoing":1,.*"icmp":1}' &&
	ok "stats --json: the ping's flow" || fail "stats --json: $("$L" stats "${TARGET[@]}" --json | tail -c 300)"
"$L" stats "${COMP[@]}" >"$TMP/cst" || fail "stats of the companion"
grep -q "runs the connection tracking companion of table host, attached as $h on $DEV_A" "$TMP/cst" &&
	ok "stats: the companion says what it is" || fail "stats of the companion: $(cat "$TMP/cst")"
grep -q "^# flow table: 1 of 65536 entries" "$TMP/cst" && ok "stats: the companion's flow table is the table's" ||
	fail "stats of the companion: $(cat "$TMP/cst")"
grep -q "^	" "$TMP/cst" && fail "stats of the companion lists rules as its own"
"$L" stats "${COMP[@]}" --json | grep -q '"role":"companion","table_hook":"'"$h"'"' &&
	ok "stats --json: the companion's role" || fail "stats --json of the companion"

companions() { ip netns exec "$NS_A" "$HELPER" tcx-query "$DEV_A" egress | grep -c .; }
# ct -> none -> ct.
"$L" replace "$PLAIN" "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "replace with a plain table: $(cat "$TMP/err")"
check "ct to none: the companion went" 0 "$(companions)"
check "ct to none: no flow table pinned" 0 "$(find "$SLUICE_PIN_ROOT" -name flows | wc -l)"
"$L" list | grep -q "tc egress" && fail "ct to none: list shows a companion"
"$L" stats "${TARGET[@]}" | grep -q "flow table" && fail "ct to none: stats shows a flow table"
"$L" replace "$TMP/ct.o" "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "replace with ct: $(cat "$TMP/err")"
check "none to ct: the companion came" 1 "$(companions)"
check "none to ct: the flow table pinned with both" 2 "$(find "$SLUICE_PIN_ROOT" -name flows | wc -l)"
"$L" stats "${TARGET[@]}" | grep -q "^# flow table: 0 of" && ok "none to ct: a new flow table" || fail "none to ct: stats"
"$L" detach "${TARGET[@]}" >/dev/null || fail "detach"
assert_clean "detach: table and companion gone"
finish
