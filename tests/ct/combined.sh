#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# ct state with named sets, a limit, a meter, logs and `accept next` in one
# table (policy-combined.sluice), on every hook at -O0/-O1/-O2 and with the
# classifier forced: the verifier takes each object (test clock), the kernel
# (sluice-load run) prints what the interpreter (sluice run) prints, and on
# the ingress hooks the verdicts are the ones the policy means (the meter
# drops the 4th new connection of a burst, the limit the 3rd ping).
# Usage: combined.sh SLUICE SLUICE_LOAD MKFLOWS SRCDIR
set -uo pipefail
sluice=$1 load=$2 mkflows=$3 src=$4
TMP=$(mktemp -d /tmp/sluice-ct-combined-$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
skip() {
	echo "SKIP: $*"
	[ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ] && { echo "FAIL: SLUICE_REQUIRE_KERNEL=1"; exit 1; }
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root"
LOCAL=10.0.0.2,2001:db8::2

# in = peer 10.0.0.1 -> host 10.0.0.2; packets 1 ms apart (the test clock)
flows="in:tcp:50000:22:S out:tcp:22:50000:SA in:tcp:50000:22:A in:tcp:50001:22:S
	in:tcp:50002:22:S in:tcp:50003:22:S in:tcp:50004:80:S in:tcp:50005:80:S
	in:echo:1 in:echo:2 in:echo:3 in:echo:4 in:udp:40000:53 out:udp:53:40000
	in:tcp:50009:443:S in:tcp:50000:22:A in:tcp:50010:8080:A in:tcp:50011:8080:S
	in6:tcp:50000:22:S out6:tcp:22:50000:SA in6:tcp:50001:22:S in6:tcp:50002:22:S
	in6:tcp:50003:443:S"
# shellcheck disable=SC2086
"$mkflows" "$TMP/f.pcap" $flows || { echo "FAIL: mkflows"; exit 1; }
# packet:verdict:line on the ingress hooks (lines of policy-combined.sluice)
want="1:accept:23 3:accept:20 4:accept:23 5:accept:23 6:drop:22 7:drop:22 8:drop:22
	9:accept:26 10:accept:26 11:drop:27 12:drop:27 13:accept:25 15:accept:24 16:accept:20
	17:drop:21 18:drop:27 19:drop:27 21:drop:27 23:drop:27"
# policy-stack.sluice (xdp, tc ingress): the set's hits and the meter's drops
want_stack="19:accept:21 21:drop:20 22:drop:20 23:accept:21 1:accept:policy"

for hook in "xdp" "tc ingress" "tc egress" "cgroup_skb ingress" "cgroup_skb egress"; do
	h=${hook// /-} next=
	[ "${hook%% *}" = tc ] && next="accept next"
	sed -e "s/HOOK/$hook/" -e "s/NEXT/$next/" "$src/policy-combined.sluice" > "$TMP/$h.sluice"
	"$sluice" run "$TMP/$h.sluice" --pcap "$TMP/f.pcap" --local $LOCAL > "$TMP/interp-$h" 2>&1 ||
		{ fail "$hook: sluice run"; continue; }
	for mode in "-O0" "-O1" "-O2" "--classifier=tree" "--classifier=code"; do
		obj=$TMP/$h$mode.o
		"$sluice" build -q $mode --test-clock --record-decisions "$TMP/$h.sluice" -o "$obj" ||
			{ fail "$hook $mode: does not compile"; continue; }
		if ! "$load" run "$obj" --pcap "$TMP/f.pcap" --local $LOCAL > "$TMP/kernel" 2>&1; then
			fail "$hook $mode: sluice-load run (verifier?)"
			head -20 "$TMP/kernel"
			continue
		fi
		if ! cmp -s "$TMP/interp-$h" "$TMP/kernel"; then
			fail "$hook $mode: kernel and interpreter differ"
			diff "$TMP/interp-$h" "$TMP/kernel" | head -20
		fi
	done
	case $hook in *egress) continue ;; esac
	for w in $want; do
		n=${w%%:*} v=${w#*:} v=${v%%:*} l=${w##*:}
		got=$(awk -F'\t' -v n="$n" '$1 == n { print $2 ":" $3 }' "$TMP/interp-$h" |
			sed 's/:[^:]*sluice:\([0-9]*\):.*/:\1/')
		[ "$got" = "$v:$l" ] || fail "$hook: packet $n is '$got', want $v by line $l"
	done
done
# Every field, ct state, a meter and a set with 36-byte keys: the key has no room
# below the field slots and takes the limits' scratch (it did not compile).
for hook in "xdp" "tc ingress"; do
	h=stack-${hook// /-}
	sed -e "s/HOOK/$hook/" "$src/policy-stack.sluice" > "$TMP/$h.sluice"
	"$sluice" run -q "$TMP/$h.sluice" --pcap "$TMP/f.pcap" --local $LOCAL > "$TMP/interp-$h" 2>&1 ||
		{ fail "$hook stack: sluice run"; continue; }
	for mode in "-O0" "-O1" "-O2"; do
		obj=$TMP/$h$mode.o
		"$sluice" build -q $mode --test-clock --record-decisions "$TMP/$h.sluice" -o "$obj" ||
			{ fail "$hook stack $mode: does not compile"; continue; }
		"$load" run "$obj" --pcap "$TMP/f.pcap" --local $LOCAL > "$TMP/kernel" 2>&1 ||
			{ fail "$hook stack $mode: sluice-load run"; head -20 "$TMP/kernel"; continue; }
		cmp -s "$TMP/interp-$h" "$TMP/kernel" ||
			{ fail "$hook stack $mode: kernel and interpreter differ"; diff "$TMP/interp-$h" "$TMP/kernel" | head; }
	done
	for w in $want_stack; do
		n=${w%%:*} v=${w#*:} v=${v%%:*} l=${w##*:}
		got=$(awk -F'\t' -v n="$n" '$1 == n { print $2 ":" $3 }' "$TMP/interp-$h" |
			sed 's/:[^:]*sluice:\([0-9]*\):.*/:\1/')
		[ "$got" = "$v:$l" ] || fail "$hook stack: packet $n is '$got', want $v by $l"
	done
done
[ "$FAILS" = 0 ] && echo "PASS: ct with sets, limits, meters, logs" || { echo "$FAILS failures"; exit 1; }
