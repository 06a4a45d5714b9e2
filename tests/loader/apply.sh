#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# sluice-load apply end to end: a config naming an XDP, a tc and a cgroup_skb
# attachment is applied (dry run first: nothing changes), applied again (no
# change), an object file is overwritten in place (replaced by its hash, the
# others kept), a line is removed (detached), an attachment made by hand on a
# target the file does not name survives, the pins are wiped as a reboot wipes
# bpffs (the host is unfiltered) and apply restores the config; a broken file
# changes nothing and names file:line. Traffic (ping through policy A, which
# drops echo requests, or B, which does not) checks what the kernel runs.
. "$(dirname "$0")/lib.sh"
require_kernel
setup_veth || { fail "veth setup"; finish; }
setup_cgroup
L=$SLUICE_LOAD
CONF=$TMP/etc/sluice.conf
mkdir -p "$TMP/etc/objs"
cp "$OBJDIR/xdp-a.o" "$TMP/etc/objs/edge.o"
cp "$OBJDIR/tce-b.o" "$TMP/etc/objs/out.o"
cp "$OBJDIR/cgin-a.o" "$TMP/etc/objs/pods.o"
# Pings from B to A: the XDP program on DEV_A sees the echo requests.
ping_ok() { ip netns exec "$NS_B" ping -c1 -W1 $IP_A >/dev/null 2>&1 && echo pass || echo blocked; }
prog_of() { $L list | awk -v t="$1" '$0 ~ t { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/ && $(i+1) ~ /^[0-9]+$/) { print $i; exit } }'; }
nattached() { $L list | grep -cE '^(xdp|tc|cgroup_skb) .* attached$'; }

cat >"$CONF" <<CONF
# sluice-load apply test config
objs/edge.o  xdp $DEV_A netns $NS_A          # relative to this file
objs/out.o   table edge  tc $DEV_A egress netns $NS_A
$TMP/etc/objs/pods.o cgroup $CG ingress
CONF

check "baseline ping" pass "$(ping_ok)"
out=$($L apply "$CONF" --dry-run)
check "dry run (rc)" 0 $?
check "dry run plans 3 attaches" 3 "$(grep -c ': attach .*: not attached$' <<<"$out")"
grep -q "^$CONF:2: attach $TMP/etc/objs/edge.o (table edge) as xdp on $DEV_A" <<<"$out" &&
	ok "dry run names file:line, object, table and target" || fail "dry run: $out"
check "dry run attached nothing" 0 "$(nattached)"
check "dry run: ping still passes" pass "$(ping_ok)"

out=$($L apply "$CONF")
check "apply (rc)" 0 $?
check "apply: 3 attached" 3 "$(nattached)"
grep -q "applied $CONF: 3 attachments, 3 changes" <<<"$out" && ok "apply summary" || fail "summary: $out"
check "policy A on xdp: ping dropped" blocked "$(ping_ok)"
xdp1=$(prog_of "^xdp") tc1=$(prog_of "^tc egress") cg1=$(prog_of "^cgroup_skb ingress")

out=$($L apply "$CONF")
grep -q "3 attachments, 0 changes" <<<"$out" && ok "apply again: no change" || fail "apply again: $out"
check "apply again: same xdp program" "$xdp1" "$(prog_of "^xdp")"

# The object file overwritten in place: replaced because its bytes changed.
cp "$OBJDIR/xdp-b.o" "$TMP/etc/objs/edge.o"
out=$($L apply -n "$CONF")
grep -q ":2: replace .*: object changed$" <<<"$out" && ok "dry run: replace by hash" || fail "dry run replace: $out"
check "dry run: 2 kept" 2 "$(grep -c ': keep .*: unchanged$' <<<"$out")"
$L apply "$CONF" >/dev/null
check "apply after change (rc)" 0 $?
[ "$(prog_of "^xdp")" != "$xdp1" ] && ok "xdp program replaced" || fail "xdp program not replaced"
check "tc program kept" "$tc1" "$(prog_of "^tc egress")"
check "cgroup program kept" "$cg1" "$(prog_of "^cgroup_skb ingress")"
check "policy B on xdp: ping passes" pass "$(ping_ok)"

# An attachment made by hand on a target the file does not name is not apply's.
$L attach "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
check "attach by hand (rc)" 0 $?

# A line removed: detached; the hand-made one stays.
sed -i '/out\.o/d' "$CONF"
out=$($L apply "$CONF")
check "apply without the tc line (rc)" 0 $?
grep -q "detached tc egress on $DEV_A" <<<"$out" && ok "removed line detached" || fail "remove: $out"
$L list | grep -q "^tc ingress" && ok "attachment made by hand kept" || fail "hand-made gone: $($L list)"
check "2 + 1 attached" 3 "$(nattached)"

# A broken file: every error as file:line, nothing changed.
cp "$CONF" "$TMP/etc/good.conf"
cat >>"$CONF" <<CONF
objs/edge.o  xdp $DEV_A netns $NS_A mode sideways
objs/missing.o xdp $DEV_A netns $NS_A
objs/pods.o  cgroup $CG ingress frobnicate
CONF
before=$($L list)
$L apply "$CONF" >/dev/null 2>"$TMP/err"
check "broken file (rc)" 1 $?
grep -q "^$CONF:4: error: 'mode' takes native or generic, not 'sideways'" "$TMP/err" &&
	grep -q "^$CONF:6: error: unknown word 'frobnicate'" "$TMP/err" && grep -q "nothing changed" "$TMP/err" &&
	ok "errors as file:line" || fail "errors: $(cat "$TMP/err")"
cp "$TMP/etc/good.conf" "$CONF"
echo "objs/missing.o xdp $DEV_B netns $NS_B" >>"$CONF"
echo "objs/edge.o tc $DEV_B ingress netns $NS_B" >>"$CONF"
$L apply "$CONF" >/dev/null 2>"$TMP/err"
check "missing object, wrong hook (rc)" 1 $?
grep -q "^$CONF:4: error: .*missing.o" "$TMP/err" && grep -q "^$CONF:5: error: " "$TMP/err" &&
	grep -q "compiled for xdp, not for tc ingress" "$TMP/err" &&
	ok "object errors as file:line" || fail "object errors: $(cat "$TMP/err")"
check "broken files changed nothing" "$before" "$($L list)"
cp "$TMP/etc/good.conf" "$CONF"

# Back to policy A, then a reboot: bpffs is empty, the links went with their pins.
cp "$OBJDIR/xdp-a.o" "$TMP/etc/objs/edge.o"
$L apply "$CONF" >/dev/null
check "policy A again: ping dropped" blocked "$(ping_ok)"
$L detach --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
rm -rf "$SLUICE_PIN_ROOT"
check "after the wipe: nothing attached" 0 "$(nattached)"
check "after the wipe: ping passes (unfiltered)" pass "$(ping_ok)"
out=$($L apply "$CONF")
check "apply after the wipe (rc)" 0 $?
grep -q "2 attachments, 2 changes" <<<"$out" && ok "apply restored 2" || fail "restore: $out"
check "restored: ping dropped" blocked "$(ping_ok)"
$L list | grep -q "^cgroup_skb ingress .* attached$" && ok "cgroup attachment restored" || fail "cgroup: $($L list)"

# Attachments the kernel dropped. A legacy tc filter deleted behind sluice's
# back (same pins, nothing in the kernel): apply attaches it again. A network
# namespace deleted and made again (a new inode, so a new attachment): the
# dropped one's pins go, the new one is attached.
NS_C=sluice-loader-$ID-c
trap 'ip netns del "$NS_C" 2>/dev/null; cleanup' EXIT
mkns_c() {
	ip netns add "$NS_C" && ip -n "$NS_C" link add cdev0 type veth peer name cdev1 &&
		ip -n "$NS_C" link set cdev0 up && ip -n "$NS_C" link set cdev1 up
}
mkns_c || fail "third namespace"
cat >>"$CONF" <<CONF
objs/out.o tc $DEV_B ingress tc-legacy netns $NS_B
objs/edge.o xdp cdev0 netns $NS_C
CONF
cp "$OBJDIR/tci-b.o" "$TMP/etc/objs/out.o"
$L apply "$CONF" >/dev/null
check "apply with legacy tc and a third netns (rc)" 0 $?
check "4 attached" 4 "$(nattached)"
tc -n "$NS_B" filter del dev "$DEV_B" ingress
$L list | grep -q "^tc ingress .* defunct$" && ok "filter deleted by hand: list says defunct" ||
	fail "not defunct: $($L list)"
out=$($L apply -n "$CONF")
grep -q ":4: restore .*: recorded, but the kernel dropped it$" <<<"$out" && ok "dry run: restore" ||
	fail "dry run restore: $out"
$L apply "$CONF" >/dev/null
check "apply restores the filter (rc)" 0 $?
check "4 attached again" 4 "$(nattached)"
[ -n "$(tc -n "$NS_B" filter show dev "$DEV_B" ingress)" ] && ok "cls_bpf filter back" || fail "no filter"
ip netns del "$NS_C"
mkns_c || fail "third namespace again"
out=$($L apply "$CONF")
check "apply after the netns was made again (rc)" 0 $?
grep -q "removed the pins of" <<<"$out" && ok "the dropped attachment's pins went" || fail "netns again: $out"
check "4 attached, none defunct" "4 0" "$(nattached) $($L list | grep -c ' defunct$')"
ip -n "$NS_C" link show cdev0 | grep -q xdp && ok "xdp in the new namespace" || fail "no xdp on cdev0"

# An empty config: apply detaches everything it made.
echo "# nothing" >"$CONF"
$L apply "$CONF" >/dev/null
check "empty config (rc)" 0 $?
check "empty config: nothing attached" 0 "$(nattached)"
assert_clean "after the empty config"
finish
