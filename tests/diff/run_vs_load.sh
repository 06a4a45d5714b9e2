#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# `sluice run` (the reference interpreter) and `sluice-load run` (the compiled
# object in the kernel, built with --record-decisions at -O0, -O1, -O2) print
# the same verdicts, deciders and counters for every table of every policy
# over a pcap, in text and in JSON. Packets the kernel's test run refuses
# (runts; on tc and cgroup_skb, cut IPv4/IPv6 headers) are skipped by
# sluice-load run (exit 3) and judged by sluice run (exit 0): compare_runs.sh
# holds every other line to identity.
#   run_vs_load.sh SLUICE SLUICE_LOAD PCAP POLICY...
set -u
sluice=$1 load=$2 pcap=$3
shift 3
if [ "$(id -u)" != 0 ]; then
	echo "run_vs_load: needs root for BPF_PROG_TEST_RUN" >&2
	[ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ] && exit 1
	exit 77
fi
tmp=$(mktemp -d /tmp/sluice-interp-run.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
here=$(cd "$(dirname "$0")" && pwd)
fail=0 compared=0 skipped=0
for policy in "$@"; do
	dir=$(dirname "$policy") base=$(basename "$policy")
	tables=$(cd "$dir" && "$sluice" dump --ir "$base" | sed -n 's/^table \([^ ]*\) .*/\1/p')
	if [ -z "$tables" ]; then
		echo "run_vs_load: $policy: no tables (does it compile?)" >&2
		fail=1
		continue
	fi
	for level in 0 1 2; do
		obj=$tmp/$(basename "$base" .sluice)-O$level.o
		if ! (cd "$dir" && "$sluice" build "-O$level" --record-decisions --test-clock -o "$obj" "$base"); then
			echo "run_vs_load: $policy: sluice build -O$level failed" >&2
			fail=1
			continue
		fi
		for table in $tables; do
			for fmt in "" --json; do
				(cd "$dir" && "$sluice" run "$base" --table "$table" --pcap "$pcap" $fmt) \
					>"$tmp/interp" 2>&1
				irc=$?
				"$load" run "$obj" --table "$table" --pcap "$pcap" $fmt >"$tmp/kernel" 2>&1
				krc=$?
				what="$policy table $table -O$level ${fmt:-text}"
				if ! "$here/compare_runs.sh" "$tmp/interp" "$tmp/kernel" >"$tmp/diff"; then
					echo "run_vs_load: $what: sluice run (-) and sluice-load run (+) differ:" >&2
					head -40 "$tmp/diff" >&2
					fail=1
				fi
				skips=$(grep -c 'skipped' "$tmp/kernel" || true)
				want=0
				[ "$skips" = 0 ] || want=3
				if [ $irc != 0 ] || [ $krc != $want ]; then
					echo "run_vs_load: $what: exit codes $irc (sluice run, want 0) and $krc (sluice-load run, want $want)" >&2
					fail=1
				fi
				[ -n "$fmt" ] || skipped=$((skipped + $(grep -c "	skipped	" "$tmp/kernel" || true)))
				compared=$((compared + 1))
			done
		done
	done
done
echo "run_vs_load: $compared comparisons over $(basename "$pcap") ($skipped packets skipped by the kernel, judged by the interpreter): $([ $fail = 0 ] && echo all agree || echo DIFFERENCES)"
exit $fail
