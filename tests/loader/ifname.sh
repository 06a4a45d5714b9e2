#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Interface names (`meta iifname`, `meta iif`): the loader resolves them where
# it attaches and writes their indexes before load.
#  1. BPF_PROG_TEST_RUN (sluice-load run; test runs see ifindex 1, "lo") on
#     every hook (oifname/oif on the egress ones), against the interpreter's
#     verdicts (sluice run) and the expected ones.
#  2. `meta iif` of a missing interface is a load error naming it; `iifname`
#     of one matches nothing. `sluice run --ifname` gives names indexes.
#  3. End to end: two veth pairs into one namespace, XDP on both with
#     `meta iifname "<first>" drop`: only the first one's traffic is dropped;
#     the same with `meta iif`, whose name exists only in that namespace
#     (--netns: resolved there, not in the loader's).
# usage: ifname.sh SLUICE
. "$(dirname "$0")/lib.sh"
SLUICE=$1
require_kernel
MISSING=nosuch$ID

"$HELPER" mkpcap "$TMP/p.pcap" eth udp:1 udp:2 udp:3 udp:4 udp:5 udp:6 >/dev/null
expect="drop accept accept drop drop accept"
for hook in xdp "tc ingress" "cgroup_skb ingress" "tc egress" "cgroup_skb egress"; do
	name=iifname index=iif
	case $hook in *egress) name=oifname index=oif ;; esac
	cat >"$TMP/t.sluice" <<POL
table t {
    hook $hook
    meta $name "lo" udp dport 1 drop
    meta $name "$MISSING" udp dport 2 drop
    meta $name != "lo" udp dport 3 drop
    meta $name { "$MISSING", "lo" } udp dport 4 drop
    meta $name != "$MISSING" udp dport 5 drop
    meta $index "lo" udp dport 6 accept
}
POL
	"$SLUICE" build -o "$TMP/t.o" "$TMP/t.sluice" || { fail "$hook: build"; continue; }
	kern=$("$SLUICE_LOAD" run "$TMP/t.o" --pcap "$TMP/p.pcap" | awk -F'\t' '$1 ~ /^[0-9]+$/ { printf "%s ", $2 }')
	interp=$("$SLUICE" run "$TMP/t.sluice" --pcap "$TMP/p.pcap" | awk -F'\t' '$1 ~ /^[0-9]+$/ { printf "%s ", $2 }')
	check "$hook: kernel verdicts" "$expect " "$kern"
	check "$hook: interpreter verdicts" "$expect " "$interp"
done

# 2. A missing `iif` interface is a load error; the interpreter takes --ifname.
cat >"$TMP/iif.sluice" <<POL
table t {
    hook xdp
    meta iif "$MISSING" drop
}
POL
"$SLUICE" build -o "$TMP/iif.o" "$TMP/iif.sluice" || fail "build iif"
if "$SLUICE_LOAD" run "$TMP/iif.o" --pcap "$TMP/p.pcap" >/dev/null 2>"$TMP/err"; then
	fail "meta iif of a missing interface loaded"
else
	grep -q "no interface is called '$MISSING'" "$TMP/err" && ok "missing iif: load error" ||
		fail "missing iif: error does not name it: $(cat "$TMP/err")"
fi
"$SLUICE" run "$TMP/iif.sluice" --pcap "$TMP/p.pcap" >/dev/null 2>&1 &&
	fail "sluice run: missing iif accepted" || ok "sluice run: missing iif refused"
out=$("$SLUICE" run "$TMP/iif.sluice" --pcap "$TMP/p.pcap" --ifname "$MISSING=1" | awk -F'\t' 'NR == 1 { print $2 }')
check "sluice run --ifname NAME=1" drop "$out"

# 3. End to end: DEV_A (peer DEV_B in NS_B) and DEV_C (peer DEV_D in NS_C), both in NS_A.
setup_veth || { fail "veth setup"; finish; }
NS_C=sluice-loader-$ID-c
DEV_C=sllc$ID
DEV_D=slld$ID
IP_C=10.202.0.1
IP_D=10.202.0.2
trap 'ip netns del "$NS_C" 2>/dev/null; cleanup' EXIT
ip netns add "$NS_C" || { fail "netns $NS_C"; finish; }
ip link add "$DEV_C" netns "$NS_A" type veth peer name "$DEV_D" netns "$NS_C" || { fail "veth C"; finish; }
ip -n "$NS_A" addr add $IP_C/24 dev "$DEV_C"
ip -n "$NS_C" addr add $IP_D/24 dev "$DEV_D"
ip -n "$NS_A" link set "$DEV_C" up
ip -n "$NS_C" link set "$DEV_D" up
ip -n "$NS_C" link set lo up
for _ in $(seq 50); do
	ip netns exec "$NS_C" ping -c1 -W1 $IP_C >/dev/null 2>&1 && break
	sleep 0.1
done

pings() { # "<from B> <from C>": ok or lost
	local b c
	ip netns exec "$NS_B" ping -c1 -W1 $IP_A >/dev/null 2>&1 && b=ok || b=lost
	ip netns exec "$NS_C" ping -c1 -W1 $IP_C >/dev/null 2>&1 && c=ok || c=lost
	echo "$b $c"
}
check "before: both pass" "ok ok" "$(pings)"
for word in iifname iif; do
	cat >"$TMP/e2e.sluice" <<POL
table t {
    hook xdp
    meta $word "$DEV_A" drop
}
POL
	"$SLUICE" build -o "$TMP/e2e-$word.o" "$TMP/e2e.sluice" || { fail "build e2e $word"; continue; }
	for dev in "$DEV_A" "$DEV_C"; do
		"$SLUICE_LOAD" attach "$TMP/e2e-$word.o" --xdp "$dev" --netns "$NS_A" >/dev/null ||
			fail "$word: attach on $dev"
	done
	check "meta $word \"$DEV_A\": only $DEV_A's traffic dropped" "lost ok" "$(pings)"
	for dev in "$DEV_A" "$DEV_C"; do
		"$SLUICE_LOAD" detach --xdp "$dev" --netns "$NS_A" >/dev/null || fail "$word: detach $dev"
	done
done
check "after: both pass" "ok ok" "$(pings)"
# The name exists in NS_A only: resolved in the loader's namespace, iif would fail.
if "$SLUICE_LOAD" run "$TMP/e2e-iif.o" --pcap "$TMP/p.pcap" >/dev/null 2>&1; then
	fail "iif \"$DEV_A\" resolved outside its namespace"
else
	ok "iif \"$DEV_A\": unknown outside $NS_A"
fi
finish
