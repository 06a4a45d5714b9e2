#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# cli.sh SLUICE DIR: `sluice dump --ir` arguments, exit codes and output files.
set -u
sluice=$1
cd "$2" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-ir-cli.$$.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect CODE DESCRIPTION ARGS...: run sluice, check the exit code
expect() {
	want=$1
	what=$2
	shift 2
	"$sluice" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "cli: $what: exit code $got, want $want" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
}

expect 2 "no policy" dump --ir
expect 2 "unknown option" dump --ir --bogus ports.sluice
expect 2 "two policies" dump --ir ports.sluice ints.sluice
expect 2 "-o without a file" dump --ir ports.sluice -o
expect 2 "-O out of range" dump --ir -O9 ports.sluice
expect 2 "-O not a number" dump --ir -O x ports.sluice
expect 0 "-O 1 as two words" dump --ir -O 1 ports.sluice
expect 2 "missing file" dump --ir "$tmp/does-not-exist.sluice"
grep -q "does-not-exist.sluice" "$tmp/err" || { echo "cli: missing file not named" >&2; fail=1; }
expect 0 "help" dump --ir --help
grep -q "usage: sluice dump --ir" "$tmp/out" || { echo "cli: no usage on --help" >&2; fail=1; }

expect 1 "policy errors" dump --ir bad_policy.sluice
[ -s "$tmp/out" ] && { echo "cli: output despite errors" >&2; fail=1; }
expect 1 "--werror with warnings" dump --ir -W impossible.sluice
[ -s "$tmp/out" ] && { echo "cli: output despite --werror" >&2; fail=1; }
expect 0 "--quiet" dump --ir -q impossible.sluice
[ -s "$tmp/err" ] && { echo "cli: warnings despite --quiet" >&2; fail=1; }
cmp -s "$tmp/out" impossible.ir || { echo "cli: --quiet changed the output" >&2; fail=1; }

expect 0 "-o FILE" dump --ir ports.sluice -o "$tmp/ports.ir"
cmp -s "$tmp/ports.ir" ports.ir || { echo "cli: -o file differs from the golden" >&2; fail=1; }
[ -s "$tmp/out" ] && { echo "cli: -o also wrote stdout" >&2; fail=1; }
echo "keep me" >"$tmp/keep.ir"
expect 1 "-o on errors" dump --ir bad_policy.sluice -o "$tmp/keep.ir"
grep -q "keep me" "$tmp/keep.ir" || { echo "cli: failed run replaced the output file" >&2; fail=1; }
expect 2 "-o into a missing directory" dump --ir ports.sluice -o "$tmp/no/such/dir.ir"
ls "$tmp/no" >/dev/null 2>&1 && { echo "cli: created a directory" >&2; fail=1; }

# a FIFO (like a device) is written in place, never renamed over
mkfifo "$tmp/fifo"
timeout 10 cat "$tmp/fifo" >"$tmp/from-fifo" &
reader=$!
expect 0 "-o FIFO" dump --ir ports.sluice -o "$tmp/fifo"
wait "$reader"
[ -p "$tmp/fifo" ] || { echo "cli: -o replaced a FIFO" >&2; fail=1; }
cmp -s "$tmp/from-fifo" ports.ir || { echo "cli: -o FIFO output differs" >&2; fail=1; }

# same input, same bytes
"$sluice" dump --ir chains.sluice >"$tmp/a" 2>/dev/null
"$sluice" dump --ir chains.sluice >"$tmp/b" 2>/dev/null
cmp -s "$tmp/a" "$tmp/b" || { echo "cli: output is not deterministic" >&2; fail=1; }
exit $fail
