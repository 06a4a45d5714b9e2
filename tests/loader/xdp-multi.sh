#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# XDP shared through libxdp's dispatcher (`attach --xdp DEV --multi --priority N`).
# Part A, on every kernel: --multi refuses a device that holds a program other than
# the dispatcher (sluice's own exclusive attachment, xdp-filter's single-program
# fallback) and, on a kernel that does not load freplace programs, says so and
# leaves nothing behind. Part B, where freplace works: sluice and xdp-filter on one
# device in both orders (each effective; the one behind sees only what the first
# passes), two sluice objects with replace/list/detach, and xdp-filter joining and
# leaving a dispatcher sluice made. Without freplace part B cannot run: exit 77.
# usage: xdp-multi.sh SLUICE|OBJDIR
. "$(dirname "$0")/lib.sh"
SLUICE=$1
require_kernel
command -v xdp-filter >/dev/null || skip "no xdp-filter (apt-get install xdp-tools)"
setup_veth || { fail "veth setup"; finish; }
NSA=/run/netns/$NS_A
SL() { "$SLUICE_LOAD" "$@"; }
XF() { nsenter --net="$NSA" xdp-filter "$@"; }

# The objects: built here from policies/multi-*.sluice, or prebuilt in the directory SLUICE
# names (the VM rig, tests/vm, which has no compiler in the guest).
if [ -d "$SLUICE" ]; then
	cp "$SLUICE"/multi-s.o "$SLUICE"/multi-s2.o "$TMP/"
else
	for p in s s2; do
		"$SLUICE" build -o "$TMP/multi-$p.o" "$(dirname "$0")/policies/multi-$p.sluice" ||
			{ fail "build multi-$p"; finish; }
	done
fi

udp_count() { # PORT COUNT: datagrams received in A out of COUNT sent from B
	rm -f "$TMP/recv"
	ip netns exec "$NS_A" "$HELPER" udp-recv "$1" 2500 >"$TMP/recv" &
	local pid=$!
	while ! grep -q ready "$TMP/recv" 2>/dev/null; do sleep 0.05; done
	ip netns exec "$NS_B" "$HELPER" udp-send $IP_A "$1" "$2" 0 >/dev/null
	sleep 0.3
	kill -TERM "$(awk '/ready/ { print $2 }' "$TMP/recv")" 2>/dev/null
	wait $pid
	tail -n1 "$TMP/recv"
}
seen() { # PRIO PORT: packets sluice's program at PRIO counted for the rule on PORT
	SL stats --xdp "$DEV_A" --netns "$NS_A" --multi --priority "$1" --json |
		grep -F "\"text\":\"udp dport $2 " | sed -n 's/.*"counter":{"packets":\([0-9]*\).*/\1/p'
}
disp_dirs() { ls -d /sys/fs/bpf/xdp/dispatch-"$(ip netns exec "$NS_A" cat /sys/class/net/"$DEV_A"/ifindex)"-* 2>/dev/null; }

# --- Part A ---
echo "$TMP/multi-s.o xdp $DEV_A netns $NS_A priority 5" >"$TMP/bad.conf"
out=$(SL apply "$TMP/bad.conf" 2>&1)
check "A: apply: priority without multi fails (rc)" 1 $?
grep -q "bad.conf:1: error: 'priority' applies to xdp DEV multi only" <<<"$out" || fail "A: apply names file:line: $out"
SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --priority 5 >/dev/null 2>&1
check "A: --priority without --multi is a usage error" 2 $?
SL attach "$TMP/multi-s.o" --tc "$DEV_A" ingress --netns "$NS_A" --multi >/dev/null 2>&1
check "A: --multi on tc is a usage error" 2 $?
SL detach --xdp "$DEV_A" --netns "$NS_A" --multi --priority 7 >/dev/null 2>&1
check "A: detach of a priority with nothing there fails" 1 $?
SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --mode generic >/dev/null
check "A: exclusive attach (rc)" 0 $?
out=$(SL attach "$TMP/multi-s2.o" --xdp "$DEV_A" --netns "$NS_A" --multi 2>&1)
check "A: --multi on sluice's exclusive program fails (rc)" 1 $?
grep -q "not libxdp's dispatcher" <<<"$out" || fail "A: error names the non-dispatcher program: $out"
check "A: nothing added" 1 "$(SL list | grep -c "$DEV_A")"
SL detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
assert_clean "A: after detach"

XF load "$DEV_A" --mode skb >"$TMP/xf.log" 2>&1 || { fail "A: xdp-filter load: $(cat "$TMP/xf.log")"; finish; }
if ip -n "$NS_A" link show "$DEV_A" | grep -q "name xdp_dispatcher"; then
	xf_dispatcher=1
else
	xf_dispatcher=0
	out=$(SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --multi 2>&1)
	check "A: --multi on xdp-filter's single program fails (rc)" 1 $?
	grep -q "not libxdp's dispatcher" <<<"$out" || fail "A: error names xdp-filter's program: $out"
fi
XF unload "$DEV_A" >/dev/null 2>&1

out=$(SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --multi --mode generic 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q "does not load freplace programs" <<<"$out"; then
	assert_clean "A: freplace refused"
	[ -z "$(disp_dirs)" ] || fail "A: dispatcher pins left: $(disp_dirs)"
	check "A: xdp-filter fell back to a single program too" 0 $xf_dispatcher
	echo "$out"
	[ "$FAILS" -eq 0 ] || finish
	echo "SKIP: part B (sharing) needs a kernel that loads freplace (BPF_PROG_TYPE_EXT) programs: $(uname -r) refuses them"
	exit 77
fi
check "A: --multi attach on a free device (rc)" 0 $rc

# --- Part B ---
# sluice at 20, behind xdp-filter's 10: xdp-filter drops 7001 before sluice sees it.
SL detach --xdp "$DEV_A" --netns "$NS_A" --multi >/dev/null
XF load "$DEV_A" --mode skb >/dev/null 2>&1 || fail "B1: xdp-filter load"
XF port 7001 --mode dst --proto udp >/dev/null || fail "B1: xdp-filter port 7001"
SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --multi --priority 20 >/dev/null
check "B1: sluice joins xdp-filter's dispatcher (rc)" 0 $?
SL list | grep -q "dispatcher prio 20" || fail "B1: list shows the dispatcher priority"
check "B1: xdp-filter drops 7001" 0 "$(udp_count 7001 20)"
check "B1: sluice drops 7002" 0 "$(udp_count 7002 20)"
check "B1: 7003 passes both" 20 "$(udp_count 7003 20)"
check "B1: sluice behind xdp-filter never saw 7001" 0 "$(seen 20 7001)"
check "B1: sluice saw 7003" 20 "$(seen 20 7003)"
XF unload "$DEV_A" >/dev/null 2>&1 || fail "B1: xdp-filter unload"
check "B1: sluice still drops 7002 after xdp-filter left" 0 "$(udp_count 7002 10)"
check "B1: 7001 passes now" 10 "$(udp_count 7001 10)"
SL detach --xdp "$DEV_A" --netns "$NS_A" --multi --priority 20 >/dev/null
check "B1: detach (rc)" 0 $?
assert_clean "B1: end"
[ -z "$(disp_dirs)" ] || fail "B1: dispatcher pins left: $(disp_dirs)"

# sluice at 5, before xdp-filter: sluice made the dispatcher, xdp-filter joins it.
SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --multi --priority 5 --mode generic >/dev/null
check "B2: sluice first (rc)" 0 $?
XF load "$DEV_A" --mode skb >/dev/null 2>&1 || fail "B2: xdp-filter joins sluice's dispatcher"
XF port 7001 --mode dst --proto udp >/dev/null || fail "B2: xdp-filter port 7001"
check "B2: xdp-filter drops 7001" 0 "$(udp_count 7001 20)"
check "B2: sluice drops 7002" 0 "$(udp_count 7002 20)"
check "B2: 7003 passes both" 20 "$(udp_count 7003 20)"
check "B2: sluice in front saw 7001" 20 "$(seen 5 7001)"
# libxdp's own view of the dispatcher sluice made and xdp-filter joined.
st=$(nsenter --net="$NSA" xdp-loader status "$DEV_A" 2>&1)
grep -Eq "=> +5 +sluice_s" <<<"$st" || fail "B2: xdp-loader status shows sluice's program at priority 5: $st"
grep -Eq "=> +10 +xdpfilt_" <<<"$st" || fail "B2: xdp-loader status shows xdp-filter's at 10: $st"
# A sluice-load killed once its program is in the dispatcher: the next run takes it out.
SLUICE_TEST_KILL_AT=kernel-attached SL attach "$TMP/multi-s2.o" --xdp "$DEV_A" --netns "$NS_A" \
	--multi --priority 40 >/dev/null 2>&1
check "B2: killed attach (rc 137)" 137 $?
SL list >"$TMP/list" 2>&1
grep -q "recover" "$TMP/list" || fail "B2: the next run reports the recovery: $(cat "$TMP/list")"
check "B2: the killed attachment is not listed" 0 "$(grep -c "dispatcher prio 40" "$TMP/list")"
check "B2: its program left the dispatcher (7003 passes)" 10 "$(udp_count 7003 10)"
check "B2: one dispatcher directory" 1 "$(disp_dirs | wc -l)"
SL detach --xdp "$DEV_A" --netns "$NS_A" --multi --priority 5 >/dev/null
check "B2: sluice leaves (rc)" 0 $?
check "B2: xdp-filter still drops 7001" 0 "$(udp_count 7001 10)"
check "B2: 7002 passes now" 10 "$(udp_count 7002 10)"
XF unload "$DEV_A" >/dev/null 2>&1
assert_clean "B2: end"

# Two sluice objects; then the front one replaced atomically, then detached.
SL attach "$TMP/multi-s.o" --xdp "$DEV_A" --netns "$NS_A" --multi --priority 10 --mode generic >/dev/null
check "B3: first object (rc)" 0 $?
SL attach "$TMP/multi-s2.o" --xdp "$DEV_A" --netns "$NS_A" --multi --priority 30 >/dev/null
check "B3: second object (rc)" 0 $?
check "B3: list shows both" 2 "$(SL list | grep -c "dispatcher prio")"
check "B3: the first drops 7002" 0 "$(udp_count 7002 20)"
check "B3: the second drops 7003" 0 "$(udp_count 7003 20)"
check "B3: 7001 passes both" 20 "$(udp_count 7001 20)"
check "B3: the second never saw 7002" 0 "$(seen 30 7002)"
SL replace "$TMP/multi-s2.o" --xdp "$DEV_A" --netns "$NS_A" --multi --priority 10 >/dev/null
check "B3: replace the first (rc)" 0 $?
check "B3: 7002 passes now" 20 "$(udp_count 7002 20)"
check "B3: the second saw 7002 now" 20 "$(seen 30 7002)"
SL detach --xdp "$DEV_A" --netns "$NS_A" --multi --priority 10 >/dev/null
SL detach --xdp "$DEV_A" --netns "$NS_A" --multi --priority 30 >/dev/null
check "B3: both detached" 0 "$(SL list | grep -c "dispatcher prio")"

# apply: two objects through the dispatcher from a config; a line removed goes.
printf '%s xdp %s netns %s mode generic multi priority 10\n%s xdp %s netns %s multi priority 30\n' \
	"$TMP/multi-s.o" "$DEV_A" "$NS_A" "$TMP/multi-s2.o" "$DEV_A" "$NS_A" >"$TMP/multi.conf"
SL apply "$TMP/multi.conf" >/dev/null
check "B4: apply attaches both (rc)" 0 $?
check "B4: list shows both" 2 "$(SL list | grep -c "dispatcher prio")"
check "B4: the first drops 7002" 0 "$(udp_count 7002 10)"
SL apply "$TMP/multi.conf" --dry-run | grep -c ": keep " >"$TMP/keep"
check "B4: apply again keeps both" 2 "$(cat "$TMP/keep")"
sed -i 1d "$TMP/multi.conf"
SL apply "$TMP/multi.conf" >/dev/null
check "B4: apply without the first line (rc)" 0 $?
check "B4: one left" 1 "$(SL list | grep -c "dispatcher prio 30")"
check "B4: 7002 passes now" 10 "$(udp_count 7002 10)"
: >"$TMP/multi.conf"
SL apply "$TMP/multi.conf" >/dev/null
check "B4: empty config detaches the rest" 0 "$(SL list | grep -c "dispatcher prio")"
assert_clean "B3: end"
[ -z "$(disp_dirs)" ] || fail "B3: dispatcher pins left: $(disp_dirs)"
finish
