#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Named sets end to end (issue 18), for one hook: a policy compiled by `sluice
# build` with `ip saddr @blocklist drop` is attached to a veth in one network
# namespace; pings from the other pass until `sluice-load set add` puts the
# sender's address in the set, pass again after `set del`, all without
# re-attaching (the program id stays); `set load` swaps the contents; bad input
# (malformed element, wrong family, full set, unknown set, unknown target,
# a file with a bad line, del of an absent element) fails with exit 1 and
# leaves the set as it was (add is all or nothing); elements outlive the
# sluice-load that added them (read back from the pins); `replace` keeps the
# run-time elements and takes the new policy's; an element with a timeout stops
# matching when it expires and is gone from `list`; detach removes the pins.
# Usage: sets.sh xdp|tc SLUICE
. "$(dirname "$0")/lib.sh"
HOOK=$1 sluice=$2
L=$SLUICE_LOAD

case $HOOK in
xdp) HOOK_TEXT=xdp TARGET=(--xdp "$DEV_A" --netns "$NS_A") ;;
tc) HOOK_TEXT="tc ingress" TARGET=(--tc "$DEV_A" ingress --netns "$NS_A") ;;
*) echo "unknown hook $HOOK"; exit 2 ;;
esac

# policy NAME ELEMENTS: blocklist holds ELEMENTS; small (2 elements) and tmo (timeouts) too.
policy() {
	cat > "$TMP/$1.sluice" <<EOF
set blocklist {
    type ipv4_addr
    flags interval
    size 1000
    elements = { $2 }
}
set small {
    type ipv4_addr
    size 2
}
set tmo {
    type ipv4_addr
    flags timeout
    size 16
}
set pairs {
    type ipv4_addr . inet_service
    size 16
}
table edge {
    hook $HOOK_TEXT
    policy accept
    ip saddr @blocklist drop
    ip daddr @small drop
    ip saddr @tmo drop
    ip saddr . udp dport @pairs drop
}
EOF
	# What an operator builds (no counter in it, no decision recording) for the
	# attachment; with --record-decisions for run, built from TMP so that rules
	# are named $1.sluice:LINE:COL as `sluice run` names them there.
	(cd "$TMP" && "$sluice" build "$1.sluice" -o "$1.o" &&
		"$sluice" build --record-decisions "$1.sluice" -o "$1-dec.o") 2>"$TMP/$1.err"
}

# The compiler side of issue 18 (i18c) must build the policy; until it does this test cannot run.
if ! policy a "192.0.2.0/24"; then
	cat "$TMP/a.err"
	grep -qiE "set|@|unexpected|syntax" "$TMP/a.err" &&
		skip "the compiler does not build named sets yet (issue 18's compiler side)"
	echo "FAIL: sluice build failed"
	exit 1
fi
policy b "198.51.100.0/24" || { cat "$TMP/b.err"; fail "sluice build b"; }
[ "$(id -u)" = 0 ] || skip "needs root"
ip netns add "$NS_A" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$NS_B" || skip "cannot create network namespaces"
setup_veth || { fail "veth setup"; finish; }

# B pings A: XDP / tc ingress on A's device sees saddr IP_B.
ping_ok() { ip netns exec "$NS_B" ping -c1 -W1 "$IP_A" >/dev/null 2>&1; }
expect_traffic() { # WHAT pass|blocked
	local got=blocked
	ping_ok && got=pass
	check "$1" "$2" "$got"
}
prog_id() { "$L" list --json | grep -o '"program_id":[0-9]*' | head -1 | cut -d: -f2; }
elements() { # SET: its elements, one a line
	"$L" set list "${TARGET[@]}" "$1" | tail -n +2 | awk '{ print $1 }'
}
expect_fail() { # WHAT EXPECTED-MESSAGE ARGS...
	local what=$1 msg=$2 rc
	shift 2
	"$L" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "$what: exit 1" 1 $rc
	grep -q -- "$msg" "$TMP/err" || fail "$what: message '$msg' not in: $(cat "$TMP/err")"
	grep -q "hint:" "$TMP/err" || fail "$what: no hint (what to do) in: $(cat "$TMP/err")"
}

expect_traffic "before attach" pass
"$L" attach "$TMP/a.o" "${TARGET[@]}" >/dev/null || { fail "attach"; finish; }
id=$(prog_id)
expect_traffic "attached, $IP_B not in the set" pass
check "the policy's elements after attach" "192.0.2.0/24" "$(elements blocklist)"

"$L" set add "${TARGET[@]}" blocklist "$IP_B" >/dev/null || fail "set add"
expect_traffic "after set add $IP_B" blocked
check "elements after add" "$(printf '10.201.0.2\n192.0.2.0/24')" "$(elements blocklist)"
"$L" set del "${TARGET[@]}" blocklist "$IP_B" >/dev/null || fail "set del"
expect_traffic "after set del $IP_B" pass
check "the program was not re-attached" "$id" "$(prog_id)"

# set load: the file's contents replace the set's, at once.
printf '# blocklist\n10.201.0.0/24\n\n203.0.113.0-203.0.113.9 # a range\n' > "$TMP/load1"
"$L" set load "${TARGET[@]}" blocklist "$TMP/load1" >/dev/null || fail "set load"
expect_traffic "after set load of 10.201.0.0/24" blocked
check "elements after load (the range as prefixes)" \
	"$(printf '10.201.0.0/24\n203.0.113.0/29\n203.0.113.8/31')" "$(elements blocklist)"
printf '192.0.2.0/24\n' > "$TMP/load2"
"$L" set load "${TARGET[@]}" blocklist "$TMP/load2" >/dev/null || fail "set load 2"
expect_traffic "after set load without it" pass

# Bad input: exit 1, a message and a hint, the set unchanged.
before=$(elements blocklist)
expect_fail "malformed element" "'10.1.2' is not an IPv4 address" set add "${TARGET[@]}" blocklist 10.9.9.9 10.1.2
expect_fail "wrong family" "IPv6 address, but the set holds ipv4_addr" set add "${TARGET[@]}" blocklist 2001:db8::1
expect_fail "unknown set" "no set 'nosuch'" set add "${TARGET[@]}" nosuch 10.9.9.9
expect_fail "del of an absent element" "10.9.9.9 is not in set 'blocklist'" set del "${TARGET[@]}" blocklist 192.0.2.0/24 10.9.9.9
expect_fail "a timeout where the set has none" "no \`flags timeout\`" set add "${TARGET[@]}" blocklist 10.9.9.9 timeout 10m
printf '10.201.0.0/24\n10.201.0.300\n' > "$TMP/load-bad"
expect_fail "set load with a bad line" "load-bad:2: '10.201.0.300'" set load "${TARGET[@]}" blocklist "$TMP/load-bad"
expect_fail "set load of a missing file" "cannot read" set load "${TARGET[@]}" blocklist "$TMP/none"
check "the set is unchanged after the bad input" "$before" "$(elements blocklist)"
expect_traffic "still passing after the bad input" pass
expect_fail "unknown target" "device 'nosuch0' not found" set add --xdp nosuch0 --netns "$NS_A" blocklist 10.9.9.9
"$L" set add "${TARGET[@]}" small 10.0.0.1 >/dev/null || fail "set add small"
expect_fail "full set" "set 'small' is full" set add "${TARGET[@]}" small 10.0.0.2 10.0.0.3
check "a full set: add is all or nothing" "10.0.0.1" "$(elements small)"
printf '10.0.0.5\n10.0.0.6\n10.0.0.7\n' > "$TMP/load-big"
expect_fail "set load of more than the set's size" "load-big:3: set 'small' is full" set load "${TARGET[@]}" small "$TMP/load-big"
check "a load that fails halfway leaves the old contents" "10.0.0.1" "$(elements small)"
"$L" set add "${TARGET[@]}" small 10.0.0.2 >/dev/null || fail "set add small up to its size"
"$L" set flush "${TARGET[@]}" small >/dev/null || fail "set flush"
check "flushed" "" "$(elements small)"

# Concatenations on the command line: " . " joins, spaces and commas separate elements.
"$L" set add "${TARGET[@]}" pairs "$IP_B" . 7777, 10.0.0.9 . 53 10.0.0.8 . https >/dev/null || fail "set add pairs"
check "concatenations" "$(printf '10.0.0.8 . 443\n10.0.0.9 . 53\n10.201.0.2 . 7777')" \
	"$("$L" set list "${TARGET[@]}" pairs | tail -n +2 | sed 's/^\t//')"
expect_fail "a prefix in a set without interval" "no \`flags interval\`" set add "${TARGET[@]}" pairs 10.0.0.0/8 . 53

# run --set: the kernel and the interpreter agree on a set given from a file.
"$HELPER" mkpcap "$TMP/run.pcap" eth udp:7777:1000:10.201.0.2 udp:7777:1000:192.0.2.9 \
	udp:53:1000:198.51.100.1 tcp:80:1000:10.201.0.2 >/dev/null
printf '10.201.0.0/24\n' > "$TMP/run-set"
verdicts() { awk -F'\t' '$1 ~ /^[0-9]+$/ { printf "%s%s", sep, $2; sep = " " }' "$1"; }
"$L" run "$TMP/a-dec.o" --pcap "$TMP/run.pcap" --set blocklist="$TMP/run-set" > "$TMP/run-k" 2>&1 ||
	fail "sluice-load run --set: $(cat "$TMP/run-k")"
check "run --set: the listed sources dropped" "drop accept accept drop" "$(verdicts "$TMP/run-k")"
"$L" run "$TMP/a-dec.o" --pcap "$TMP/run.pcap" > "$TMP/run-p" 2>&1
check "run without --set: the policy's elements" "accept drop accept accept" "$(verdicts "$TMP/run-p")"
if (cd "$TMP" && "$sluice" run a.sluice --pcap run.pcap --set blocklist=run-set) > "$TMP/run-i" 2>&1; then
	check "sluice run and sluice-load run agree with --set" "$(cat "$TMP/run-i")" "$(cat "$TMP/run-k")"
else
	echo "note: sluice run --set not available: $(head -1 "$TMP/run-i")"
fi
"$L" run "$TMP/a.o" --pcap "$TMP/run.pcap" --set blocklist="$TMP/run-set" > "$TMP/run-plain" 2>&1
check "run --set of the object without decision recording" "drop accept accept drop" "$(verdicts "$TMP/run-plain")"
expect_fail "run --set with an unknown set" "no set 'nosuch'" run "$TMP/a.o" --pcap "$TMP/run.pcap" --set nosuch="$TMP/run-set"

# Sets live in bpffs: a later sluice-load (any) reads them back from the pins.
"$L" set add "${TARGET[@]}" blocklist "$IP_B" >/dev/null || fail "set add"
pins=$(find "$SLUICE_PIN_ROOT" -path '*/sets/*' | sed 's|.*/||' | sort | tr '\n' ' ')
check "pins sets/<name>" "blocklist pairs small tmo " "$pins"
check "elements read back by a new sluice-load" "$(printf '10.201.0.2\n192.0.2.0/24')" "$(elements blocklist)"
"$L" set list "${TARGET[@]}" --json | grep -q '"set":"blocklist".*"element":"10.201.0.2"' || fail "set list --json"

# replace: run-time elements stay (same name and type), the policy's are the new object's.
"$L" replace "$TMP/b.o" "${TARGET[@]}" >/dev/null || fail "replace"
check "after replace: the run-time element and the new policy's" \
	"$(printf '10.201.0.2\n198.51.100.0/24')" "$(elements blocklist)"
expect_traffic "after replace, $IP_B still blocked" blocked
"$L" set del "${TARGET[@]}" blocklist "$IP_B" >/dev/null || fail "set del after replace"
expect_traffic "after replace and set del" pass

# Timeouts: the program stops matching when the element expires; list drops it.
"$L" set add "${TARGET[@]}" tmo "$IP_B" timeout 3s >/dev/null || fail "set add timeout"
expect_traffic "element with a timeout" blocked
"$L" set list "${TARGET[@]}" tmo | grep -q "10.201.0.2 expires [0-9]" || fail "list shows the expiry"
sleep 3.5
expect_traffic "the element expired" pass
check "an expired element is removed when sluice-load touches the set" "" "$(elements tmo)"

"$L" detach "${TARGET[@]}" >/dev/null || fail "detach"
assert_clean "after detach"

# Crash safety: SIGKILL at every step of attach and replace; the next sluice-load
# recovers, and the attachment is complete (its sets pinned and filled) or absent.
killed() { # STEP sluice-load ARGS...: expects SIGKILL (137) or, at "done", maybe completion
	local step=$1 rc
	shift
	rc=$( (SLUICE_TEST_KILL_AT=$step "$L" "$@" >/dev/null 2>&1; echo $?) 2>/dev/null)
	[ "$rc" = 137 ] || fail "killed at $step: rc $rc"
}
attached_obj() { "$L" list --json 2>/dev/null | grep '"status":"attached"' | grep -o '"object":"[^"]*"' | sed 's|.*/||; s|"||'; }
for step in intent staging counters-pinned sets-pinned kernel-attached link-pinned state-pinned renamed; do
	killed $step attach "$TMP/a.o" "${TARGET[@]}"
	obj=$(attached_obj) # recovers first
	if [ -n "$obj" ]; then
		check "attach killed at $step, completed: the policy's elements" "192.0.2.0/24" "$(elements blocklist)"
		"$L" detach "${TARGET[@]}" >/dev/null || fail "attach killed at $step: detach"
	fi
	assert_clean "attach killed at $step"
done
for step in intent new-pins switched carried renamed-state renamed; do
	"$L" attach "$TMP/a.o" "${TARGET[@]}" >/dev/null || fail "replace killed at $step: attach"
	"$L" set add "${TARGET[@]}" blocklist "$IP_B" >/dev/null || fail "replace killed at $step: set add"
	killed $step replace "$TMP/b.o" "${TARGET[@]}"
	case $(attached_obj) in
	a.o) want=$(printf '10.201.0.2\n192.0.2.0/24') ;;
	b.o) want=$(printf '10.201.0.2\n198.51.100.0/24') ;;
	*) want="(an attachment)" ;;
	esac
	check "replace killed at $step: the sets of the program that runs ($(attached_obj))" "$want" "$(elements blocklist)"
	expect_traffic "replace killed at $step: $IP_B blocked" blocked
	left=$(find "$SLUICE_PIN_ROOT" \( -name 'staging-*' -o -name 'new-*' -o -name intent \) 2>/dev/null)
	[ -z "$left" ] || fail "replace killed at $step: leftovers: $left"
	"$L" detach "${TARGET[@]}" >/dev/null || fail "replace killed at $step: detach"
	assert_clean "replace killed at $step"
done
finish
