#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Limits and logs end to end (lang-spec/packet-semantics.md, "Rate limits", "Logging"):
# two namespaces joined by a veth, an XDP policy on one side. A ping flood of 200
# echo requests over 2 s through `limit rate 5/second burst 5 packets` gets the burst
# plus what 2 s refill (about 15) answers; a `log prefix "x"` rule on a UDP port gives
# one decoded line per datagram with the policy line, as text, JSON and a pcap that
# tcpdump (or libpcap, through `sluice run`) reads; stats shows the limit's state; the
# pins go with detach.
. "$(dirname "$0")/lib.sh"
# $1: the compiler; or, in the Debian 12 VM (tests/vm), a directory with e2e.o and
# nolog.o built ahead (the VM has the loader only)
SLUICE=$1
build() { # POLICY OBJ
	if [ -d "$SLUICE" ]; then cp "$SLUICE/$(basename "$2")" "$2"; else "$SLUICE" build -q "$1" -o "$2"; fi
}
require_kernel
setup_veth || { echo "FAIL: veth setup"; exit 1; }
TARGET=(--xdp "$DEV_A" --netns "$NS_A")
[ -d "$SLUICE" ] || cp "$(dirname "$0")/policies/limits-log-e2e.sluice" "$TMP/e2e.sluice"
build "$TMP/e2e.sluice" "$TMP/e2e.o" || { echo "FAIL: build"; exit 1; }
out=$("$SLUICE_LOAD" attach "$TMP/e2e.o" "${TARGET[@]}" 2>&1)
check "attach (rc)" 0 $?
for p in limits log log-lost; do
	[ -e "$(find "$SLUICE_PIN_ROOT" -name "$p" | head -1)" ] && ok "pinned: $p" || fail "no pin $p: $(find "$SLUICE_PIN_ROOT")"
done

# 200 echo requests, one every 10 ms: the burst (5) and 5 a second for the ~2 s.
sum=$(ip netns exec "$NS_B" ping -q -i 0.01 -c 200 -W 1 $IP_A 2>/dev/null | grep transmitted)
got=$(echo "$sum" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
ms=$(echo "$sum" | sed -n 's/.*time \([0-9]*\)ms.*/\1/p')
# Bounds (packet-semantics.md): the burst plus what the flood's time T (first to last
# request, ping's own figure) refills, 5 + 5 T; +-1 for the partial token and ping's rounding.
echo "ping flood: ${got:-?} of 200 answered; requests over ${ms:-?} ms"
lo=$((5 + 5 * ${ms:-0} / 1000 - 1)) hi=$((5 + 5 * ${ms:-0} / 1000 + 1))
[ "${got:-0}" -ge $lo ] && [ "${got:-0}" -le $hi ] && ok "flood answered within $lo..$hi" ||
	fail "flood: ${got:-?} answered, expected $lo..$hi"
stats=$("$SLUICE_LOAD" stats "${TARGET[@]}")
echo "$stats" | grep -q "over the limit [1-9]" && ok "stats: hits over the limit" || fail "stats: $stats"

# A meter: 10 datagrams at once from one source, 2 under the rate, 8 over; one key.
ip netns exec "$NS_B" "$HELPER" udp-send $IP_A 7778 10 0 >/dev/null
stats=$("$SLUICE_LOAD" stats "${TARGET[@]}")
echo "$stats" | grep -q "e2e.sluice:7:5	meter: 1 of 65536 keys, over the limit 8 times" &&
	ok "stats: meter keys and hits over the limit" || fail "stats (meter): $stats"
check "stats --json: meter" 1 "$("$SLUICE_LOAD" stats "${TARGET[@]}" --json | grep -c '"line":7,"col":5,"over":8,"meter":{"keys":1,"size":65536}')"

# One log line per probe.
ip netns exec "$NS_B" "$HELPER" udp-send $IP_A 7777 5 20000 >/dev/null
sleep 0.2
lines=$("$SLUICE_LOAD" log "${TARGET[@]}" 2>"$TMP/log.err")
echo "$lines"
check "log: 5 lines" 5 "$(echo "$lines" | grep -c "e2e.sluice:6 \"x\" continue udp $IP_B:[0-9]* -> $IP_A:7777")"
grep -q "0 lost" "$TMP/log.err" && ok "log: losses shown" || fail "log: $(cat "$TMP/log.err")"
# The ring buffer was read: a second read finds nothing new; new probes come as JSON.
check "log: read once" 0 "$("$SLUICE_LOAD" log "${TARGET[@]}" 2>/dev/null | wc -l)"
ip netns exec "$NS_B" "$HELPER" udp-send $IP_A 7777 3 20000 >/dev/null
sleep 0.2
json=$("$SLUICE_LOAD" log "${TARGET[@]}" --json)
check "log --json: 3 records" 3 "$(echo "$json" | grep -c '"prefix":"x","level":4,"action":"continue","len":[0-9]*,"proto":"udp"')"
echo "$json" | tail -1 | grep -q '^{"lost":0,"capped":0}$' && ok "log --json: losses" || fail "json: $json"
ip netns exec "$NS_B" "$HELPER" udp-send $IP_A 7777 4 20000 >/dev/null
sleep 0.2
"$SLUICE_LOAD" log "${TARGET[@]}" --pcap "$TMP/log.pcap" 2>/dev/null
# libpcap reads it: through the interpreter here, through the loader in the VM
if [ -d "$SLUICE" ]; then
	read_pcap=("$SLUICE_LOAD" run "$TMP/e2e.o")
else
	read_pcap=("$SLUICE" run -q "$TMP/e2e.sluice")
fi
check "log --pcap: 4 packets (libpcap)" "total: 4 packets, 4 accept, 0 drop" \
	"$("${read_pcap[@]}" --pcap "$TMP/log.pcap" | grep total)"
if command -v tcpdump >/dev/null; then
	check "log --pcap: tcpdump reads it" 4 "$(tcpdump -nr "$TMP/log.pcap" 2>/dev/null | grep -c "$IP_B.* > $IP_A.7777: UDP")"
fi

# replace: the new object's maps take the pins' places; pins of maps it lacks go.
pins() { find "$SLUICE_PIN_ROOT" -mindepth 4 -type f ! -name lock | sed 's|.*/||' | sort | tr '\n' ' '; }
"$SLUICE_LOAD" replace "$TMP/e2e.o" "${TARGET[@]}" >/dev/null 2>&1
check "replace (same object)" "limits link log log-lost meter-3 state " "$(pins)"
check "replace: fresh buckets" 0 "$("$SLUICE_LOAD" stats "${TARGET[@]}" --json | grep -c '"over":[1-9]')"
[ -d "$SLUICE" ] || sed 's/ log prefix "x"/ counter/' "$TMP/e2e.sluice" >"$TMP/nolog.sluice"
build "$TMP/nolog.sluice" "$TMP/nolog.o" || fail "build nolog"
"$SLUICE_LOAD" replace "$TMP/nolog.o" "${TARGET[@]}" >/dev/null 2>&1
check "replace (no log): log pins gone" "carried counters limits link meter-3 state " "$(pins)"
"$SLUICE_LOAD" log "${TARGET[@]}" >/dev/null 2>&1
check "log without log rules fails" 1 $?
"$SLUICE_LOAD" replace "$TMP/e2e.o" "${TARGET[@]}" >/dev/null 2>&1
check "replace (log again)" "limits link log log-lost meter-3 state " "$(pins)"

"$SLUICE_LOAD" detach "${TARGET[@]}" >/dev/null 2>&1
check "detach (rc)" 0 $?
assert_clean "after detach"
finish
