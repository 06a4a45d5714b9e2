#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `ct state` over flows in captures: every hook, every -O level, the kernel
# (sluice-load run: the table's program for one direction, its companion for
# the other, one flow table across the capture) against the reference
# interpreter (sluice run); and the states the spec gives for handshakes,
# replies, RSTs, ACK probes, pings, ICMP errors and idle timeouts (on the
# capture's clock: --test-clock), checked by name.
# Usage: sequences.sh SLUICE SLUICE_LOAD MKFLOWS SRCDIR
set -uo pipefail
sluice=$1 load=$2 mkflows=$3 src=$4
TMP=$(mktemp -d /tmp/sluice-ct-$$.XXXXXX)
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

# name: packets (host 10.0.0.2, peer 10.0.0.1; in = peer -> host)
declare -A seq
seq[tcp_out]="out:tcp:40000:80:S in:tcp:80:40000:SA out:tcp:40000:80:A out:tcp:40000:80:PA in:tcp:80:40000:PA out:tcp:40000:80:FA in:tcp:80:40000:FA out:tcp:40000:80:A"
seq[tcp_in]="in:tcp:50000:22:S out:tcp:22:50000:SA in:tcp:50000:22:A in:tcp:50000:22:PA out:tcp:22:50000:R in:tcp:50000:22:A"
seq[tcp_probe]="in:tcp:50001:22:A in:tcp:50002:8080:S in:tcp:50002:8080:A in:tcp:50003:80:SA in:tcp:50004:80:R"
seq[tcp_refused]="out:tcp:40001:25:S in:tcp:25:40001:RA in:tcp:25:40001:A out:tcp:40002:25:S in:tcp:25:40002:A"
seq[udp]="out:udp:40000:53 in:udp:53:40000 in:udp:53:40000 out:udp:40000:53 in:udp:123:40005 out:udp:40005:123 in:udp:123:40005"
seq[ping]="in:echo:7 out:echo:9 in:reply:9 in:reply:10 in:echo:9 out:reply:7 in:echo:7"
seq[errors]="out:udp:40000:33434 in:err:3:udp:40000:33434 in:err:11:udp:40001:33434 out:tcp:40010:443:S in:err:3:tcp:40010:443 out:echo:5 in:err:11:echo:5 in:err:11:echo:6 in:icmp:13"
seq[v6]="out6:tcp:40000:443:S in6:tcp:443:40000:SA out6:tcp:40000:443:A in6:udp:53:40000 out6:udp:40000:53 in6:udp:53:40000 out6:echo:3 in6:reply:3 in6:icmp:135 in6:err:1:udp:40000:53 in6:err:2:udp:40009:53"
# idle timeouts (abi.h: udp 30 s unreplied, 180 s replied; tcp 120 s opening), on the
# capture's clock: the objects are built --test-clock, as the interpreter reads the pcap's
seq[idle]="out:udp:40000:53 wait:40 in:udp:53:40000 out:udp:40001:53 in:udp:53:40001 wait:200 in:udp:53:40001 out:tcp:40002:80:S wait:121 in:tcp:80:40002:SA"
seq[misc]="arp in:frag:udp:53:40000 in:tcp:50000:80:S in:tcp:50000:80:S out:tcp:80:50000:SA in:tcp:50000:80:A"

"$mkflows" "$TMP/probe.pcap" out:udp:1:2 || { fail "mkflows"; exit 1; }
for hook in "xdp" "tc ingress" "tc egress" "cgroup_skb ingress" "cgroup_skb egress"; do
	h=${hook// /-}
	for pol in host states; do
		sed "s/HOOK/$hook/" "$src/policy-$pol.sluice" > "$TMP/$pol-$h.sluice"
		for O in 0 1 2; do
			obj=$TMP/$pol-$h-O$O.o
			"$sluice" build -O$O --record-decisions --test-clock "$TMP/$pol-$h.sluice" -o "$obj" ||
				{ fail "$pol $hook -O$O: does not compile"; continue; }
			for s in "${!seq[@]}"; do
				# shellcheck disable=SC2086
				"$mkflows" "$TMP/$s.pcap" ${seq[$s]} || { fail "mkflows $s"; continue; }
				"$sluice" run "$TMP/$pol-$h.sluice" --pcap "$TMP/$s.pcap" --local $LOCAL \
					> "$TMP/interp" 2>&1
				"$load" run "$obj" --pcap "$TMP/$s.pcap" --local $LOCAL > "$TMP/kernel" 2>&1
				sed -i "s|$TMP/||" "$TMP/interp" "$TMP/kernel"
				if ! cmp -s "$TMP/interp" "$TMP/kernel"; then
					fail "$pol $hook -O$O $s: kernel and interpreter differ"
					diff "$TMP/interp" "$TMP/kernel" | head -20
				fi
				[ "$O" = 2 ] && cp "$TMP/interp" "$TMP/out-$pol-$h-$s"
			done
		done
	done
done

# The states by name (the rule line of policy-states says which), XDP: in packets judged.
# rule lines: 5 new, 6 established, 7 related, 8 invalid, 9 untracked; `other-direction` = companion
expect() { # SEQ HOOK "n:line ..." (pol states)
	local f=$TMP/out-states-$2-$1 want got
	for w in $3; do
		got=$(awk -F'\t' -v n="${w%%:*}" '$1 == n { print $3 }' "$f" | sed 's/.*sluice:\([0-9]*\):.*/\1/')
		want=${w#*:}
		[ "$got" = "$want" ] || fail "$1 at $2: packet ${w%%:*} decided by '$got', want line $want"
	done
}
N=5 E=6 R=7 I=8 U=9 T=other-direction
expect tcp_out xdp "1:$T 2:$E 3:$T 4:$T 5:$E 6:$T 7:$E 8:$T"
expect tcp_in xdp "1:$N 2:$T 3:$E 4:$E 5:$T 6:$I"
expect tcp_probe xdp "1:$I 2:$N 3:$N 4:$I 5:$I"
expect tcp_refused xdp "2:$E 3:$I 5:$I"
expect udp xdp "2:$E 3:$E 5:$N 7:$E"
expect ping xdp "1:$N 3:$E 4:$I 5:$I 7:$E"
expect errors xdp "2:$R 3:$I 5:$R 7:$R 8:$I 9:$U"
expect v6 xdp "2:$E 4:$N 6:$E 8:$E 9:$U 10:$R 11:$I"
expect idle xdp "2:$N 4:$E 5:$N 7:$I"
expect misc xdp "1:$U 2:$U 3:$N 4:$N 6:$E"
# egress tables judge the host's packets: the same flows from the other side
expect tcp_out tc-egress "1:$N 2:$T 3:$E 4:$E 6:$E 8:$E"
expect ping cgroup_skb-egress "2:$N 6:$E"

# The host firewall: what the issue asks of it (XDP; all hooks agree above).
hostexp() { # SEQ "n:verdict ..."
	local f=$TMP/out-host-xdp-$1
	for w in $2; do
		got=$(awk -F'\t' -v n="${w%%:*}" '$1 == n { print $2 }' "$f")
		[ "$got" = "${w#*:}" ] || fail "host firewall $1: packet ${w%%:*} $got, want ${w#*:}"
	done
}
hostexp tcp_out "2:accept 5:accept 7:accept"
hostexp tcp_probe "1:drop 2:drop 3:drop 4:drop"
hostexp udp "2:accept 3:accept 5:drop 7:accept"
hostexp ping "1:drop 3:accept 4:drop 5:drop"
hostexp errors "2:accept 3:drop 5:accept"

[ "$FAILS" = 0 ] && echo "PASS: ct sequences" || { echo "$FAILS failures"; exit 1; }
