#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/sets.sh: a blocklist of N IPv4 prefixes as a named set (issue 18: an
# LPM trie the loader fills) against the same list compiled in (a `const` set:
# sluice's read-only table and binary search), on XDP:
#   - load time: `sluice-load set load` of the N prefixes (wall, user and sys
#     seconds), and for the compiled-in list `sluice build` + `attach`;
#   - ns/packet: BPF_PROG_TEST_RUN of the attached program (bpftool prog run,
#     repeat R) on a packet whose source is in the list (hit: XDP_DROP) and
#     one whose source is not (miss: XDP_PASS); a wrong verdict is reported
#     instead of a figure.
# The prefixes are random (/16 to /32, fixed seed, none inside 10.0.0.0/8),
# the same list for both. Writes results.csv and machine.txt to OUT.
# Needs root, bpftool and network namespaces.
# Usage: bench/sets.sh [--sizes "1000 100000 1000000"] [--repeat R] [--out DIR]
#                      [--no-const] SLUICE SLUICE-LOAD
set -euo pipefail

sizes="1000 100000 1000000" repeat=1000000 out="" const=1
while [ $# -gt 2 ]; do
	case $1 in
	--sizes) sizes=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-const) const=0; shift ;;
	*) echo "usage: bench/sets.sh [--sizes \"N...\"] [--repeat R] [--out DIR] [--no-const] SLUICE SLUICE-LOAD" >&2
	   exit 2 ;;
	esac
done
[ $# = 2 ] || { echo "usage: bench/sets.sh [OPTIONS] SLUICE SLUICE-LOAD" >&2; exit 2; }
sluice=$(realpath "$1") load=$(realpath "$2")
out=${out:-bench-results/sets-$(date -u +%Y%m%d-%H%M)}
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d /tmp/sluice-bench-sets.XXXXXX)
id=$$
ns=sluice-bset-$id dev=slbs$id peer=slbt$id
export SLUICE_PIN_ROOT=/sys/fs/bpf/sluice-bench-sets-$id
cleanup() {
	set +e
	"$load" detach --xdp "$dev" --netns "$ns" >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
	rm -rf "$SLUICE_PIN_ROOT" "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add "$dev" type veth peer name "$peer"
ip -n "$ns" link set "$dev" up
ip -n "$ns" link set "$peer" up

{
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
	echo "kernel: $(uname -r)"
	echo "sluice: $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "repeat: $repeat"
} > "$out/machine.txt"

# N distinct prefixes, deterministic in any awk (an LCG in doubles).
gen() {
	awk -v n="$1" 'BEGIN {
		x = 12345; split("16 20 24 24 24 28 32 32", lens, " ")
		while (count < n) {
			x = (x * 48271) % 2147483647; hi = x % 65536
			x = (x * 48271) % 2147483647; lo = x % 65536
			x = (x * 48271) % 2147483647; p = lens[x % 8 + 1]
			a = hi * 65536 + lo
			a -= a % (2 ^ (32 - p))
			if (int(a / 16777216) == 10) continue
			k = a "/" p
			if (k in seen) continue
			seen[k] = 1; count++
			printf "%d.%d.%d.%d/%d\n", int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256, p
		}
	}'
}

# An Ethernet/IPv4/UDP frame from SADDR (dotted) as bytes, for bpftool's data_in.
frame() {
	local IFS=.
	read -r a b c d <<<"$1"
	printf '\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00'
	printf '\x45\x00\x00\x1c\x00\x00\x00\x00\x40\x11\x00\x00'
	printf "\\x$(printf %02x "$a")\\x$(printf %02x "$b")\\x$(printf %02x "$c")\\x$(printf %02x "$d")"
	printf '\x0a\x00\x00\x02\x9c\x40\x00\x35\x00\x08\x00\x00'
}

prog_id() { "$load" list --json | grep -o '"program_id":[0-9]*' | head -1 | cut -d: -f2; }
ns_per_packet() { # FRAME-FILE XDP-RC: average ns of the attached program (its verdict checked)
	local r
	r=$(bpftool prog run id "$(prog_id)" data_in "$1" repeat "$repeat" 2>&1)
	if ! grep -q "Return value: $2," <<<"$r"; then
		echo "wrong-verdict"
		return
	fi
	grep -o 'duration (average): [0-9]*ns' <<<"$r" | grep -o '[0-9]*' || echo "?"
}
timed() { # LOG CMD...: wall user sys seconds, or "failed"
	local log=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >"$log" 2>&1 && cat "$work/time" || echo "failed"
}

echo "n,variant,load_wall_s,load_user_s,load_sys_s,ns_hit,ns_miss,note" > "$out/results.csv"
for n in $sizes; do
	gen "$n" > "$work/list"
	hit=$(head -1 "$work/list" | cut -d/ -f1)
	frame "$hit" > "$work/hit.bin"
	frame 10.1.2.3 > "$work/miss.bin"

	cat > "$work/named.sluice" <<EOF
set blocklist {
    type ipv4_addr
    flags interval
    size $n
}
table edge {
    hook xdp
    policy accept
    ip saddr @blocklist drop
}
EOF
	if "$sluice" build -q "$work/named.sluice" -o "$work/named.o" 2>"$work/named.err" &&
		"$load" attach "$work/named.o" --xdp "$dev" --netns "$ns" --mode generic >/dev/null 2>>"$work/named.err"; then
		read -r w u s <<<"$(timed "$work/load.log" "$load" set load --xdp "$dev" --netns "$ns" blocklist "$work/list")"
		echo "$n,named-set,$w,$u,$s,$(ns_per_packet "$work/hit.bin" 1),$(ns_per_packet "$work/miss.bin" 2)," >> "$out/results.csv"
		"$load" detach --xdp "$dev" --netns "$ns" >/dev/null
	else
		echo "$n,named-set,,,,,,$(head -1 "$work/named.err" | tr ',' ';')" >> "$out/results.csv"
	fi

	[ "$const" = 1 ] || continue
	{
		echo "const blocklist = {"
		sed '$!s/$/,/' "$work/list"
		echo "}"
		printf 'table edge {\n    hook xdp\n    policy accept\n    ip saddr $blocklist drop\n}\n'
	} > "$work/const.sluice"
	read -r w u s <<<"$(timed "$work/const.log" sh -c "\"$sluice\" build -q \"$work/const.sluice\" -o \"$work/const.o\" && \"$load\" attach \"$work/const.o\" --xdp $dev --netns $ns --mode generic")"
	if [ "$w" != failed ]; then
		echo "$n,compiled-in,$w,$u,$s,$(ns_per_packet "$work/hit.bin" 1),$(ns_per_packet "$work/miss.bin" 2),build+attach" >> "$out/results.csv"
		"$load" detach --xdp "$dev" --netns "$ns" >/dev/null
	else
		echo "$n,compiled-in,,,,,,$(tail -1 "$work/const.log" | tr ',' ';')" >> "$out/results.csv"
	fi
done
cat "$out/results.csv"
echo "results: $out"
