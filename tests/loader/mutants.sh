#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Damaged objects never crash sluice-load (libbpf 1.1 does on some: validate.c
# stops them first): the committed crashers of corpus/object, then
# $SLUICE_MUTANTS (default 300) objects with 1-4 random bytes changed in .BTF
# and .BTF.ext, in the ELF tables, or anywhere, run through `run` and
# `attach`. Every one exits 0 or 1 (never a signal, never an ASan report) and
# leaves nothing attached. Meaningful most under the ASan build.
. "$(dirname "$0")/lib.sh"
require_kernel
setup_veth || { fail "veth setup"; finish; }
L=$SLUICE_LOAD
CORPUS=$(dirname "$0")/corpus/object
"$HELPER" mkpcap "$TMP/p.pcap" eth udp:1 tcp:22 >/dev/null

for o in "$CORPUS"/*.o; do
	$L run "$o" --pcap "$TMP/p.pcap" >/dev/null 2>"$TMP/err"
	rc=$?
	check "$(basename "$o"): refused (rc)" 1 $rc
	grep -q "is damaged\|kernel memory" "$TMP/err" && ok "$(basename "$o"): says what is damaged" ||
		fail "$(basename "$o"): $(cat "$TMP/err")"
	LC_ALL=C grep -q '[^[:print:][:space:]]' "$TMP/err" && fail "$(basename "$o"): raw bytes on stderr"
done

n=${SLUICE_MUTANTS:-300} crashes=0 accepted=0
i=0
while [ $i -lt "$n" ]; do
	for mode in btf elf any; do
		base=$OBJDIR/xdp-$([ $((i % 2)) = 0 ] && echo a || echo b).o
		"$HELPER" mutate "$base" "$TMP/m.o" $i $mode || { fail "mutate $i"; continue; }
		if [ $((i % 2)) = 0 ]; then
			$L run "$TMP/m.o" --pcap "$TMP/p.pcap" >/dev/null 2>"$TMP/err"
		else
			$L attach "$TMP/m.o" --xdp "$DEV_A" --netns "$NS_A" >/dev/null 2>"$TMP/err"
		fi
		rc=$?
		[ $rc = 0 ] && accepted=$((accepted + 1))
		if [ $rc != 0 ] && [ $rc != 1 ] || grep -q "Sanitizer\|runtime error" "$TMP/err"; then
			crashes=$((crashes + 1))
			cp "$TMP/m.o" "$TMP/../crash-$mode-$i.o" 2>/dev/null
			fail "mutant $i ($mode, rc $rc): $(head -5 "$TMP/err")"
		fi
		[ $((i % 2)) = 1 ] && [ $rc = 0 ] && $L detach --xdp "$DEV_A" --netns "$NS_A" >/dev/null
		i=$((i + 1))
	done
done
echo "$i mutants: $accepted accepted, $crashes crashes"
assert_clean "mutants"
finish
