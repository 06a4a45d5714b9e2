#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Per-packet cost of connection state, XDP, BPF_PROG_TEST_RUN (bpftool prog run,
# average over REPEAT runs of one packet, best of ROUNDS), next to the floor and
# probe-hash of bench/bpf: an established TCP reply (10.0.0.1:80 -> 10.0.0.2:40000,
# ACK) whose flow is known (warm) or not (cold).
#   floor             the empty program
#   probe-hash        5-tuple + one missed lookup in a kernel hash map
#   probe-ct-table    5-tuple + one hit in an own LRU flow table (sluice's layout)
#   probe-ct-kfunc    5-tuple + bpf_xdp_ct_lookup() of the kernel's tracker, the entry
#                     there (warm: a live connection in the netns, nftables tracking)
#                     or not (cold)
#   sluice-nostate    sluice: `tcp sport 80 accept` (parse, one rule)
#   sluice-ct         sluice: `ct state established accept` on a warm own table (parse,
#                     tracker, rule, the flow's update on accept)
# Usage: bench/ct/run.sh SLUICE MKFLOWS [REPEAT] [ROUNDS]   (root; prints a table)
set -euo pipefail
sluice=$1 mkflows=$2 repeat=${3:-2000000} rounds=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
ns=sluice-ctbench-$$ pins=/sys/fs/bpf/sluice-ctbench-$$ tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$pins" "$tmp"; kill %1 2>/dev/null; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 10.0.0.1/32 dev lo
ip -n "$ns" addr add 10.0.0.2/32 dev lo
mkdir -p "$pins"

"$mkflows" "$tmp/p.pcap" in:tcp:80:40000:A
tail -c +41 "$tmp/p.pcap" > "$tmp/pkt" # the frame after the pcap's file and record headers
clang -O2 -target bpf -c "$here/../bpf/empty.bpf.c" -o "$tmp/floor.o"
clang -O2 -g -target bpf -DPROBE_HASH -c "$here/../bpf/probe.bpf.c" -o "$tmp/probe-hash.o"
clang -O2 -g -target bpf -DPROBE_CT_TABLE -c "$here/probe_ct.bpf.c" -o "$tmp/probe-ct-table.o"
clang -O2 -g -target bpf -DPROBE_CT_KFUNC -c "$here/probe_ct.bpf.c" -o "$tmp/probe-ct-kfunc.o"
printf 'table t {\n hook xdp\n policy drop\n tcp sport 80 accept\n}\n' > "$tmp/nostate.sluice"
printf 'table t {\n hook xdp\n policy drop\n ct state established accept\n}\n' > "$tmp/ct.sluice"
"$sluice" build -q "$tmp/nostate.sluice" -o "$tmp/sluice-nostate.o"
"$sluice" build -q "$tmp/ct.sluice" -o "$tmp/sluice-ct.o"

load() { # NAME: pins its programs under $pins/NAME
	mkdir -p "$pins/$1"
	# progs pin as $pins/NAME/<function>
	bpftool prog loadall "$tmp/$1.o" "$pins/$1" type xdp >/dev/null 2>"$tmp/load.err" ||
		bpftool prog loadall "$tmp/$1.o" "$pins/$1" >/dev/null || cat "$tmp/load.err" >&2
}
map_of() { # NAME MAP: the id of the program's map
	local prog
	prog=$(ls "$pins/$1" | head -1)
	for id in $(bpftool prog show pinned "$pins/$1/$prog" | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr , ' '); do
		bpftool map show id "$id" | grep -q "name $2" && { echo "$id"; return; }
	done
}
best() { # PROG: the best average (ns) of $rounds runs
	for _ in $(seq "$rounds"); do
		nsenter --net=/run/netns/"$ns" bpftool prog run pinned "$1" data_in "$tmp/pkt" repeat "$repeat" |
			sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p'
	done | sort -n | head -1
}

for v in floor probe-hash probe-ct-table probe-ct-kfunc sluice-nostate sluice-ct; do load "$v"; done
# Warm own tables: the flow of the packet, opened by the host, replied (flags 3), seen
# far in the future (never idle).
# sluice: local 10.0.0.2, remote 10.0.0.1 as numbers, lport 40000, rport 80, tcp, IPv4
bpftool map update id "$(map_of sluice-ct sluice_flows)" \
	key hex 02 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 00 40 9c 50 00 06 04 00 00 \
	value hex 00 00 00 00 00 00 00 40 03 00 00 00 00 00 00 00
# the probe reads the addresses and ports as they lie in the packet
bpftool map update id "$(map_of probe-ct-table flows)" \
	key hex 0a 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 0a 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 9c 40 00 50 06 04 00 00 \
	value hex 00 00 00 00 00 00 00 40 03 00 00 00 00 00 00 00

printf '%-34s %8s\n' variant ns/packet
for v in floor probe-hash probe-ct-table; do
	printf '%-34s %8s\n' "$v" "$(best "$pins/$v/$(ls "$pins/$v" | head -1)")"
done
printf '%-34s %8s\n' "probe-ct-kfunc (cold: not tracking)" "$(best "$pins/probe-ct-kfunc/probe")"
# Warm kernel tracker: nftables makes the netns track; a live connection has the entry.
ip netns exec "$ns" nft -f - <<'NFT'
table ip ctbench { chain in { type filter hook input priority 0; ct state new counter; }; }
NFT
ip netns exec "$ns" python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.0.0.1', 80)); s.listen()
c = socket.socket(); c.bind(('10.0.0.2', 40000)); c.connect(('10.0.0.1', 80))
a, _ = s.accept(); time.sleep(600)" &
sleep 1
ip netns exec "$ns" grep -c 'dport=80' /proc/net/nf_conntrack >/dev/null 2>&1 || true
printf '%-34s %8s\n' "probe-ct-kfunc (warm: entry found)" "$(best "$pins/probe-ct-kfunc/probe")"
printf '%-34s %8s\n' "sluice-nostate" "$(best "$pins/sluice-nostate/sluice_t")"
printf '%-34s %8s\n' "sluice-ct (warm, established)" "$(best "$pins/sluice-ct/sluice_t")"
