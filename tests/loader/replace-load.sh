#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Counters are exact across replaces under load: a bounded stream of UDP
# datagrams (default 30000, 10 us apart) crosses the veth pair while the
# policy is replaced back and forth as fast as sluice-load can; both policies
# drop and count them with the same rule. Afterwards the counter equals the
# datagrams sent, exactly, and none got through.
# Usage: replace-load.sh xdp|tcx|legacy
. "$(dirname "$0")/lib.sh"

HOOK=$1
[ "$HOOK" = legacy ] && export SLUICE_TC_LEGACY=1
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD
N=${SLUICE_REPLACE_LOAD_PACKETS:-30000}
case $HOOK in
xdp) OBJ=xdp TARGET=(--xdp "$DEV_A" --netns "$NS_A") ;;
tcx | legacy) OBJ=tci TARGET=(--tc "$DEV_A" ingress --netns "$NS_A") ;;
*) echo "unknown hook $HOOK"; exit 2 ;;
esac

counter() {
	$L stats "${TARGET[@]}" --json | grep -F '"text":"udp dport 7777 counter drop"' |
		sed -n 's/.*"counter":{"packets":\([0-9]*\).*/\1/p'
}

$L attach "$OBJDIR/$OBJ-a.o" "${TARGET[@]}" >/dev/null || { fail "attach"; finish; }
ip netns exec "$NS_A" "$HELPER" udp-recv 7777 120000 >"$TMP/recv" &
rpid=$!
while ! grep -q ready "$TMP/recv" 2>/dev/null; do sleep 0.05; done
ip netns exec "$NS_B" "$HELPER" udp-send $IP_A 7777 "$N" "${SLUICE_REPLACE_LOAD_GAP_US:-10}" >"$TMP/sent" &
spid=$!
replaces=0 failed=0
while kill -0 $spid 2>/dev/null; do
	for p in b a; do
		if $L replace "$OBJDIR/$OBJ-$p.o" "${TARGET[@]}" >/dev/null 2>"$TMP/err"; then
			replaces=$((replaces + 1))
		else
			failed=$((failed + 1))
			cat "$TMP/err"
		fi
	done
done
wait $spid
sleep 0.3
kill -TERM "$(awk '/ready/ { print $2 }' "$TMP/recv")" 2>/dev/null
wait $rpid
sent=$(cat "$TMP/sent")
c=$(counter)
echo "$replaces replaces while $sent datagrams were sent; counter $c"
check "every replace succeeded" 0 $failed
[ $replaces -ge 10 ] && ok "replaced $replaces times under load" || fail "only $replaces replaces under load"
check "none got through" 0 "$(tail -n1 "$TMP/recv")"
check "counter equals the datagrams sent, exactly" "$sent" "$c"
$L detach "${TARGET[@]}" >/dev/null
assert_clean "replace under load"
finish
