#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The inline trees' opaque zero (include/sluice/abi.h): sluice-load refuses an
# object where it is not zero, and freezes it once loaded so that nobody can
# change verdicts by writing it.
. "$(dirname "$0")/lib.sh"
SLUICE=$1
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD
objcopy=$(command -v llvm-objcopy || command -v llvm-objcopy-14)

{
	echo "table opaque_t {"
	echo "  hook xdp"
	echo "  policy accept"
	for p in $(seq 7000 7015); do echo "  ip saddr 10.9.$((p % 256)).0/24 udp dport $p drop"; done
	echo "}"
} >"$TMP/opaque.sluice"
"$SLUICE" build -q --classifier=code "$TMP/opaque.sluice" -o "$TMP/opaque.o"
check "build with inline trees (rc)" 0 $?
bpftool btf dump file "$TMP/opaque.o" 2>/dev/null | grep >/dev/null "'.data.sluice_opaque'" &&
	ok "object has the opaque map" || fail "no .data.sluice_opaque in the object"

$L attach "$TMP/opaque.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null
check "attach (rc)" 0 $?
# The map of the program attached here (other tests may have maps of the same name).
prog=$(ip -n "$NS_A" -d link show "$DEV_A" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
map=""
for m in $(bpftool prog show id "${prog:-0}" 2>/dev/null | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr , ' '); do
	bpftool map show id "$m" | grep >/dev/null "name .data.sluice_op " && map=$m
done
[ -n "$map" ] && ok "attached program uses the opaque map" || fail "no opaque map on prog '$prog'"
bpftool -j map show id "${map:-0}" 2>/dev/null | grep >/dev/null '"frozen":1' &&
	ok "opaque map is frozen" || fail "opaque map not frozen: $(bpftool map show id "${map:-0}")"
if bpftool map update id "${map:-0}" key 0 0 0 0 value 1 0 0 0 0 0 0 0 2>"$TMP/upd"; then
	fail "writing the opaque map succeeded"
else
	ok "writing the opaque map is refused: $(head -1 "$TMP/upd")"
fi
$L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
check "detach (rc)" 0 $?

# A damaged object: the zero is not zero. Refused before anything is attached.
printf '\001\000\000\000\000\000\000\000' >"$TMP/one"
"$objcopy" --update-section .data.sluice_opaque="$TMP/one" "$TMP/opaque.o" "$TMP/bad.o"
$L attach "$TMP/bad.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null 2>"$TMP/err"
check "non-zero opaque refused (rc)" 1 $?
grep >/dev/null "must hold one 8-byte zero" "$TMP/err" && ok "says what is wrong" || fail "message: $(cat "$TMP/err")"
assert_clean "non-zero opaque"
finish
