#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# run-golden.sh SLUICE DIR CASE: run `sluice dump --ir [$(cat CASE.args)] CASE.sluice` in DIR and compare
# stdout with CASE.ir, stderr with CASE.err (empty when absent), the exit code with
# CASE.rc (0 when absent). SLUICE_GOLDEN_UPDATE=1 rewrites the expected files instead.
set -u
sluice=$1
dir=$2
case=$3
cd "$dir" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-golden-ir.$$.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

args=
[ -f "$case.args" ] && args=$(cat "$case.args")
# shellcheck disable=SC2086 # the options in CASE.args are meant to split
"$sluice" dump --ir $args "$case.sluice" >"$tmp/out" 2>"$tmp/err"
rc=$?

if [ "${SLUICE_GOLDEN_UPDATE:-0}" = 1 ]; then
	cp "$tmp/out" "$case.ir"
	if [ -s "$tmp/err" ]; then cp "$tmp/err" "$case.err"; else rm -f "$case.err"; fi
	if [ "$rc" != 0 ]; then echo "$rc" >"$case.rc"; else rm -f "$case.rc"; fi
	exit 0
fi

fail=0
want_rc=0
[ -f "$case.rc" ] && want_rc=$(cat "$case.rc")
if ! diff -u "$case.ir" "$tmp/out"; then
	echo "golden-ir: $case: stdout differs from $case.ir" >&2
	fail=1
fi
if [ -f "$case.err" ]; then
	if ! diff -u "$case.err" "$tmp/err"; then
		echo "golden-ir: $case: stderr differs from $case.err" >&2
		fail=1
	fi
elif [ -s "$tmp/err" ]; then
	echo "golden-ir: $case: unexpected stderr:" >&2
	cat "$tmp/err" >&2
	fail=1
fi
if [ "$rc" != "$want_rc" ]; then
	echo "golden-ir: $case: exit code $rc, want $want_rc" >&2
	fail=1
fi
exit $fail
