#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 25's question, answered with real traffic in the VM: does a cgroup_skb
# program attached on this kernel see IP fields? live-in.o on the server's
# cgroup (ingress) and live-out.o on the client's (egress) judge TCP
# connections between two network namespaces over veth by IPv4 and IPv6
# addresses and ports; verdicts by traffic, matches by `sluice-load stats`.
# Usage: cgroup-live.sh OBJDIR (the compiled policies/live-*.sluice)
set -uo pipefail
objs=$1
ID=$$
NS_A=vmlive-$ID-a NS_B=vmlive-$ID-b DEV_A=vla$ID DEV_B=vlb$ID
CG_ROOT=/sys/fs/cgroup
CG_SRV=$CG_ROOT/vmlive-$ID-srv CG_CLI=$CG_ROOT/vmlive-$ID-cli
FAILS=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }

cleanup() {
	set +e
	sluice-load detach --cgroup "$CG_SRV" ingress >/dev/null 2>&1
	sluice-load detach --cgroup "$CG_CLI" egress >/dev/null 2>&1
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	for cg in "$CG_SRV" "$CG_CLI"; do
		while read -r p; do echo "$p" > "$CG_ROOT/cgroup.procs"; done < "$cg/cgroup.procs" 2>/dev/null
		rmdir "$cg" 2>/dev/null
	done
}
trap cleanup EXIT

ip netns add "$NS_A" && ip netns add "$NS_B" || { echo "FAIL: netns"; exit 1; }
ip link add "$DEV_A" netns "$NS_A" type veth peer name "$DEV_B" netns "$NS_B" || { echo "FAIL: veth"; exit 1; }
ip -n "$NS_A" addr add 10.202.0.1/24 dev "$DEV_A"
ip -n "$NS_B" addr add 10.202.0.2/24 dev "$DEV_B"
ip -n "$NS_A" addr add fd00:25::1/64 dev "$DEV_A" nodad
ip -n "$NS_B" addr add fd00:25::2/64 dev "$DEV_B" nodad
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set "$DEV_A" up
ip -n "$NS_B" link set "$DEV_B" up
mkdir "$CG_SRV" "$CG_CLI" || { echo "FAIL: cgroups"; exit 1; }

# in_cg CGROUP NS CMD...: runs CMD in the namespace, as a process of the cgroup.
in_cg() { sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$1" ip netns exec "$2" "${@:3}"; }

# tcp ADDR PORT: pass when the client in B connects to a server in A, else blocked.
tcp() {
	in_cg "$CG_SRV" "$NS_A" nc -l -p "$2" </dev/null >/dev/null 2>&1 &
	local srv=$! r=blocked
	sleep 0.3 # the listener binds
	in_cg "$CG_CLI" "$NS_B" nc -w 2 "$1" "$2" </dev/null >/dev/null 2>&1 && r=pass
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	echo $r
}
packets() { # HOOK-ARGS... -- RULE TEXT: packets counted for that rule
	local args=() text
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	text=$2
	sluice-load stats "${args[@]}" | grep -F "$text counter packets" |
		sed 's/.*counter packets \([0-9]*\).*/\1/'
}

check "baseline: tcp 7001 over IPv4" pass "$(tcp 10.202.0.1 7001)"
check "baseline: tcp 7004 over IPv6" pass "$(tcp fd00:25::1 7004)"

sluice-load attach "$objs/live-in.o" --cgroup "$CG_SRV" ingress >/dev/null &&
	ok "attach live-in.o (cgroup_skb ingress)" || fail "attach live-in.o"
sluice-load attach "$objs/live-out.o" --cgroup "$CG_CLI" egress >/dev/null &&
	ok "attach live-out.o (cgroup_skb egress)" || fail "attach live-out.o"

check "ingress: ip saddr 10.202.0.2 tcp dport 7001 drops" blocked "$(tcp 10.202.0.1 7001)"
check "ingress: ip6 saddr fd00:25::2 tcp dport 7002 drops" blocked "$(tcp fd00:25::1 7002)"
check "ingress: tcp 7001 over IPv6 passes" pass "$(tcp fd00:25::1 7001)"
check "ingress: tcp 7003 over IPv4 passes" pass "$(tcp 10.202.0.1 7003)"
check "ingress: tcp 7003 over IPv6 passes" pass "$(tcp fd00:25::1 7003)"
check "egress: ip daddr 10.202.0.1 tcp dport 7004 drops" blocked "$(tcp 10.202.0.1 7004)"
check "egress: ip6 daddr fd00:25::1 tcp dport 7004 drops" blocked "$(tcp fd00:25::1 7004)"
check "egress: tcp 7005 over IPv4 passes" pass "$(tcp 10.202.0.1 7005)"

# The rules that decided saw the packets (a fresh process reads the pinned counters).
in_srv=(--cgroup "$CG_SRV" ingress) out_cli=(--cgroup "$CG_CLI" egress)
for r in "ip saddr 10.202.0.2 tcp dport 7001" "ip6 saddr fd00:25::2 tcp dport 7002" \
	"ip saddr 10.202.0.0/24 tcp dport 7003" "ip6 saddr fd00:25::/64 tcp dport 7003"; do
	n=$(packets "${in_srv[@]}" -- "$r")
	[ -n "$n" ] && [ "$n" -gt 0 ] && ok "stats: '$r' counted $n" || fail "stats: '$r' counted '$n'"
done
for r in "ip daddr 10.202.0.1 tcp dport 7004" "ip6 daddr fd00:25::1 tcp dport 7004" \
	"meta l4proto tcp tcp dport 7005"; do
	n=$(packets "${out_cli[@]}" -- "$r")
	[ -n "$n" ] && [ "$n" -gt 0 ] && ok "stats: '$r' counted $n" || fail "stats: '$r' counted '$n'"
done

sluice-load detach "${in_srv[@]}" >/dev/null && sluice-load detach "${out_cli[@]}" >/dev/null &&
	ok "detach both" || fail "detach"
check "after detach: tcp 7001 over IPv4" pass "$(tcp 10.202.0.1 7001)"
check "after detach: tcp 7004 over IPv6" pass "$(tcp fd00:25::1 7004)"
[ $FAILS = 0 ] && { echo "all checks passed"; exit 0; }
echo "$FAILS check(s) failed"
exit 1
