#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# sluice-plan-work finds the plans sluice -O2 put in the object (as many trees
# as `sluice build --stats` names) and walks every trace header through them
# to the verdict of the first-match scan (the counts of bench/why/ rest on it).
set -euo pipefail

build=${1:?usage: plan_work.sh BUILD-DIR}
cbdir=${SLUICE_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}/classbench
tools=$build/bench
sluice=$build/compiler/driver/sluice
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -r "$cbdir/acl1_1000" ] || { echo "SKIP: no ClassBench data in $cbdir" >&2; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/sluice-plan-work-$$.XXXXXX")
trap 'rm -rf "$out"' EXIT

for set in acl1 fw1; do
	"$tools/classbench2sluice" -o "$out/$set.sluice" "$cbdir/${set}_1000"
	line=$("$tools/sluice-plan-work" --rules "$cbdir/${set}_1000" --trace "$cbdir/${set}_1000_trace" \
		--out "$out/$set.csv" "$out/$set.sluice") || fail "$set: sluice-plan-work failed ($line)"
	echo "$line"
	want=$("$sluice" build -q -O2 --stats "$out/$set.sluice" -o "$out/$set.o" 2>&1 |
		sed -n 's/.*, \([0-9]*\) trees\{0,1\}, depth.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
	[ "$want" -gt 0 ] || fail "$set: --stats names no tree"
	[[ $line == *" trees=$want "* ]] || fail "$set: --stats says $want trees: $line"
	[[ $line == *" wrong_verdicts=0 "* ]] || fail "$set: wrong verdicts: $line"
	[ "$(wc -l <"$out/$set.csv")" -eq $(($(grep -c . "$cbdir/${set}_1000_trace") + 1)) ] ||
		fail "$set: not one row per trace header"
	# every header walks at least one tree and visits at least one node there
	awk -F, 'NR > 1 && ($3 < 1 || $4 < 1) { bad++ } END { exit bad > 0 }' "$out/$set.csv" ||
		fail "$set: a header walked nothing"
done
echo "plan_work: ok"
