#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What a killed or older sluice-load leaves, and the lock:
# - the lock is <root>/lock, never removed, and it serialises (a holder makes attach wait);
# - a cls_bpf filter with sluice's tag that no record knows (an older
#   sluice-load killed mid-attach): `list` shows it as an orphan with the
#   kernel's program id, `prune` removes it (and the clsact qdisc), and so
#   do an attach (one filter afterwards, not two) and a detach on its hook;
# - new-*-PID pins of an older sluice-load killed mid-replace: `prune` removes
#   them whether or not that PID is alive; `detach` removes them too; a
#   directory holding only leftovers does not stop `attach`.
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace: no leak check where strace traces sluice-load.
NOLEAK=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD
command -v bpftool >/dev/null || skip "needs bpftool"

# The lock.
$L list >/dev/null
[ -d "$SLUICE_PIN_ROOT/lock" ] && ok "lock directory made" || fail "no $SLUICE_PIN_ROOT/lock"
ino=$(stat -c %i "$SLUICE_PIN_ROOT/lock" 2>/dev/null)
flock "$SLUICE_PIN_ROOT/lock" sleep 1.5 &
holder=$!
sleep 0.3
start=$(date +%s%N)
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
waited=$((($(date +%s%N) - start) / 1000000))
wait $holder
[ $waited -ge 1000 ] && ok "attach waited for the lock holder (${waited} ms)" ||
	fail "attach did not wait for the lock holder (${waited} ms)"
$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
check "lock directory kept, same inode, after the last detach" "$ino" "$(stat -c %i "$SLUICE_PIN_ROOT/lock" 2>/dev/null)"

# An orphan filter: killed after the filter was made, and no intent record to
# recover from (as an older sluice-load would leave it). No record names the
# namespace either: list looks in the named ones (/run/netns) too.
SLUICE_TC_LEGACY=1 SLUICE_TEST_KILL_AT=kernel-attached $L attach "$OBJDIR/tci-a.o" \
	--tc "$DEV_A" ingress --netns "$NS_A" >/dev/null 2>&1
rm -f "$SLUICE_PIN_ROOT/intent"
kid=$(tc -n "$NS_A" filter show dev "$DEV_A" ingress | grep -o ' id [0-9]*' | awk '{ print $2 }')
[ -n "$kid" ] && ok "orphan filter made (program $kid)" || fail "no orphan filter to test with"
$L list | grep >/dev/null "orphan" && ok "list shows the orphan" || fail "list: $($L list 2>&1)"
$L list --json | grep >/dev/null "\"program_id\":$kid,.*\"status\":\"orphan\"" &&
	ok "list --json: orphan with the kernel's program id" || fail "list --json: $($L list --json 2>&1)"
out=$($L prune --json)
check "prune --json (rc)" 0 $?
echo "$out" | grep >/dev/null "\"pruned\":\"cls_bpf filter of program $kid on $DEV_A ingress" &&
	ok "prune --json reports the orphan" || fail "prune --json: $out"
echo "$out" | head -1 | grep -q '^\[' && echo "$out" | tail -1 | grep -q '\]$' && ok "prune --json is an array" ||
	fail "prune --json shape: $out"
check "orphan filter removed" "" "$(tc -n "$NS_A" filter show dev "$DEV_A" ingress)"
assert_clean "after the orphan"

# An orphan on the hook an attach goes to: the attach removes it (one filter
# afterwards, not two), and so does a detach.
orphan() {
	SLUICE_TC_LEGACY=1 SLUICE_TEST_KILL_AT=kernel-attached $L attach "$OBJDIR/tci-a.o" \
		--tc "$DEV_A" ingress --netns "$NS_A" >/dev/null 2>&1
	rm -f "$SLUICE_PIN_ROOT/intent"
	find "$SLUICE_PIN_ROOT" -depth -name 'staging-*' -exec rm -rf {} +
}
nfilters() { tc -n "$NS_A" filter show dev "$DEV_A" ingress | grep -c ' id '; }
orphan
check "an orphan to attach over" 1 "$(nfilters)"
SLUICE_TC_LEGACY=1 $L attach "$OBJDIR/tci-b.o" --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null 2>"$TMP/err"
check "attach over an orphan (rc)" 0 $?
check "one filter after attaching over an orphan" 1 "$(nfilters)"
grep -q "removed an orphan cls_bpf filter" "$TMP/err" && ok "attach says it removed the orphan" ||
	fail "attach over orphan: $(cat "$TMP/err")"
# A second filter of the same tag next to the attachment, as a killed older
# attach would have left it (a later attach of the old loader added one more).
handle=$(tc -n "$NS_A" filter show dev "$DEV_A" ingress | grep -o 'handle 0x[0-9a-f]*' | head -1 | cut -d' ' -f2)
prog=$(dirname "$(find "$SLUICE_PIN_ROOT" -name state | head -1)")/prog
nsenter --net=/run/netns/"$NS_A" tc filter add dev "$DEV_A" ingress pref 7 handle "$handle" bpf da pinned "$prog"
check "an orphan next to an attachment" 2 "$(nfilters)"
$L detach --tc "$DEV_A" ingress --netns "$NS_A" >/dev/null 2>&1
check "detach removes the orphan too" 0 "$(nfilters)"
$L prune >/dev/null
assert_clean "orphans swept by attach and detach"

# new-*-PID leftovers of an older sluice-load; the PID is alive (ours).
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
dir=$(dirname "$(find "$SLUICE_PIN_ROOT" -name state | head -1)")
bpftool map create "$dir/new-state-$$" type array key 4 value 4 entries 1 name sl_stale1
bpftool map create "$dir/new-counters-$$" type array key 4 value 4 entries 1 name sl_stale2
$L prune >/dev/null
[ ! -e "$dir/new-state-$$" ] && [ ! -e "$dir/new-counters-$$" ] &&
	ok "prune removes new-* of a live PID" || fail "prune kept: $(ls "$dir")"
$L list | grep >/dev/null attached && ok "the attachment itself stays" || fail "prune removed the attachment"
bpftool map create "$dir/new-state-$$" type array key 4 value 4 entries 1 name sl_stale1
$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
[ ! -e "$dir" ] && ok "detach removes new-* leftovers" || fail "detach left: $(ls "$dir")"
mkdir -p "$dir"
bpftool map create "$dir/new-state-$$" type array key 4 value 4 entries 1 name sl_stale1
$L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null 2>"$TMP/err"
check "attach over a directory of leftovers (rc)" 0 $?
$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
assert_clean "leftovers"
# The object is read once: metadata and program come from the same bytes.
if command -v strace >/dev/null; then
	"$HELPER" mkpcap "$TMP/p.pcap" eth udp:1 >/dev/null
	cp "$OBJDIR/xdp-a.o" "$TMP/once.o"
	env "ASAN_OPTIONS=$NOLEAK" strace -f -e trace=open,openat -o "$TMP/trace" $L run "$TMP/once.o" --pcap "$TMP/p.pcap" >/dev/null
	check "run opens the object once" 1 "$(grep -c 'once\.o' "$TMP/trace")"
	env "ASAN_OPTIONS=$NOLEAK" strace -f -e trace=open,openat -o "$TMP/trace" $L attach "$TMP/once.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
	check "attach opens the object once" 1 "$(grep -c 'once\.o' "$TMP/trace")"
	$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
fi
finish
