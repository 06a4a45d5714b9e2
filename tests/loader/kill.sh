#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Crash safety, for one hook: sluice-load is killed with SIGKILL at every step
# of attach, replace and detach (SLUICE_TEST_KILL_AT, intent.h), and at the
# renames and unlinks of each and at each of its last 14 bpf() calls (strace
# fault injection, which needs no hook in the loader). After each kill, the next sluice-load run must recover, and
# `list` must tell what the kernel runs: the same program ids as the kernel
# reports for the hook (ip link, tcx query, tc filter show, bpftool cgroup),
# no orphan, and the policy it names must be the one that program came from.
# Then detach, attach again and detach again must work and leave nothing.
# ct-xdp and ct-tc: a table that tracks connections (examples/host-firewall.sluice,
# built by SLUICE) with its companion on tc egress, as one unit: after every
# kill both are attached (same object, one flow table pinned in both
# directories) or neither; replace also goes from ct to a table without
# tracking and back.
# Usage: kill.sh xdp|tcx|legacy|cgroup | kill.sh ct-xdp|ct-tc SLUICE
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace: no leak check where strace traces sluice-load.
NOLEAK=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

HOOK=$1
[ "$HOOK" = legacy ] && export SLUICE_TC_LEGACY=1
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD

CT=0
case $HOOK in
xdp | ct-xdp) OBJ=xdp TARGET=(--xdp "$DEV_A" --netns "$NS_A") ;;
tcx | legacy | ct-tc) OBJ=tci TARGET=(--tc "$DEV_A" ingress --netns "$NS_A") ;;
cgroup) setup_cgroup; OBJ=cgin TARGET=(--cgroup "$CG" ingress) ;;
*) echo "unknown hook $HOOK"; exit 2 ;;
esac
OA=$OBJDIR/$OBJ-a.o OB=$OBJDIR/$OBJ-b.o
if [ "${HOOK#ct-}" != "$HOOK" ]; then
	CT=1 PLAIN=$OA
	h=xdp
	[ "$HOOK" = ct-tc ] && h="tc ingress"
	ex=$(dirname "$0")/../../examples/host-firewall.sluice
	sed "s/hook xdp/hook $h/" "$ex" >"$TMP/ct-a.sluice"
	sed "s/hook xdp/hook $h/; s/tcp dport { 80, 443 } accept/tcp dport { 80, 443, 8080 } accept/" "$ex" >"$TMP/ct-b.sluice"
	for v in a b; do
		"$2" build "$TMP/ct-$v.sluice" -o "$TMP/ct-$v.o" || { fail "build ct-$v"; finish; }
	done
	OA=$TMP/ct-a.o OB=$TMP/ct-b.o
fi

# The program ids the kernel runs at the hook (ct: and at tc egress), sorted, one per line.
kernel_progs() {
	{
	[ $CT = 1 ] && ip netns exec "$NS_A" "$HELPER" tcx-query "$DEV_A" egress
	case $HOOK in
	xdp | ct-xdp) ip -n "$NS_A" link show "$DEV_A" | grep -o 'prog/xdp id [0-9]*' | awk '{ print $3 }' ;;
	tcx | ct-tc) ip netns exec "$NS_A" "$HELPER" tcx-query "$DEV_A" ingress ;;
	legacy) tc -n "$NS_A" filter show dev "$DEV_A" ingress 2>/dev/null | grep -o ' id [0-9]*' | awk '{ print $2 }' ;;
	cgroup) bpftool -j cgroup show "$CG" 2>/dev/null | grep -o '"id":[0-9]*' | cut -d: -f2 ;;
	esac
	} | grep -E "^[0-9]+$" | sort -n
}

# "prog-id object status" of each list entry, sorted.
list_entries() {
	"$L" list --json 2>>"$TMP/list-err" | grep '"status"' | sed -E \
		's/.*"object":("([^"]*)"|null).*"program_id":([0-9]+).*"status":"([a-z]+)".*/\3 \2 \4/' | sort -n
}

# After a kill: recovery by the next run, then list against the kernel.
# EXPECT_OLD/EXPECT_NEW: the objects that may be attached (by program id seen before).
check_truth() {
	local what=$1 old_id=$2 old_obj=$3 new_obj=$4
	local entries kernel listed
	entries=$(list_entries)
	kernel=$(kernel_progs | tr '\n' ' ')
	listed=$(echo "$entries" | awk '$3 == "attached" { print $1 }' | sort -n | tr '\n' ' ')
	check "$what: list names what the kernel runs" "$kernel" "$listed"
	echo "$entries" | grep -q ' orphan$' && fail "$what: orphan left: $entries"
	echo "$entries" | grep -q ' defunct$' && fail "$what: defunct entry: $entries"
	if [ $CT = 1 ]; then
		ct_truth "$what" "$entries"
	else
		[ "$(echo "$kernel" | wc -w)" -le 1 ] || fail "$what: more than one program on the hook: $kernel"
	fi
	# The record names the object the running program came from.
	local id obj
	read -r id obj _ <<<"$(echo "$entries" | awk '$3 == "attached"' | grep -v "^$CT_ID " | head -1)"
	if [ -n "$id" ]; then
		if [ "$id" = "$old_id" ]; then
			check "$what: record of the old program" "$old_obj" "$(basename "$obj")"
		else
			check "$what: record of the new program" "$new_obj" "$(basename "$obj")"
		fi
	fi
	# No staging or new-* leftover, no intent record.
	local left
	left=$(find "$SLUICE_PIN_ROOT" \( -name 'staging-*' -o -name 'new-*' -o -name 'intent*' -o -name 'unit-old-*' \) 2>/dev/null)
	[ -z "$left" ] || fail "$what: leftovers: $left"
}

# ct: table and companion both or neither. The companion (tc egress) runs iff
# the table's object tracks, from the same object, and both directories pin
# the same flow table; nothing else is on tc egress.
CT_ID=none
ct_truth() {
	local what=$1 entries=$2 tobj cobj n flows
	tobj=$("$L" list --json 2>/dev/null | grep '"status":"attached"' | grep -v '"hook":"tc egress"' |
		sed -E 's/.*"object":"([^"]*)".*/\1/')
	cobj=$("$L" list --json 2>/dev/null | grep '"status":"attached"' | grep '"hook":"tc egress"' |
		sed -E 's/.*"object":"([^"]*)".*/\1/')
	CT_ID=$("$L" list --json 2>/dev/null | grep '"hook":"tc egress"' | sed -E 's/.*"program_id":([0-9]+).*/\1/')
	n=$(ip netns exec "$NS_A" "$HELPER" tcx-query "$DEV_A" egress | grep -c .)
	flows=$(find "$SLUICE_PIN_ROOT" -name flows | wc -l)
	case $(basename "$tobj") in
	ct-*.o)
		check "$what: the companion comes from the table's object" "$tobj" "$cobj"
		check "$what: one companion on tc egress" 1 "$n"
		check "$what: the flow table pinned with table and companion" 2 "$flows"
		[ "$flows" = 2 ] && [ "$(find "$SLUICE_PIN_ROOT" -name flows -exec bpftool -j map show pinned {} \; |
			grep -o '"id":[0-9]*' | sort -u | wc -l)" = 1 ] || fail "$what: two flow tables" ;;
	*)
		check "$what: no companion without a tracking table (list)" "" "$cobj"
		check "$what: no companion without a tracking table (kernel)" 0 "$n"
		check "$what: no flow table pinned" 0 "$flows" ;;
	esac
}

# Back to a clean slate and prove the hook is usable: attach, replace, detach.
reuse() {
	local what=$1
	if [ -n "$(list_entries)" ]; then
		"$L" detach "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "$what: detach after recovery: $(cat "$TMP/err")"
	fi
	"$L" attach "$OA" "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "$what: attach again: $(cat "$TMP/err")"
	"$L" replace "$OB" "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "$what: replace again: $(cat "$TMP/err")"
	"$L" detach "${TARGET[@]}" >/dev/null 2>"$TMP/err" || fail "$what: detach again: $(cat "$TMP/err")"
	[ -z "$(kernel_progs)" ] || fail "$what: a program is left on the hook: $(kernel_progs)"
	assert_clean "$what"
}

prog_id_now() { # the table's (ct: not its companion's)
	if [ $CT = 1 ]; then
		"$L" list --json 2>/dev/null | grep '"status":"attached"' | grep -v '"hook":"tc egress"' |
			sed -E 's/.*"program_id":([0-9]+).*/\1/'
	else
		list_entries | awk '$3 == "attached" { print $1; exit }'
	fi
}

# run_killed WHAT PREFIX... -- sluice-load ARGS: expects the loader to die of SIGKILL.
run_killed() {
	local what=$1 may_finish=0
	shift
	[[ " $* " == *" strace "* ]] && may_finish=1 # the call injected into may not come
	local rc
	# In a subshell, whose stderr is dropped: the shell's own "Killed" notice.
	rc=$( ("$@" >/dev/null 2>"$TMP/killed-err"; echo $?) 2>/dev/null)
	# 137: SIGKILL (directly, or strace reporting its tracee's death).
	[ $rc = 137 ] || { [ $may_finish = 1 ] && [ $rc = 0 ]; } ||
		fail "$what: not killed (rc $rc): $(head -3 "$TMP/killed-err")"
}

ATTACH_STEPS="intent staging counters-pinned sets-pinned kernel-attached link-pinned state-pinned renamed done"
[ "$HOOK" = legacy ] && ATTACH_STEPS="intent staging counters-pinned sets-pinned qdisc kernel-attached link-pinned state-pinned renamed done"
REPLACE_STEPS="intent new-pins switched carried renamed-state renamed done"
DETACH_STEPS="intent detached pins-removed done"

kill_case() { # OP STEP-or-strace-spec [FROM TO]: replace from FROM to TO
	local op=$1 how=$2 what="$HOOK $1 killed at $2" old_id="" from=${3:-$OA} to=${4:-$OB}
	local -a pre=()
	[ $# -gt 2 ] && what="$what ($(basename "$from") to $(basename "$to"))"
	case $how in
	strace:*) command -v strace >/dev/null || return 0
		pre=(env "ASAN_OPTIONS=$NOLEAK" strace -f -o /dev/null -e "inject=${how#strace:}") ;;
	*) pre=(env SLUICE_TEST_KILL_AT="$how") ;;
	esac
	case $op in
	attach)
		run_killed "$what" "${pre[@]}" "$L" attach "$OA" "${TARGET[@]}"
		check_truth "$what" none "$(basename "$OA")" "$(basename "$OA")" ;;
	replace)
		"$L" attach "$from" "${TARGET[@]}" >/dev/null || fail "$what: setup attach"
		old_id=$(prog_id_now)
		run_killed "$what" "${pre[@]}" "$L" replace "$to" "${TARGET[@]}"
		check_truth "$what" "$old_id" "$(basename "$from")" "$(basename "$to")" ;;
	detach)
		"$L" attach "$OA" "${TARGET[@]}" >/dev/null || fail "$what: setup attach"
		old_id=$(prog_id_now)
		run_killed "$what" "${pre[@]}" "$L" detach "${TARGET[@]}"
		check_truth "$what" "$old_id" "$(basename "$OA")" "$(basename "$OA")" ;;
	esac
	reuse "$what"
}

fail_points() { # FROM TO: the indices of the bpf() calls to fail
	"$L" attach "$1" "${TARGET[@]}" >/dev/null
	env "ASAN_OPTIONS=$NOLEAK" strace -f -o "$TMP/count" -e trace=bpf "$L" replace "$2" "${TARGET[@]}" >/dev/null
	"$L" detach "${TARGET[@]}" >/dev/null
	grep 'bpf(' "$TMP/count" | awk '/BPF_PROG_LOAD/ { last = NR } { cmd[NR] = $2 }
		END { for (i = last + 1; i <= NR; i++) if (cmd[i] ~ /MAP_CREATE|OBJ_PIN|LINK_|PROG_ATTACH|PROG_DETACH/) print i }'
}

fail_case() { # FROM TO N
	local what="$HOOK replace ($(basename "$1") to $(basename "$2")) failing at bpf() call $3" old_id rc
	"$L" attach "$1" "${TARGET[@]}" >/dev/null || fail "$what: setup attach"
	old_id=$(prog_id_now)
	env "ASAN_OPTIONS=$NOLEAK" strace -f -o /dev/null -e trace=bpf -e "inject=bpf:error=EIO:when=$3" \
		"$L" replace "$2" "${TARGET[@]}" >/dev/null 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || [ $rc = 1 ] || fail "$what: rc $rc: $(tail -3 "$TMP/err")"
	check_truth "$what" "$old_id" "$(basename "$1")" "$(basename "$2")"
	if [ $rc = 1 ] && [ "$(prog_id_now)" != "$old_id" ] && ! grep -q "new program runs\|new table" "$TMP/err"; then
		fail "$what: failed, but the old table does not run: $(cat "$TMP/err")"
	fi
	reuse "$what"
}

prefixed() { # PREFIX WORDS...
	local p=$1 w
	shift
	for w in "$@"; do echo -n "$p$w "; done
}

if [ $CT = 1 ]; then
	# The unit's steps around its members' (the companion's prefixed ct-).
	for s in unit-intent $(prefixed ct- $ATTACH_STEPS) unit-companion $ATTACH_STEPS unit-table unit-done; do
		kill_case attach "$s"
	done
	for s in unit-intent unit-saved $(prefixed ct- $REPLACE_STEPS) unit-companion $REPLACE_STEPS \
		unit-table unit-flows unit-done; do
		kill_case replace "$s"
	done
	for s in unit-intent $REPLACE_STEPS unit-table unit-flows $(prefixed ct- $DETACH_STEPS) \
		unit-companion-gone unit-done; do
		kill_case replace "$s" "$OA" "$PLAIN"
	done
	for s in unit-intent $(prefixed ct- $ATTACH_STEPS) unit-companion $REPLACE_STEPS unit-table \
		unit-flows unit-done; do
		kill_case replace "$s" "$PLAIN" "$OA"
	done
	for s in unit-intent $DETACH_STEPS unit-table $(prefixed ct- $DETACH_STEPS) unit-companion unit-done; do
		kill_case detach "$s"
	done
	# Failures: an error injected into each bpf() call of replace, after the
	# programs are loaded, that changes the kernel or the pins. The replace
	# fails or completes; either way table and companion are consistent, and
	# a failed one leaves the old table running unless it had switched (then
	# it is completed and says so).
	if command -v strace >/dev/null; then
		for pair in "$OA $OB" "$OA $PLAIN" "$PLAIN $OA"; do
			for n in $(fail_points $pair); do fail_case $pair "$n"; done
		done
	fi
	grep -v "recovered:\|killed during\|any sluice-load command" "$TMP/list-err" | grep . &&
		fail "list complained (above)"
	finish
fi

for s in $ATTACH_STEPS; do kill_case attach "$s"; done
for s in $REPLACE_STEPS; do kill_case replace "$s"; done
for s in $DETACH_STEPS; do kill_case detach "$s"; done
# The same without help from the loader: SIGKILL on its first and second rename
# (replace: between the switch and the pins), and its first unlink.
for spec in rename:signal=KILL:when=1 rename:signal=KILL:when=2 unlink:signal=KILL:when=1; do
	kill_case attach "strace:$spec"
	kill_case replace "strace:$spec"
	kill_case detach "strace:$spec"
done
# And at each of the last bpf() calls of each operation: the ones after the
# program is loaded, where the kernel and the pins change.
bpf_calls() { # OP: how many bpf() calls the operation makes
	local op=$1 n
	case $op in
	replace | detach) "$L" attach "$OBJDIR/$OBJ-a.o" "${TARGET[@]}" >/dev/null ;;
	esac
	case $op in
	attach) env "ASAN_OPTIONS=$NOLEAK" strace -f -o "$TMP/count" -e trace=bpf "$L" attach "$OBJDIR/$OBJ-a.o" "${TARGET[@]}" >/dev/null ;;
	replace) env "ASAN_OPTIONS=$NOLEAK" strace -f -o "$TMP/count" -e trace=bpf "$L" replace "$OBJDIR/$OBJ-b.o" "${TARGET[@]}" >/dev/null ;;
	detach) env "ASAN_OPTIONS=$NOLEAK" strace -f -o "$TMP/count" -e trace=bpf "$L" detach "${TARGET[@]}" >/dev/null ;;
	esac
	n=$(grep -c 'bpf(' "$TMP/count")
	[ "$op" = detach ] || "$L" detach "${TARGET[@]}" >/dev/null
	echo "$n"
}
if command -v strace >/dev/null; then
	for op in attach replace detach; do
		total=$(bpf_calls $op)
		first=$((total > ${SLUICE_KILL_BPF_CALLS:-14} ? total - ${SLUICE_KILL_BPF_CALLS:-14} + 1 : 1))
		for n in $(seq $first "$total"); do
			kill_case $op "strace:bpf:signal=KILL:when=$n"
		done
	done
fi
grep -v "recovered:\|killed during\|any sluice-load command" "$TMP/list-err" | grep . &&
	fail "list complained (above)"
finish
