#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/why/run.sh [OPTIONS]: why sluice -O2 costs what it costs per packet
# against probe-hash (one missed hash lookup), set by set (README.md here).
#
#   --sets "acl1 ..."   ClassBench sets (default: all seven)
#   --sizes "10000 100000"
#   --packets P         packets timed per object (default 4000)
#   --rounds K          timing rounds (default 5)
#   --budget S          seconds of timing per object (default 6)
#   --out DIR           default BUILD/bench-results/why-<UTC date-time>
#   --build DIR         default build
#
# Per set and size: the compile (sluice build -q -O2 under /usr/bin/time: CPU
# seconds, peak RSS), the plan's work per packet over the whole trace
# (sluice-plan-work: trees walked, node visits, box checks; every verdict held
# against the first-match scan of the rule file), and one sluice-bench
# measure run of floor, probe-hash and sluice-O2 on the same packets with
# --per-packet, from which sluice-plan-work fits ns per tree, visit and check.
# Writes DIR/work.txt (one line per set and size), DIR/compile.txt and
# DIR/README.md (the tables). Needs root (BPF_PROG_TEST_RUN) and clang.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
sets="acl1 acl2 acl3 fw1 fw2 fw3 ipc1" sizes="10000 100000"
packets=4000 rounds=5 budget=6 out="" build=$repo/build
while [ $# -gt 0 ]; do
	case $1 in
	--sets) sets=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--packets) packets=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--budget) budget=$2; shift ;;
	--out) out=$2; shift ;;
	--build) build=$2; shift ;;
	-h | --help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/why/run.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
die() { echo "bench/why/run.sh: $*" >&2; exit 1; }
cbdir=${SLUICE_SHARED_DIR:-$repo/../shared}/classbench
[ -d "$cbdir" ] || die "no ClassBench sets in $cbdir"
: "${out:=$build/bench-results/why-$(date -u +%Y%m%d-%H%M)}"
mkdir -p "$out/work"
work=$out/work
cmake --build "$build" -j2 --target sluice classbench2sluice classbench-trace sluice-bench \
	sluice-plan-work >/dev/null || die "build failed"
tools=$build/bench
sluice=$build/compiler/driver/sluice
clang -O2 -target bpf -c "$here/bpf/empty.bpf.c" -o "$work/empty.o"
clang -O2 -g -target bpf -DPROBE_HASH -c "$here/bpf/probe.bpf.c" -o "$work/probe-hash.o"
clang -O2 -g -target bpf -DPROBE_PARSE -c "$here/bpf/probe.bpf.c" -o "$work/probe-parse.o"

{
	echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
	echo "kernel:   $(uname -r)"
	echo "sluice:   $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (modified)')"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) at start"
	echo "settings: sets=[$sets] sizes=[$sizes] packets=$packets rounds=$rounds budget=${budget}s"
} >"$out/machine.txt"
: >"$out/work.txt"
: >"$out/compile.txt"
for set in $sets; do
	for n in $sizes; do
		rules=$cbdir/${set}_$n trace=$cbdir/${set}_${n}_trace
		[ -f "$rules" ] || die "missing $rules"
		if [ ! -f "$trace" ]; then # as bench/run: 100k sets ship no trace
			trace=$work/${set}_${n}_trace
			"$tools/classbench-trace" --seed 1 -o "$trace" "$rules"
		fi
		tag=${set}_$n
		"$tools/classbench2sluice" -n "$n" -o "$work/$tag.sluice" "$rules"
		/usr/bin/time -o "$work/$tag.time" -f '%e %U %S %M' \
			"$sluice" build -q -O2 "$work/$tag.sluice" -o "$work/$tag.o"
		read -r wall user sys rss <"$work/$tag.time"
		echo "set=$tag wall=$wall cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') user=$user sys=$sys rss_kb=$rss object_bytes=$(stat -c %s "$work/$tag.o") shape=\"$("$sluice" build -q -O2 --stats "$work/$tag.sluice" -o "$work/$tag.stats.o" 2>&1 | grep -m1 -o '[0-9]* rules, .*' | sed 's/"//g')\"" >>"$out/compile.txt"
		rm -f "$work/$tag.stats.o" "$work/$tag.pp" "$work/$tag.csv"
		"$tools/sluice-bench" measure --rules "$rules" -n "$n" --trace "$trace" --set "$tag" \
			--packets "$packets" --rounds "$rounds" --budget "$budget" --csv "$work/$tag.csv" \
			--header --probe probe-parse --probe probe-hash --per-packet "$work/$tag.pp" \
			"floor:$work/empty.o" "probe-parse:$work/probe-parse.o" \
			"probe-hash:$work/probe-hash.o" "sluice-O2:$work/$tag.o" ||
			die "measuring $tag failed"
		"$tools/sluice-plan-work" --rules "$rules" -n "$n" --trace "$trace" --label "$tag" \
			--times "$work/$tag.pp" --variant sluice-O2 --probe probe-hash "$work/$tag.sluice" \
			>>"$out/work.txt" || die "sluice-plan-work failed on $tag (exit $?)"
		rm -f "$work/$tag.o"
	done
done
"$here/why/report" "$out" >"$out/README.md"
echo "bench/why/run.sh: $out/README.md" >&2
