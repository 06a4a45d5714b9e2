#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Messages and output details (issue 16 item 7, issue 17 item 8): list under
# `ip netns exec`, a device of another namespace, "an xdp hook", list columns
# with long names, SINCE after a replace, stats after the device, namespace or
# cgroup is gone, a non-UTF-8 cgroup path in list --json, the verifier's
# words on a rejection (also after a long log), tcx neighbours named when --before is wrong.
. "$(dirname "$0")/lib.sh"
require_kernel
setup_veth || { fail "veth setup"; finish; }
setup_cgroup
L=$SLUICE_LOAD

# list inside `ip netns exec`: its private mount namespace hides the pins.
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
ip netns exec "$NS_A" "$L" list >"$TMP/out" 2>"$TMP/err"
check "list under ip netns exec (rc)" 1 $?
grep -q "private mount namespace" "$TMP/err" && grep -q -- "--netns" "$TMP/err" &&
	ok "list under ip netns exec says why and what to do" || fail "ip netns exec list: $(cat "$TMP/out" "$TMP/err")"
grep -q "nothing attached" "$TMP/out" && fail "ip netns exec list claims nothing is attached"

# SINCE is the time of the last replace.
sleep 1.1
$L replace "$OBJDIR/xdp-b.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
replaced=$($L list --json | grep -o '"replaced_at":"[^"]*"' | cut -d'"' -f4)
[ -n "$replaced" ] && $L list | grep -q "$replaced" && ok "SINCE shows the replace ($replaced)" ||
	fail "SINCE: $($L list) vs $replaced"

# A device of another namespace: the hint names it.
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_B" >/dev/null 2>"$TMP/err"
check "device of another namespace (rc)" 1 $?
grep -q "add --netns $NS_B" "$TMP/err" && ok "hint names --netns $NS_B" || fail "other netns hint: $(cat "$TMP/err")"

# Grammar.
$L attach "$OBJDIR/xdp-a.o" --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null 2>"$TMP/err"
grep -q "attach it to an xdp hook" "$TMP/err" && ok "an xdp hook" || fail "grammar: $(cat "$TMP/err")"

# tcx --before an id that is not there: the hint lists what is.
nsenter --net=/run/netns/"$NS_B" "$HELPER" tcx-attach "$DEV_B" ingress /sys/fs/bpf/sluice-loader-$ID-foreign >/dev/null
fid=$(ip netns exec "$NS_B" "$HELPER" tcx-query "$DEV_B" ingress | head -1)
$L attach "$OBJDIR/tci-a.o" --tc "$DEV_B" ingress --netns "$NS_B" --before 999999 >/dev/null 2>"$TMP/err"
grep -q "on that hook now, in order: $fid (link:" "$TMP/err" && grep -q "bpftool link show" "$TMP/err" &&
	ok "tcx hint lists the programs there" || fail "tcx hint: $(cat "$TMP/err")"
rm -f /sys/fs/bpf/sluice-loader-$ID-foreign

# Columns: a long cgroup path does not shift the other columns.
long=$CG/a-rather-long-cgroup-name-that-is-longer-than-the-column-was
mkdir "$long"
$L attach "$OBJDIR/cgin-a.o" --cgroup "$long" ingress >/dev/null
$L list >"$TMP/list"
hdr=$(head -1 "$TMP/list" | grep -bo STATUS | cut -d: -f1)
bad=0
while read -r line; do
	pos=$(echo "$line" | grep -bo 'attached\|defunct' | tail -1 | cut -d: -f1)
	[ "$pos" = "$hdr" ] || bad=1
done < <(tail -n +2 "$TMP/list")
check "list: STATUS column aligned with long names" 0 $bad
$L detach --cgroup "$long" ingress >/dev/null

# Non-UTF-8 cgroup path: list --json stays valid JSON.
odd=$CG/$(printf 'bad\377name')
mkdir "$odd"
$L attach "$OBJDIR/cgin-a.o" --cgroup "$odd" ingress >/dev/null
$L list --json >"$TMP/json"
if command -v jq >/dev/null; then
	jq -e 'length == 2' "$TMP/json" >/dev/null && ok "list --json with a non-UTF-8 path parses" ||
		fail "invalid JSON: $(cat -v "$TMP/json")"
fi
grep -q 'bad\\u00ffname' "$TMP/json" && ok "the byte is escaped" || fail "escaping: $(cat -v "$TMP/json")"
$L detach --cgroup "$odd" ingress >/dev/null
rmdir "$odd" "$long"

# stats after the cgroup is gone: the last counters, with a note.
mkdir "$CG/gone"
$L attach "$OBJDIR/cgin-a.o" --cgroup "$CG/gone" ingress >/dev/null
rmdir "$CG/gone"
$L stats --cgroup "$CG/gone" ingress >"$TMP/out" 2>"$TMP/err"
check "stats on a gone cgroup (rc)" 0 $?
grep -q "counter packets" "$TMP/out" && grep -q "last counters" "$TMP/err" &&
	ok "stats on a gone cgroup shows the last counters" || fail "gone cgroup: $(cat "$TMP/out" "$TMP/err")"
$L prune >/dev/null

# stats after the device (and then its namespace) is gone.
ip -n "$NS_B" link del "$DEV_B" 2>/dev/null # takes DEV_A along
$L stats --xdp "$DEV_A" --netns "$NS_A" >"$TMP/out" 2>"$TMP/err"
check "stats on a gone device (rc)" 0 $?
grep -q "counter packets" "$TMP/out" && ok "stats on a gone device shows the last counters" ||
	fail "gone device: $(cat "$TMP/out" "$TMP/err")"
ip netns del "$NS_A"
$L stats --xdp "$DEV_A" --netns "$NS_A" >"$TMP/out" 2>"$TMP/err"
check "stats on a gone namespace (rc)" 0 $?
$L prune >/dev/null

# The verifier's words and the policy line, not "root was refused".
"$HELPER" mkpcap "$TMP/p.pcap" eth udp:1 >/dev/null
"$HELPER" unverifiable "$OBJDIR/xdp-a.o" "$TMP/unv.o"
$L run "$TMP/unv.o" --pcap "$TMP/p.pcap" >/dev/null 2>"$TMP/err"
check "verifier rejection (rc)" 1 $?
grep -q "the verifier refused" "$TMP/err" && grep -q "invalid read from stack" "$TMP/err" &&
	grep -q "policy line of the refused instruction: .*@ edge-a.sluice:" "$TMP/err" &&
	! grep -q "root was refused" "$TMP/err" && ok "verifier rejection explained" ||
	fail "verifier message: $(cat "$TMP/err")"

# A refusal after a long verifier log (libbpf passes it as one message of many
# KiB): the tail with the reason still reaches the user, not a blank.
{
	echo 'table edge {'
	echo '  hook xdp'
	for i in $(seq 1 300); do echo "  ip saddr 10.$((i / 250)).$((i % 250)).1 tcp dport $i drop"; done
	echo '}'
} >"$TMP/long.sluice"
"$1" build -O0 --classifier=off --set-lookup=inline "$TMP/long.sluice" -o "$TMP/long.o" &&
	"$HELPER" unverifiable "$TMP/long.o" "$TMP/unv-late.o" late || fail "long.sluice"
$L run "$TMP/unv-late.o" --pcap "$TMP/p.pcap" >/dev/null 2>"$TMP/err"
check "verifier rejection after a long log (rc)" 1 $?
grep -q "invalid read from stack" "$TMP/err" && grep -q "policy line of the refused instruction: .*@ long.sluice:" "$TMP/err" &&
	ok "verifier rejection after a long log explained" || fail "long-log verifier message: $(cat "$TMP/err")"
finish
