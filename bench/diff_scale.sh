#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `sluice diff` at ClassBench scale (issue 24): a policy against a copy with
# ten rules changed (bench/diff_mutate.awk), and two unrelated policies (the
# limit's message). Prints wall time and peak RSS of each run.
# SLUICE_DIFF_SCALE_ALL=1: all seven sets at 10k and fw1 at 100k too.
# usage: bench/diff_scale.sh BUILD-DIR [CLASSBENCH-DIR] [OUT-DIR]
set -euo pipefail
build=$1
cb=${2:-$(dirname "$0")/../../shared/classbench}
out=${3:-$(mktemp -d)}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
sluice=$build/compiler/driver/sluice

run() {
	local a=$1 b=$2 rc=0
	/usr/bin/time -f "%e %M %U %S" -o "$out/time" "$sluice" diff -e 1 "$a" "$b" >"$out/diff.txt" \
		2>"$out/err.txt" || rc=$?
	read -r secs kb user sys < <(tail -1 "$out/time")
	printf '%-28s %-34s exit %d  %6.2f s wall  %6.2f s CPU  peak RSS %4d MiB  %s\n' "$(basename "$a")" \
		"$(basename "$b")" "$rc" "$secs" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" $((kb / 1024)) \
		"$(head -1 "$out/diff.txt" 2>/dev/null) $(grep -o 'error: .*' "$out/err.txt" | head -1)"
}

sets="acl1_10000:900 acl1_100000:9000"
[ "${SLUICE_DIFF_SCALE_ALL:-0}" = 1 ] && sets="acl1_10000:900 acl2_10000:900 acl3_10000:900 fw1_10000:900
	fw2_10000:900 fw3_10000:900 ipc1_10000:900 acl1_100000:9000 fw1_100000:9000"
for set in $sets; do
	name=${set%%:*} step=${set##*:}
	"$build/bench/classbench2sluice" -o "$out/$name.sluice" "$cb/$name"
	awk -v STEP="$step" -f "$here/diff_mutate.awk" "$out/$name.sluice" >"$out/${name}_new.sluice"
	run "$out/$name.sluice" "$out/${name}_new.sluice"
done
"$build/bench/classbench2sluice" -o "$out/fw1_100000.sluice" "$cb/fw1_100000"
sed 's/^table fw1_100000/table acl1_100000/' "$out/fw1_100000.sluice" >"$out/fw1_as_acl1.sluice"
run "$out/acl1_100000.sluice" "$out/fw1_as_acl1.sluice"
