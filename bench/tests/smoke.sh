#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Smoke test of the bench harness at tiny N: bench/run end to end on 10 acl1
# rules and a few hundred packets, then checks of what it wrote. Timings are
# never asserted. Needs root/BPF: skips (77) unless SLUICE_REQUIRE_KERNEL=1.
set -euo pipefail

src=${1:?usage: smoke.sh SOURCE-DIR BUILD-DIR}
build=${2:?usage: smoke.sh SOURCE-DIR BUILD-DIR}
cbdir=${SLUICE_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}/classbench

skip() {
	if [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "FAIL: $* (SLUICE_REQUIRE_KERNEL=1)" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root for BPF_PROG_TEST_RUN"
[ -r "$cbdir/acl1_1000" ] || skip "no ClassBench data in $cbdir"
command -v clang >/dev/null || fail "clang is missing (scripts/install-deps)"
bpftool prog show >/dev/null 2>&1 || skip "no BPF here"

out=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-smoke-$$.XXXXXX")
trap 'rm -rf "$out"' EXIT

"$src/bench/run" --no-build --build "$build" --classbench "$cbdir" --out "$out" \
	--cache none --sets acl1 --sizes 10 --packets 200 --rounds 1 --budget 0.2 --compile-timeout 60 \
	2>"$out/run.log" || { cat "$out/run.log" >&2; fail "bench/run failed"; }

csv=$out/results.csv
for f in results.csv results.md machine.txt ns_acl1.png; do
	[ -s "$out/$f" ] || fail "bench/run wrote no $f"
done
[ "$(head -1 "$csv" | cut -d, -f1-7)" = "set,rules_requested,rules,trace_packets,matched_fraction,variant,status" ] ||
	fail "unexpected CSV header: $(head -1 "$csv")"
[ "$(wc -l <"$csv")" = 5 ] || fail "expected 4 rows (floor, clang-c, sluice-O0, sluice-O2): $(cat "$csv")"

row() { grep "^acl1,10,10,913,[0-9.]*,$1," "$csv" || fail "no row for $1"; }
field() { echo "$1" | cut -d, -f"$2"; }

floor=$(row floor)
[ "$(field "$floor" 7)" = ok ] || fail "the floor did not run: $floor"
[ -n "$(field "$floor" 21)" ] || fail "the floor has no ns/packet: $floor"

clang=$(row clang-c)
[ "$(field "$clang" 7)" = ok ] || fail "the clang baseline did not run: $clang"
[ "$(field "$clang" 16)" = ok ] && [ "$(field "$clang" 17)" = 0 ] ||
	fail "the clang baseline disagrees with the reference: $clang"

# sluice: once it compiles, the object must load and agree with the reference.
for v in sluice-O0 sluice-O2; do
	r=$(row $v)
	[ "$(field "$r" 8)" = ok ] || fail "$v did not compile 10 rules: $r"
	[ "$(field "$r" 7)" = ok ] && [ "$(field "$r" 16)" = ok ] ||
		fail "$v compiled but did not load or disagrees with the reference: $r"
done
grep -q wrong-verdicts "$csv" && fail "an object disagreed with the reference: $(grep wrong-verdicts "$csv")"

# The guard itself: an object that passes everything must be caught and get no figures.
clang -O2 -target bpf -c "$src/bench/bpf/empty.bpf.c" -o "$out/empty.o"
"$build/bench/sluice-bench" measure --rules "$cbdir/acl1_1000" -n 10 \
	--trace "$cbdir/acl1_1000_trace" --set acl1 --rounds 1 --budget 0.1 \
	--csv "$out/guard.csv" "always-pass:$out/empty.o" 2>"$out/guard.log" || fail "measure failed"
grep -q ',always-pass,wrong-verdicts,.*,FAILED,[1-9][0-9]*,,,,,,,,,' "$out/guard.csv" ||
	fail "the guard let a wrong object through: $(cat "$out/guard.csv")"
grep -q MISMATCH "$out/guard.log" || fail "the guard did not name a mismatching packet"

# A probe is timed without the guard, and says so; the probes build and load.
for p in PARSE HASH; do
	clang -O2 -g -target bpf "-DPROBE_$p" -c "$src/bench/bpf/probe.bpf.c" -o "$out/probe-$p.o" ||
		fail "bench/bpf/probe.bpf.c does not build with -DPROBE_$p"
done
"$build/bench/sluice-bench" measure --rules "$cbdir/acl1_1000" -n 10 \
	--trace "$cbdir/acl1_1000_trace" --set acl1 --rounds 1 --budget 0.1 --csv "$out/probe.csv" \
	--probe always-pass --probe parse --probe hash "floor:$out/empty.o" \
	"always-pass:$out/empty.o" "parse:$out/probe-PARSE.o" "hash:$out/probe-HASH.o" \
	--per-packet "$out/probe.pp" 2>"$out/probe.log" || fail "measure with probes failed"
for p in always-pass parse hash; do
	r=$(grep ",$p,ok," "$out/probe.csv") || fail "probe $p was not timed: $(cat "$out/probe.csv")"
	[ "$(field "$r" 16)" = n/a ] && [ -n "$(field "$r" 21)" ] || fail "probe $p: $r"
	echo "$r" | grep -q 'probe: a lower bound' || fail "probe $p's row does not say it is a probe: $r"
	# --per-packet: one "variant,trace index,ns" row per timed packet
	[ "$(grep -c "^$p,[0-9]*,[0-9.]*$" "$out/probe.pp")" = "$(field "$r" 18)" ] ||
		fail "probe $p: --per-packet rows do not match timed_packets: $r"
done
# The tuple-space search baseline: its tables filled by the harness, guarded on 1k
# rules (fw1: wildcard-heavy, ranges, several tuples); its row names the tuples.
clang -O2 -g -target bpf -c "$src/bench/bpf/tss.bpf.c" -o "$out/tss.o" ||
	fail "bench/bpf/tss.bpf.c does not build"
"$build/bench/sluice-bench" measure --rules "$cbdir/fw1_1000" --trace "$cbdir/fw1_1000_trace" \
	--set fw1 --rounds 1 --budget 0.1 --csv "$out/tss.csv" --tss tss "tss:$out/tss.o" \
	2>"$out/tss.log" || fail "measure with tss failed: $(cat "$out/tss.log")"
r=$(grep ",tss,ok," "$out/tss.csv") || fail "tss did not run: $(cat "$out/tss.csv" "$out/tss.log")"
[ "$(field "$r" 16)" = ok ] && [ "$(field "$r" 17)" = 0 ] && [ -n "$(field "$r" 21)" ] ||
	fail "tss disagrees with the reference or was not timed: $r"
[ "$(field "$r" 26)" -gt 0 ] || fail "tss reports no map bytes: $r"
echo "$r" | grep -q '[0-9] tuples, [0-9]* keys' || fail "tss's row does not say its tuples: $r"

echo "ok: bench harness smoke test"
