#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every bad-input path of attach/replace/detach fails with a clear message and
# the right exit code, and leaves no link, pin, qdisc or cgroup program behind.
. "$(dirname "$0")/lib.sh"
require_kernel
setup_veth || { fail "veth setup"; finish; }
setup_cgroup

# expect_fail NAME RC PATTERN -- sluice-load ARGS...
expect_fail() {
	local name=$1 rc=$2 pat=$3
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [ $got -ne "$rc" ]; then
		fail "$name: exit $got, expected $rc: $(cat "$TMP/err")"
	elif ! grep -q -- "$pat" "$TMP/err"; then
		fail "$name: message lacks '$pat': $(cat "$TMP/err")"
	else
		ok "$name: $(grep -m1 error "$TMP/err")"
	fi
	[ "${KEEP:-0}" = 1 ] || assert_clean "$name"
}
L=$SLUICE_LOAD
X=(--xdp "$DEV_A" --netns "$NS_A")

expect_fail "wrong hook for object" 1 "compiled for tc ingress, not for xdp" -- $L attach "$OBJDIR/tci-a.o" "${X[@]}"
expect_fail "cgroup object on tc" 1 "compiled for cgroup_skb egress" -- $L attach "$OBJDIR/cgout-a.o" --tc "$DEV_A" egress --netns "$NS_A"
expect_fail "missing device" 1 "device 'nosuchdev0' not found" -- $L attach "$OBJDIR/xdp-a.o" --xdp nosuchdev0 --netns "$NS_A"
expect_fail "device of another netns" 1 "not found in network namespace" -- $L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_B" --netns "$NS_A"
expect_fail "missing netns" 1 "network namespace 'sluice-loader-none-$ID' not found" -- $L attach "$OBJDIR/xdp-a.o" --xdp "$DEV_A" --netns sluice-loader-none-$ID
expect_fail "missing cgroup" 1 "cgroup '$CG/none' not found" -- $L attach "$OBJDIR/cgout-a.o" --cgroup "$CG/none" egress
expect_fail "not a cgroup" 1 "is not a cgroup v2 directory" -- $L attach "$OBJDIR/cgout-a.o" --cgroup "$TMP" egress
expect_fail "missing object" 1 "cannot open object" -- $L attach "$TMP/none.o" "${X[@]}"
expect_fail "not an ELF file" 1 "not an ELF object" -- $L attach "$OBJDIR/garbage.o" "${X[@]}"
expect_fail "no metadata" 1 "has no .sluice.meta section" -- $L attach "$OBJDIR/xdp-nometa.o" "${X[@]}"
expect_fail "bad magic" 1 "bad magic" -- $L attach "$OBJDIR/xdp-bad-magic.o" "${X[@]}"
expect_fail "bad version" 1 "metadata version 99" -- $L attach "$OBJDIR/xdp-bad-version.o" "${X[@]}"
expect_fail "bad offset" 1 "extend past the section end" -- $L attach "$OBJDIR/xdp-bad-offset.o" "${X[@]}"
expect_fail "bad rule id" 1 "rule 0 has id 42" -- $L attach "$OBJDIR/xdp-bad-rule-id.o" "${X[@]}"
expect_fail "truncated metadata" 1 "invalid .sluice.meta" -- $L attach "$OBJDIR/xdp-bad-truncate.o" "${X[@]}"
expect_fail "counter map against abi.h" 1 "map 'sluice_counters' is not a per-CPU array" -- $L attach "$OBJDIR/xdp-bad-map.o" "${X[@]}"
expect_fail "missing table" 1 "has no table 'nope'" -- $L attach "$OBJDIR/xdp-a.o" --table nope "${X[@]}"
expect_fail "unknown tcx neighbour" 1 "no program with id 999999 is attached to tcx ingress" -- $L attach "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --netns "$NS_A" --before 999999
expect_fail "replace without attach" 1 "nothing attached" -- $L replace "$OBJDIR/xdp-a.o" "${X[@]}"
expect_fail "detach without attach" 1 "nothing attached" -- $L detach "${X[@]}"
expect_fail "stats without attach" 1 "nothing attached" -- $L stats "${X[@]}"

# Usage errors: exit 2.
expect_fail "no target" 2 "give a target" -- $L attach "$OBJDIR/xdp-a.o"
expect_fail "bad direction" 2 "ingress or egress" -- $L attach "$OBJDIR/tci-a.o" --tc "$DEV_A" sideways
expect_fail "two targets" 2 "exactly one of" -- $L attach "$OBJDIR/xdp-a.o" --xdp a --tc b ingress
expect_fail "--mode on tc" 2 "--mode applies to --xdp only" -- $L attach "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --mode native
expect_fail "--netns with cgroup" 2 "--netns applies to devices" -- $L attach "$OBJDIR/cgout-a.o" --cgroup "$CG" egress --netns "$NS_A"
expect_fail "replace --before" 2 "replace keeps the attachment" -- $L replace "$OBJDIR/tci-a.o" --tc "$DEV_A" ingress --before 5
expect_fail "unknown command" 2 "unknown command" -- $L frobnicate

# No privileges: as nobody, and as root without capabilities.
if command -v setpriv >/dev/null; then
	chmod 755 "$TMP"
	expect_fail "unprivileged user" 1 "needs CAP_BPF" -- setpriv --reuid=65534 --regid=65534 --clear-groups $L attach "$OBJDIR/xdp-a.o" "${X[@]}"
	expect_fail "root without capabilities" 1 "needs CAP_" -- setpriv --inh-caps=-all --bounding-set=-all $L attach "$OBJDIR/xdp-a.o" "${X[@]}"
	expect_fail "root without CAP_PERFMON" 1 "needs CAP_PERFMON" -- setpriv --inh-caps=-perfmon,-sys_admin --bounding-set=-perfmon,-sys_admin $L attach "$OBJDIR/xdp-a.o" "${X[@]}"
fi

# Failing after the program is loaded: the hook is taken by someone else.
# A second pin root stands for another sluice installation owning the XDP hook.
$L attach "$OBJDIR/xdp-a.o" "${X[@]}" >/dev/null || fail "attach for the busy test"
other=$SLUICE_PIN_ROOT-other
SLUICE_PIN_ROOT=$other $L attach "$OBJDIR/xdp-b.o" "${X[@]}" >/dev/null 2>"$TMP/err"
check "busy XDP hook (rc)" 1 $?
grep -q "another XDP program is attached" "$TMP/err" && ok "busy XDP hook message" || fail "busy message: $(cat "$TMP/err")"
[ -z "$(find "$other" -mindepth 1 ! -path "$other/lock" 2>/dev/null)" ] && ok "busy XDP hook: no pins left" || fail "busy: pins left in $other"
rmdir "$other" 2>/dev/null
KEEP=1 expect_fail "attach twice" 1 "already has a program attached" -- $L attach "$OBJDIR/xdp-a.o" "${X[@]}"
$L list | grep >/dev/null "xdp (native)" && ok "first attachment intact" || fail "first attachment lost"
$L detach "${X[@]}" >/dev/null
assert_clean "end"
finish
