#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# run.sh SLUICE DIR: goldens of `sluice dump --ir --after PASS` (after_PASS.ir and
# .err) and `sluice build --stats` (stats_MODE.txt: stderr with every time, the
# instruction counts, the object size and, where trees are built, the tree
# shapes and table sizes masked: those belong to codegen's own tests), plus
# usage errors. SLUICE_GOLDEN_UPDATE=1 rewrites the expected files.
set -u
sluice=$1
cd "$2" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-golden-passes.$$.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
update=${SLUICE_GOLDEN_UPDATE:-0}
fail=0

# compare NAME FILE: FILE against the expected NAME (or rewrite it)
compare() {
	if [ "$update" = 1 ]; then
		cp "$2" "$1"
	elif ! diff -u "$1" "$2"; then
		echo "golden-passes: $1 differs" >&2
		fail=1
	fi
}

mask() {
	sed -e 's/ *[0-9][0-9.]* ms$/ T ms/' \
	    -e 's/: [0-9][0-9]* instructions$/: N instructions/' \
	    -e 's/^\(stats: object .*\): [0-9][0-9]* bytes$/\1: N bytes/' \
	    -e '/table walk\|code tree/s/[0-9][0-9]* trees*, depth [0-9][0-9]*/N trees, depth N/' \
	    -e '/ sluice_dt_/s/ [0-9][0-9]*/ N/g' "$1" >"$1.masked"
	if grep -q ' sluice_dt_' "$1"; then
		sed -i -e 's/^  total [0-9][0-9]* bytes/  total N bytes/' \
		       -e 's/ in [0-9][0-9]* maps*$/ in N maps/' "$1.masked"
	fi
}

for pass in lower shadow noops reorder; do
	"$sluice" dump --ir --after "$pass" passes.sluice >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] || { echo "golden-passes: --after $pass: exit $rc" >&2; fail=1; }
	compare "after_$pass.ir" "$tmp/out"
	compare "after_$pass.err" "$tmp/err"
done
# -O2 without --after is the same as after its last pass
"$sluice" dump --ir -O2 -q passes.sluice >"$tmp/o2" 2>/dev/null
cmp -s "$tmp/o2" after_reorder.ir || { echo "golden-passes: -O2 differs from --after reorder" >&2; fail=1; }

# build_stats MODE ARGS...: the stats of one build
build_stats() {
	mode=$1
	shift
	"$sluice" build -q --stats "$@" -o "$tmp/passes.o" passes.sluice 2>"$tmp/stats_$mode"
	rc=$?
	[ "$rc" = 0 ] || { echo "golden-passes: build $mode: exit $rc" >&2; cat "$tmp/stats_$mode" >&2; fail=1; }
	sed -i "s|$tmp/||" "$tmp/stats_$mode"
	mask "$tmp/stats_$mode"
	compare "stats_$mode.txt" "$tmp/stats_$mode.masked"
	# the total is the sum of the maps' bytes
	awk '/^stats: maps/ { on = 1; next } on && $1 == "total" { t = $2; next }
	     on && $2 ~ /array|hash|trie/ && $0 !~ /per CPU/ { s += $6 }
	     END { exit !(s == t) }' "$tmp/stats_$mode" ||
		{ echo "golden-passes: $mode: map total is not the sum of the maps" >&2; fail=1; }
}
build_stats O2
build_stats O0 -O0
build_stats tree --classifier=tree

# expect CODE DESCRIPTION ARGS...: run sluice, check the exit code
expect() {
	want=$1
	what=$2
	shift 2
	"$sluice" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "golden-passes: $what: exit code $got, want $want" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
}
expect 2 "unknown pass" dump --ir --after fold passes.sluice
grep -q "unknown pass 'fold' for --after; passes: lower, shadow, noops, reorder" "$tmp/err" ||
	{ echo "golden-passes: unknown pass: no list" >&2; cat "$tmp/err" >&2; fail=1; }
expect 2 "misspelt pass" dump --ir --after=shadw passes.sluice
grep -q "did you mean 'shadow'" "$tmp/err" || { echo "golden-passes: no suggestion" >&2; fail=1; }
expect 2 "--after without a name" dump --ir passes.sluice --after
expect 2 "pass above the level" dump --ir -O1 --after reorder passes.sluice
grep -q "pass 'reorder' does not run at -O1" "$tmp/err" || { echo "golden-passes: level" >&2; fail=1; }
expect 2 "pass above -O0" dump --ir --after=shadow -O0 passes.sluice
expect 0 "lower at -O0" dump --ir --after lower -O0 passes.sluice
expect 1 "--stats on a bad policy" build --stats -o "$tmp/bad.o" ../ir/bad_policy.sluice
grep -q '^stats:' "$tmp/err" && { echo "golden-passes: stats for a failed build" >&2; fail=1; }
[ -e "$tmp/bad.o" ] && { echo "golden-passes: object for a failed build" >&2; fail=1; }
expect 0 "build --help" build --help
grep -q -- "--stats" "$tmp/out" || { echo "golden-passes: --stats not in build --help" >&2; fail=1; }
expect 0 "dump --ir --help" dump --ir --help
grep -q "reorder" "$tmp/out" || { echo "golden-passes: passes not in dump --ir --help" >&2; fail=1; }
exit $fail
