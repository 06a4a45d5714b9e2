#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/why/compile_ab.sh RUNS POLICY SLUICE... : `sluice build -q -O2 POLICY` with
# each SLUICE binary, RUNS times interleaved (a busy phase of a shared machine
# then hits all of them); prints per binary the least CPU seconds (user + sys)
# and the largest peak RSS (/usr/bin/time), and whether its object equals the
# first binary's.
set -euo pipefail
runs=$1 policy=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < runs; i++)); do
	k=0
	for s in "$@"; do
		/usr/bin/time -o "$tmp/t" -f '%U %S %M' "$s" build -q -O2 "$policy" -o "$tmp/$k.o"
		echo "$k $(awk '{ printf "%.2f %d", $1 + $2, $3 }' "$tmp/t")" >>"$tmp/all"
		k=$((k + 1))
	done
done
k=0
for s in "$@"; do
	same=yes
	cmp -s "$tmp/0.o" "$tmp/$k.o" || same=no
	awk -v k="$k" -v s="$s" -v p="$(basename "$policy")" -v same="$same" '$1 == k {
		if (cpu == "" || $2 < cpu) cpu = $2; if ($3 > rss) rss = $3 }
		END { printf "%s %s cpu_s=%.2f rss_mib=%.1f same_object=%s\n", p, s, cpu, rss / 1024, same }' "$tmp/all"
	k=$((k + 1))
done
