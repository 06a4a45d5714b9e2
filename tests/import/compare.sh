#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# An importer against netfilter, packet by packet:
#   compare.sh NAME KIND RULESET IMPORT CHAIN TABLE FAMILY [COUNT]
# KIND iptables|ip6tables|nft. RULESET is loaded into netfilter in a scratch
# network namespace (iptables-restore / nft -f); IMPORT (the same ruleset as
# iptables-save or nft -j wrote it) goes through `sluice import`. CHAIN (the
# iptables chain, or the nft hook) is moved onto INPUT in the namespace; TABLE is
# the sluice table it became. COUNT generated frames (default 2500, FAMILY 4, 6
# or 46) are sent through a veth into the namespace: a raw socket there sees a
# packet only after INPUT accepted it. The same frames go through `sluice run`
# and, compiled, through the kernel (sluice-load run); every verdict must agree.
# Connection tracking is off in the namespace (notrack) unless the import
# tests `ct state`: then it is on, and see step 3 for what the frames avoid.
# Environment: SLUICE, SLUICE_LOAD, NFCOMPARE (set by CMakeLists.txt).
set -euo pipefail
name=$1 kind=$2 ruleset=$3 import=$4 chain=$5 table=$6 family=$7 count=${8:-2500}
ID=$$
NSA=sli-$ID-a NSB=sli-$ID-b NSC=sli-$ID-c DA=slia$ID DB=eth0
export SLUICE_PIN_ROOT=/sys/fs/bpf/sluice-import-$ID
tmp=$(mktemp -d /tmp/sluice-import-$ID.XXXXXX)

skip() {
	echo "SKIP: $*"
	[ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ] && { echo "FAIL: SLUICE_REQUIRE_KERNEL=1"; exit 1; }
	exit 77
}
cleanup() {
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	ip netns del "$NSC" 2>/dev/null || true
	rm -rf "$tmp" "$SLUICE_PIN_ROOT"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
case $kind in
iptables | ip6tables) restore=$kind-restore ;;
nft) restore=nft ;;
esac
command -v "$restore" >/dev/null || skip "$restore is not installed (scripts/install-deps)"

# 1. the import
imp_kind=$kind
[ "$kind" = ip6tables ] && imp_kind=iptables
"$SLUICE" import "$imp_kind" "$import" --skip-unsupported -o "$tmp/p.sluice" 2>"$tmp/import.err" || {
	cat "$tmp/import.err"
	echo "FAIL: $name: import"
	exit 1
}
# a test of this test: a planted change to the imported policy must be caught
if [ -n "${SLUICE_IMPORT_MUTATE:-}" ]; then
	cp "$tmp/p.sluice" "$tmp/orig.sluice"
	sed -i -e "$SLUICE_IMPORT_MUTATE" "$tmp/p.sluice"
	! cmp -s "$tmp/p.sluice" "$tmp/orig.sluice" || { echo "FAIL: $name: the mutation changed nothing"; exit 1; }
fi
"$SLUICE" build -q "$tmp/p.sluice" -o "$tmp/p.o"

# 2. the namespace: every address is local (AnyIP), any source accepted
ip netns add "$NSA" && ip netns add "$NSB" || skip "cannot create network namespaces"
# $DB is the name of the device in $NSB only (created there): eth0, which rulesets name
ip link add "$DA" netns "$NSA" type veth peer name "$DB" netns "$NSB"
ip -n "$NSA" link set "$DA" up
ip -n "$NSB" link set lo up
ip -n "$NSB" link set "$DB" up
for k in all default "$DB"; do
	ip netns exec "$NSB" sysctl -qw net.ipv4.conf.$k.rp_filter=0 net.ipv4.conf.$k.accept_local=1
done
ip -n "$NSB" route add local 0.0.0.0/0 dev lo table local
ip -n "$NSB" -6 route add local ::/0 dev lo table local
# link-local destinations are looked up on the arriving device
ip -n "$NSB" -6 route add local fe80::/10 dev "$DB" table local
maca=$(ip -n "$NSA" -br link show "$DA" | awk '{print $3}')
macb=$(ip -n "$NSB" -br link show "$DB" | awk '{print $3}')

# 3. the ruleset, with CHAIN on INPUT
case $kind in
iptables | ip6tables)
	# CHAIN's rules become a user chain INPUT jumps to; INPUT takes CHAIN's policy
	awk -v c="$chain" '
	/^\*/ { t = $0 }
	t == "*filter" && c != "INPUT" && $1 == ":" c { pol = $2; print ":SLXTEST - [0:0]"; next }
	t == "*filter" && c != "INPUT" && $1 == ":INPUT" { print ":SLXOLDIN - [0:0]"; next }
	t == "*filter" && c != "INPUT" && $1 == "-A" && $2 == "INPUT" { $2 = "SLXOLDIN" }
	t == "*filter" && c != "INPUT" && $1 == "-A" && $2 == c { $2 = "SLXTEST" }
	t == "*filter" && $1 == "COMMIT" && c != "INPUT" { print ":INPUT " pol " [0:0]"; print "-A INPUT -j SLXTEST" }
	{ print }' "$ruleset" >"$tmp/nf.rules"
	ip netns exec "$NSB" "$restore" <"$tmp/nf.rules"
	;;
nft)
	# the chain on hook CHAIN moves to input; the one on input (if another) to output
	sed -e "s/hook input /hook SLXOUT /; s/hook $chain /hook input /; s/hook SLXOUT /hook output /" \
		"$ruleset" >"$tmp/nf.rules"
	[ "$chain" = input ] && cp "$ruleset" "$tmp/nf.rules"
	ip netns exec "$NSB" nft -f "$tmp/nf.rules"
	;;
esac
if grep -q '^ .*ct state' "$tmp/p.sluice"; then
	# conntrack on: every frame comes from outside, one at a time, so each is
	# new, invalid or related to an earlier one (none is a reply). Two of
	# conntrack's defaults differ from sluice's flow table (import/README.md):
	# it picks up TCP connections mid-stream as new (tcp_loose), and it
	# calls a packet with a bad checksum invalid; the generator writes both.
	ip netns exec "$NSB" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 \
		net.netfilter.nf_conntrack_checksum=0
	# and a frame between two addresses the other way than an earlier one would
	# be a reply in conntrack (here, where every address is local), never in
	# sluice (its table's replies leave the host): the generator writes none
	export NFCOMPARE_ONE_WAY=1
else
	ip netns exec "$NSB" nft -f - <<'NFT'
table inet slx_notrack {
	chain pre { type filter hook prerouting priority -300; notrack; }
}
NFT
fi

# 4. the packets, judged three times
# Netfilter sees them arrive on $DB (eth0). Test runs give a packet index 1
# (the loopback device). The interpreter gets $DB as index 1 and each other
# name the policy uses an index of its own (--ifname NAME=INDEX); sluice-load
# run, which resolves names in its own namespace, runs in one whose loopback is
# renamed $DB and where each other name is a veth (so `meta iif "lo"` loads,
# as `iif lo` does in netfilter, and matches nothing).
ip netns add "$NSC" && ip -n "$NSC" link set lo name "$DB" || skip "cannot create a network namespace"
ifargs=(--ifname "$DB=1")
i=100
for n in $(grep -oE 'meta (iif|oif)(name)? (!= )?"[^"]+"' "$tmp/p.sluice" | grep -oE '"[^"]+"' | tr -d '"' | sort -u); do
	[ "$n" = "$DB" ] && continue
	ifargs+=(--ifname "$n=$i")
	i=$((i + 1))
	ip -n "$NSC" link add "$n" type veth peer name "slc$i$ID" || skip "cannot create an interface $n"
done
seed=$(printf '%s' "$name" | cksum | cut -d' ' -f1)
"$NFCOMPARE" gen "$tmp/p.sluice" "$family" "$seed" "$count" "$maca" "$macb" "$tmp/pk.pcap"
"$NFCOMPARE" judge "$tmp/pk.pcap" "$NSA" "$DA" "$NSB" >"$tmp/netfilter.txt"
"$SLUICE" run -q "$tmp/p.sluice" --table "$table" --pcap "$tmp/pk.pcap" "${ifargs[@]}" >"$tmp/run.txt"
awk -F'\t' 'NF >= 2 && $1 ~ /^[0-9]+$/ { print $1 "\t" $2 }' "$tmp/run.txt" >"$tmp/interp.txt"
ip netns exec "$NSC" "$SLUICE_LOAD" run "$tmp/p.o" --table "$table" --pcap "$tmp/pk.pcap" |
	awk -F'\t' 'NF >= 2 && $1 ~ /^[0-9]+$/ { print $1 "\t" $2 }' >"$tmp/kernel.txt"

fail=0
set +e +o pipefail
if [ -n "${SLUICE_IMPORT_MUTATE:-}" ]; then
	if cmp -s "$tmp/netfilter.txt" "$tmp/interp.txt" || cmp -s "$tmp/netfilter.txt" "$tmp/kernel.txt"; then
		echo "FAIL: $name: the planted change '$SLUICE_IMPORT_MUTATE' went unnoticed"
		exit 1
	fi
	echo "ok: $name: the planted change '$SLUICE_IMPORT_MUTATE' changed $(diff "$tmp/netfilter.txt" "$tmp/interp.txt" | grep -c '^<') verdicts"
	exit 0
fi
for side in interp kernel; do
	if ! cmp -s "$tmp/netfilter.txt" "$tmp/$side.txt"; then
		fail=1
		echo "FAIL: $name: netfilter and $side disagree on $(diff "$tmp/netfilter.txt" "$tmp/$side.txt" | grep -c '^<') packets; the first:"
		diff "$tmp/netfilter.txt" "$tmp/$side.txt" | awk '/^</ { print $2 }' | head -5 | while read -r n; do
			echo "  packet $n: netfilter $(sed -n "${n}p" "$tmp/netfilter.txt" | cut -f2), $side $(sed -n "${n}p" "$tmp/$side.txt" | cut -f2):"
			tcpdump -nn -v -r "$tmp/pk.pcap" 2>/dev/null | awk -v n="$n" '/^[0-9]/ { i++ } i == n { print "    " $0 }'
		done
	fi
done
acc=$(grep -c accept "$tmp/netfilter.txt" || true)
total=$(wc -l <"$tmp/netfilter.txt")
[ "$total" = "$count" ] || { echo "FAIL: $name: $total verdicts for $count packets"; fail=1; }
if [ $fail != 0 ]; then
	[ -n "${SLUICE_IMPORT_KEEP:-}" ] && cp -r "$tmp" "$SLUICE_IMPORT_KEEP"
	exit 1
fi
rules=$(grep -cE '^ +[a-z].* (accept|drop|jump [^ ]+|goto [^ ]+|return)$' "$tmp/p.sluice")
decided=$(awk -F'\t' '$3 ~ /:/ { print $3 }' "$tmp/run.txt" | sort -u | wc -l)
ctl=$(grep -n 'ct state' "$tmp/p.sluice" | cut -d: -f1 | tr '\n' ' ')
byct=0
[ -n "$ctl" ] && byct=$(awk -F'\t' -v l=" $ctl" '{ n = split($3, a, ":"); if (n > 2 && index(l, " " a[n - 1] " ")) c++ } END { print c + 0 }' "$tmp/run.txt")
echo "ok: $name: $count packets, $acc accepted and $((total - acc)) dropped by netfilter, the same by sluice run and the kernel; $decided distinct rules (of $rules in all tables) decided packets, the rest the policy${ctl:+; ct state rules (conntrack on) decided $byct}"
