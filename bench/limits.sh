#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/limits.sh [OUT.csv]: ns/packet of a rule with `limit`, a meter of 10k and 1M keys,
# and a `log` rule that does not fire, next to the same policies without them and to
# probe-hash (bench/bpf/probe.bpf.c: parse plus one hash lookup). XDP, BPF_PROG_TEST_RUN,
# IPv4 TCP SYNs to port 22 (sluice-bench-limits). Needs root and clang. Run from a build
# directory made by scripts/build (SLUICE_BUILD_DIR, default build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
b=${SLUICE_BUILD_DIR:-$here/../build}
out=${1:-/dev/stdout}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pol() { # NAME RULES...
	local name=$1
	shift
	{ echo "table b {"; echo "hook xdp"; echo "policy drop"; printf '%s\n' "$@"; echo "}"; } >"$t/$name.sluice"
	"$b/compiler/driver/sluice" build -q "$t/$name.sluice" -o "$t/$name.o"
}
pol rule 'tcp dport 22 accept'
pol limit 'tcp dport 22 limit rate 2000000000/second burst 1000000000 packets accept'
pol meter10k 'tcp dport 22 limit rate over 1000000/second burst 1000000000 packets per ip saddr size 10000 drop' 'tcp dport 22 accept'
pol meter1m 'tcp dport 22 limit rate over 1000000/second burst 1000000000 packets per ip saddr size 1048576 drop' 'tcp dport 22 accept'
pol nolog 'udp dport 7777 drop' 'tcp dport 22 accept'
pol log 'udp dport 7777 log prefix "x" drop' 'tcp dport 22 accept'
clang -O2 -g -target bpf -DPROBE_HASH -c "$here/bpf/probe.bpf.c" -o "$t/probe-hash.o"
"$b/bench/sluice-bench-limits" probe-hash:"$t/probe-hash.o" rule:"$t/rule.o" limit:"$t/limit.o" \
	rule-10k-sources:"$t/rule.o":10000 meter-10k:"$t/meter10k.o":10000 \
	rule-1m-sources:"$t/rule.o":1000000 meter-1m:"$t/meter1m.o":1000000 \
	no-log:"$t/nolog.o" log-not-firing:"$t/log.o" >"$out"
