#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tcx ordering: sluice's program lands before/after another program on the
# same hook as asked, verified with BPF_PROG_QUERY; traffic still flows
# through both (the foreign program passes to the next one).
. "$(dirname "$0")/lib.sh"
require_kernel
setup_veth || { fail "veth setup"; finish; }

pin=/sys/fs/bpf/sluice-loader-$ID-foreign
query() { ip netns exec "$NS_A" "$HELPER" tcx-query "$DEV_A" "$1"; }
prog_of() { "$SLUICE_LOAD" list --json | grep "\"hook\":\"tc $1\"" | sed -n 's/.*"program_id":\([0-9]*\).*/\1/p'; }

# nsenter, not `ip netns exec`: the pin must land in our mount namespace's bpffs.
fin=$(nsenter --net=/run/netns/"$NS_A" "$HELPER" tcx-attach "$DEV_A" ingress "$pin-in")
fout=$(nsenter --net=/run/netns/"$NS_A" "$HELPER" tcx-attach "$DEV_A" egress "$pin-out")
[ -n "$fin" ] && [ -n "$fout" ] || { fail "foreign tcx programs"; finish; }

"$SLUICE_LOAD" attach "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --netns "$NS_A" --before "$fin" >/dev/null
check "attach --before (rc)" 0 $?
check "ingress order: sluice before foreign" "$(prog_of ingress) $fin" "$(query ingress)"

"$SLUICE_LOAD" attach "$OBJDIR/tce-a.o" --tc "$DEV_A" egress --netns "$NS_A" --after "$fout" >/dev/null
check "attach --after (rc)" 0 $?
check "egress order: foreign before sluice" "$fout $(prog_of egress)" "$(query egress)"

# Policy A drops echo requests arriving on A: the foreign program passed them on.
ip netns exec "$NS_B" ping -c1 -W1 $IP_A >/dev/null 2>&1 && fail "ping passed policy A" || ok "ping dropped behind the foreign program"

# replace keeps the position.
out=$("$SLUICE_LOAD" replace "$OBJDIR/tci-b.o" --tc "$DEV_A" ingress --netns "$NS_A")
echo "$out" | grep >/dev/null "counters of 2 unchanged rules carried over" && ok "replace reports carried counters" || fail "replace output: $out"
check "replace keeps the order" "$(prog_of ingress) $fin" "$(query ingress)"
ip netns exec "$NS_B" ping -c1 -W1 $IP_A >/dev/null 2>&1 && ok "ping passes policy B" || fail "ping after replace"

# Relative to a link id.
"$SLUICE_LOAD" detach --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
lid=$(bpftool link show pinned "$pin-in" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p')
if [ -n "$lid" ]; then
	"$SLUICE_LOAD" attach "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --netns "$NS_A" --after "link:$lid" >/dev/null
	check "attach --after link:ID (rc)" 0 $?
	check "order after link" "$fin $(prog_of ingress)" "$(query ingress)"
	"$SLUICE_LOAD" detach --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
fi
"$SLUICE_LOAD" detach --tc "$DEV_A" egress --netns "$NS_A" >/dev/null
check "only the foreign programs remain" "$fin|$fout" "$(query ingress)|$(query egress)"
rm -f "$pin-in" "$pin-out"
assert_clean "end"
finish
