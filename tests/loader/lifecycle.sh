#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Attachment life cycle beyond the happy path: XDP modes and the native ->
# generic fallback, devices with dots in their names (bpffs forbids dots),
# renamed devices, and attachments the kernel dropped (netns deleted): list
# shows them defunct, prune removes their pins.
. "$(dirname "$0")/lib.sh"
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD

# Forced generic mode.
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns "$NS_A" --mode generic >/dev/null
check "attach --mode generic (rc)" 0 $?
ip -n "$NS_A" link show "$DEV_A" | grep >/dev/null xdpgeneric && ok "kernel reports xdpgeneric" || fail "not generic: $(ip -n "$NS_A" link show "$DEV_A")"
$L list | grep >/dev/null "xdp (generic)" && ok "list says generic" || fail "list mode: $($L list)"
$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null

# lo has no native XDP: the default falls back to generic, --mode native fails cleanly.
$L attach "$OBJDIR/xdp-a.o" --xdp lo --netns "$NS_A" >/dev/null
check "attach on lo (rc)" 0 $?
$L list | grep >/dev/null "xdp (generic) *lo " && ok "fallback to generic on lo" || fail "lo: $($L list)"
$L detach --xdp lo --netns "$NS_A" >/dev/null
$L attach "$OBJDIR/xdp-a.o" --xdp lo --netns "$NS_A" --mode native >/dev/null 2>"$TMP/err"
check "native on lo refused (rc)" 1 $?
grep -q "use --mode generic" "$TMP/err" && ok "native on lo: hint" || fail "native on lo: $(cat "$TMP/err")"
assert_clean "native on lo"

# A dot in the device name (VLANs are named like eth0.5): bpffs refuses dots in pin names.
dotted=$DEV_A.d
ip link add "$dotted" netns "$NS_A" type veth peer name "${DEV_B}d" netns "$NS_B"
$L attach "$OBJDIR/xdp-a.o" --xdp "$dotted" --netns "$NS_A" >/dev/null
check "attach on $dotted (rc)" 0 $?
$L list | grep >/dev/null "$dotted" && ok "list shows $dotted" || fail "dotted: $($L list)"
$L detach --xdp "$dotted" --netns "$NS_A" >/dev/null
check "detach $dotted (rc)" 0 $?
ip -n "$NS_A" link del "$dotted"

# A ClassBench-sized policy: 100k rules of metadata kept in the state record.
$L attach "$OBJDIR/xdp-big.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
check "attach 100k-rule object (rc)" 0 $?
check "stats prints all 100004 rules" 100004 "$($L stats --xdp "$DEV_A" --netns "$NS_A" | grep -c '# edge-a.sluice:')"
$L stats --xdp "$DEV_A" --netns "$NS_A" | tail -2 | grep >/dev/null "tcp dport 41023 drop	# edge-a.sluice:100099:5" &&
	ok "last rule intact" || fail "last rule: $($L stats --xdp "$DEV_A" --netns "$NS_A" | tail -2)"
$L replace "$OBJDIR/xdp-big.o" --xdp "$DEV_A" --netns "$NS_A" | grep >/dev/null "counters of 3 unchanged rules" &&
	ok "replace 100k-rule object carries 3 counters" || fail "replace big"
$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null

# Renamed device: found again by ifindex.
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
ip -n "$NS_A" link set "$DEV_A" down
ip -n "$NS_A" link set "$DEV_A" name "${DEV_A}r"
$L stats --xdp "${DEV_A}r" --netns "$NS_A" >/dev/null
check "stats after rename (rc)" 0 $?
$L detach --xdp "${DEV_A}r" --netns "$NS_A" >/dev/null
check "detach after rename (rc)" 0 $?
ip -n "$NS_A" link set "${DEV_A}r" name "$DEV_A"
ip -n "$NS_A" link set "$DEV_A" up

# No bpffs mounted: in a private mount namespace (what `ip netns exec` makes)
# sluice-load refuses to mount one whose pins would vanish with it, unless
# told to; then it mounts it. The machine's /sys/fs/bpf stays as it is.
# Inside `sh -c` the refusal needs /proc/1/ns/mnt to tell namespaces apart (not
# readable in every container); under `ip netns exec` the parent's does.
if command -v unshare >/dev/null; then
	readlink /proc/1/ns/mnt >/dev/null 2>&1 && can_tell=1 || can_tell=0
	out=$(unshare --mount --propagation private sh -c '
		umount /sys/fs/bpf 2>/dev/null || umount -l /sys/fs/bpf || exit 3
		if [ "$4" = 1 ]; then
			SLUICE_PIN_ROOT= "$0" attach "$1" --xdp "$2" --netns "$3" >/dev/null 2>&1 && exit 4
			grep -q " /sys/fs/bpf bpf " /proc/self/mounts && exit 5
		fi
		export SLUICE_BPFFS_MOUNT_PRIVATE=1
		SLUICE_PIN_ROOT= "$0" attach "$1" --xdp "$2" --netns "$3" >/dev/null || exit 6
		grep -q " /sys/fs/bpf bpf " /proc/self/mounts || exit 7
		SLUICE_PIN_ROOT= "$0" list | grep >/dev/null "$2" || exit 8
		SLUICE_PIN_ROOT= "$0" detach --xdp "$2" --netns "$3" >/dev/null || exit 9' \
		"$L" "$OBJDIR/xdp-a.o" "$DEV_A" "$NS_A" $can_tell 2>&1)
	rc=$?
	check "private mount namespace: mount bpffs when told (refuse otherwise: $can_tell)" "0 " "$rc $out"
	assert_clean "bpffs cases"
	ip netns exec "$NS_A" "$L" attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" >/dev/null 2>"$TMP/err"
	check "under ip netns exec (rc)" 1 $?
	grep -q "use --netns NAME instead" "$TMP/err" && ok "ip netns exec: hint" || fail "ip netns exec: $(cat "$TMP/err")"
	assert_clean "ip netns exec"
else
	echo "no unshare: skipping the bpffs mount case"
fi

# The kernel drops the attachment when the namespace (and device) goes away.
$L attach "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null
$L attach "$OBJDIR/tce-a.o" --tc "$DEV_A" egress --netns "$NS_A" --tc-legacy >/dev/null
check "two attachments before the namespace goes" 2 "$($L list --json | grep -c '"status":"attached"')"
ip netns del "$NS_A"
# A new namespace of the same name is not the one the legacy filter was in.
ip netns add "$NS_A"
for _ in $(seq 50); do
	[ "$($L list | grep -c defunct)" = 2 ] && break
	sleep 0.1
done
check "list shows both defunct" 2 "$($L list 2>&1 | grep -c defunct)"
$L list 2>&1 | grep >/dev/null error && fail "list complains: $($L list 2>&1)"
$L prune >/dev/null
check "prune (rc)" 0 $?
check "nothing left after prune" "[]" "$($L list --json)"

# A sluice-load killed with SIGKILL mid-attach leaves a staging directory: prune removes it.
sh -c 'exit 0' &
dead=$!
wait $dead
stage=$SLUICE_PIN_ROOT/net-1/1-lo/staging-$dead
mkdir -p "$stage"
if bpftool map create "$stage/counters" type array key 4 value 4 entries 1 name sl_stale 2>/dev/null; then
	$L prune | grep >/dev/null "left by a killed sluice-load" && ok "prune reports the leftover" || fail "prune leftover"
	[ ! -e "$stage" ] && ok "staging leftover removed" || fail "staging leftover still there"
fi
[ -z "$(find "$SLUICE_PIN_ROOT" -mindepth 1 ! -path "$SLUICE_PIN_ROOT/lock" 2>/dev/null)" ] && ok "no pins after prune" || fail "pins left after prune"
finish
