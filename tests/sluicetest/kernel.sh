#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `sluice test --kernel`: every example's cases through the compiled object in
# this kernel (BPF_PROG_TEST_RUN) as well as the interpreter, at -O2 (decision
# trees, set tables) and -O0; the object must agree with the interpreter on
# each verdict and deciding rule, and the planted wrong expectations must
# still fail. Skips (77) where BPF programs cannot be loaded, unless
# SLUICE_REQUIRE_KERNEL=1.
#   kernel.sh SLUICE SOURCE-DIR
set -uo pipefail
sluice=$1
src=$2
failures=0
cd "$src" || exit 2

if ! "$sluice" test --kernel examples/edge.sluice tests/sluicetest/planted.sluicetest \
	>/dev/null 2>"${TMPDIR:-/tmp}/sluicetest-kernel.$$"; then
	if grep -q -- '--kernel: ' "${TMPDIR:-/tmp}/sluicetest-kernel.$$"; then
		cat "${TMPDIR:-/tmp}/sluicetest-kernel.$$"
		rm -f "${TMPDIR:-/tmp}/sluicetest-kernel.$$"
		if [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ]; then
			echo "FAIL: SLUICE_REQUIRE_KERNEL=1 but BPF programs cannot be loaded here"
			exit 1
		fi
		exit 77
	fi
fi
rm -f "${TMPDIR:-/tmp}/sluicetest-kernel.$$"

for level in -O2 -O0; do
	for ex in edge dualstack egress service blocklist named-sets host-firewall antiflood; do
		out=$("$sluice" test --kernel "$level" "examples/$ex.sluice" "examples/tests/$ex.sluicetest" 2>&1)
		rc=$?
		if [ $rc != 0 ] || ! grep -q ' passed, 0 failed$' <<<"$out"; then
			echo "FAIL: $ex $level: exit $rc"
			echo "$out"
			failures=$((failures + 1))
		fi
		if grep -q 'note: ' <<<"$out"; then
			echo "FAIL: $ex $level: a case was not run in the kernel"
			echo "$out"
			failures=$((failures + 1))
		fi
	done
done
# every field (the one ifindex case is the interpreter's alone)
out=$("$sluice" test --kernel tests/sluicetest/fields.sluice tests/sluicetest/fields.sluicetest 2>&1)
rc=$?
if [ $rc != 0 ] || ! grep -qx '42 passed, 0 failed (1 with a note)' <<<"$out"; then
	echo "FAIL: fields --kernel: exit $rc"
	echo "$out"
	failures=$((failures + 1))
fi
out=$("$sluice" test --kernel examples/edge.sluice tests/sluicetest/planted.sluicetest 2>&1)
rc=$?
if [ $rc != 1 ] || ! grep -qx '1 passed, 5 failed' <<<"$out"; then
	echo "FAIL: planted --kernel: exit $rc"
	echo "$out"
	failures=$((failures + 1))
fi
# set contents (`set NAME = { ... }`) reach the kernel's maps: 3 of 4 planted cases fail
out=$("$sluice" test --kernel examples/named-sets.sluice tests/sluicetest/planted-sets.sluicetest 2>&1)
rc=$?
if [ $rc != 1 ] || ! grep -qx '1 passed, 3 failed' <<<"$out" || grep -q 'kernel disagrees' <<<"$out"; then
	echo "FAIL: planted sets --kernel: exit $rc"
	echo "$out"
	failures=$((failures + 1))
fi
# connection state: the kernel's flow table follows the cases of a flow block, and is
# emptied between blocks: 3 of 4 planted cases fail, in agreement with the interpreter
out=$("$sluice" test --kernel examples/host-firewall.sluice tests/sluicetest/planted-ct.sluicetest 2>&1)
rc=$?
if [ $rc != 1 ] || ! grep -qx '1 passed, 3 failed' <<<"$out" || grep -q 'kernel disagrees' <<<"$out"; then
	echo "FAIL: planted ct --kernel: exit $rc"
	echo "$out"
	failures=$((failures + 1))
fi
# a case the test run cannot see as written (another interface) is said, not hidden
printf 'tcp 10.0.0.1:1 -> 10.0.0.2:80 syn ifindex 7 => accept\n' >"${TMPDIR:-/tmp}/sluicetest-if.$$"
out=$("$sluice" test --kernel examples/edge.sluice "${TMPDIR:-/tmp}/sluicetest-if.$$" 2>&1)
rm -f "${TMPDIR:-/tmp}/sluicetest-if.$$"
if ! grep -q ':1: note: not run in the kernel: its test runs see ifindex 1$' <<<"$out" ||
	! grep -qx '1 passed, 0 failed (1 with a note)' <<<"$out"; then
	echo "FAIL: ifindex: $out"
	failures=$((failures + 1))
fi
if ((failures)); then
	echo "sluicetest_kernel: $failures failures"
	exit 1
fi
echo "sluicetest_kernel: ok"
