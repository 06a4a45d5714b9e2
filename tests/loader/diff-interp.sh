#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The kernel against the reference interpreter: every table of the example
# policies and of the loader's test policies, compiled, run by `sluice-load
# run` (BPF_PROG_TEST_RUN) and by `sluice run` (the interpreter) on the same
# varied pcaps (IPv4/IPv6, TCP flags, fragments, VLAN, ARP, raw IP); the
# outputs, text and JSON, must be identical; on examples/malformed.pcap (runts,
# cut and bad headers) identical but for the frames the kernel cannot test-run.
# Usage: diff-interp.sh SLUICE SOURCE_DIR
. "$(dirname "$0")/lib.sh"
sluice=$1 src=$2
[ -f "$OBJDIR/kind" ] || { echo "FAIL: no test objects"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
"$HELPER" mkpcap "$TMP/probe.pcap" eth udp:1 >/dev/null
"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/probe.pcap" >/dev/null 2>&1 || skip "BPF not usable here"

compile() { # POLICY OUT
	"$sluice" build --record-decisions --test-clock "$1" -o "$2"
}

pkts=(udp:53 udp:53:53 udp:123 udp:7777 udp:7778 tcp:22 tcp:22:40000:10.1.2.3 tcp:80 tcp:443
	tcp:8080 tcp:8999 tcp:9000 tcp:25:40000:192.0.2.7 tcp:9100:40000:10.20.0.5 tcp:9999 tcp:8888
	tcp:1234:40000:10.9.0.1:0x12 tcp:1234:40000:10.9.0.1:0x10 tcp:873:40000:198.51.100.9 tcp:465 tcp:587
	icmp:8 icmp:0 icmp:3 icmp:8:192.0.2.1 udp6:53 tcp6:22 tcp6:443 icmp6:128 icmp6:135 frag:6 frag:17
	arp vlan:42:tcp:443 vlan:7:udp:53 vlan:42:icmp:8)
# (No truncated IP headers here: the kernel refuses to test-run them on skb hooks;
# examples/malformed.pcap has them, compared but for the frames the kernel skips.)
raw=(udp:53 tcp:22:40000:10.1.2.3 tcp:443 tcp:25:40000:192.0.2.7 icmp:8 udp6:53 tcp6:443 icmp6:128 frag:6)
"$HELPER" mkpcap "$TMP/eth.pcap" eth "${pkts[@]}"
"$HELPER" mkpcap "$TMP/raw.pcap" raw "${raw[@]}"
cp "$src/examples/malformed.pcap" "$TMP/malformed.pcap"

tables_of() { # OBJ: the table names, from the loader's own listing
	"$SLUICE_LOAD" run "$1" --pcap "$TMP/probe.pcap" >/dev/null 2>"$TMP/tables" && { echo "-"; return; }
	sed -n 's/.*the object.s tables: //p' "$TMP/tables" | tr ',' '\n' | sed 's/ *\([^ ]*\) (.*/\1/'
}

compare() { # DIR POLICY
	local dir=$1 pol=$2 obj=$TMP/$(basename "$2" .sluice).o
	(cd "$dir" && compile "$pol" "$obj") || { fail "$pol: does not compile"; return; }
	for t in $(tables_of "$obj"); do
		local topt=()
		[ "$t" = - ] || topt=(--table "$t")
		for pcap in eth raw malformed; do
			for json in "" --json; do
				local k i
				k=$(cd "$dir" && "$SLUICE_LOAD" run "$obj" "${topt[@]}" --pcap "$TMP/$pcap.pcap" $json 2>&1)
				i=$(cd "$dir" && "$sluice" run "$pol" "${topt[@]}" --pcap "$TMP/$pcap.pcap" $json 2>&1)
				if [ $pcap = malformed ]; then
					# the kernel skips what its test run refuses; all else identical
					if "$src/tests/diff/compare_runs.sh" <(echo "$i") <(echo "$k") >"$TMP/cmp"; then
						ok "$pol ${t} $pcap ${json:-text}: kernel = interpreter but for $(grep -o '"verdict":"skipped"\|	skipped	' <<<"$k" | wc -l) skipped"
					else
						fail "$pol $t $pcap ${json:-text}: kernel and interpreter differ"
						head -20 "$TMP/cmp"
					fi
				elif [ "$k" = "$i" ] && [ -n "$k" ]; then
					ok "$pol ${t} $pcap ${json:-text}: kernel = interpreter ($(echo "$k" | grep -c . ) lines)"
				else
					fail "$pol $t $pcap ${json:-text}: kernel and interpreter differ"
					diff <(echo "$k") <(echo "$i") | head -20
				fi
			done
		done
	done
}

for p in "$src"/examples/*.sluice; do
	compare "$src/examples" "$(basename "$p")"
done
for p in "$OBJDIR"/src/*/edge-*.sluice; do
	[ -f "$p" ] && compare "$(dirname "$p")" "$(basename "$p")"
done
finish
