#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Byte-identity guard: compile every example and ClassBench acl1, fw1, ipc1 at 1k,
# 10k and 100k rules, IPv4 and IPv6, at -O0, -O1 and -O2, and compare the sha256
# of each object with the sums in SHA256SUMS (recorded by the compiler named in
# its header). A refactor that must not change the output keeps this passing.
#
# usage: sums.sh [--record] SLUICE CLASSBENCH2SLUICE SHARED_DIR
#   --record  write SHA256SUMS instead of checking it (say in its header which
#             commit's compiler made it)
# SLUICE_IDENTITY_JOBS: parallel compiles (default 2).
set -euo pipefail
record=0
if [[ ${1:-} == --record ]]; then
	record=1
	shift
fi
if [[ $# -ne 3 ]]; then
	echo "usage: $0 [--record] SLUICE CLASSBENCH2SLUICE SHARED_DIR" >&2
	exit 2
fi
sluice=$(realpath "$1")
cb2s=$(realpath "$2")
cbdir=$3/classbench
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sums=$here/SHA256SUMS
jobs=${SLUICE_IDENTITY_JOBS:-2}

if [[ ! -d $cbdir ]]; then
	echo "identity: no ClassBench data in $cbdir (set SLUICE_SHARED_DIR)" >&2
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-identity.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One line per object to build: NAME DIR POLICY OPTIONS... The compile runs in
# DIR with POLICY relative to it: objects record the policy's path.
jobsfile=$work/jobs
: >"$jobsfile"
for ex in "$root"/examples/*.sluice; do
	b=$(basename "$ex" .sluice)
	for o in 0 1 2; do
		echo "examples/$b-O$o $root examples/$b.sluice -O$o" >>"$jobsfile"
	done
	echo "examples/$b-O2-record $root examples/$b.sluice -O2 --record-decisions" >>"$jobsfile"
done
mkdir -p "$work/cb"
for set in acl1 fw1 ipc1; do
	for n in 1000 10000 100000; do
		for fam in ip4 ip6; do
			p=${set}_${n}_$fam.sluice
			# From inside the data folder: the policy names its source file.
			(cd "$cbdir" && "$cb2s" --family "$fam" -o "$work/cb/$p" "${set}_$n")
			for o in 0 1 2; do
				echo "classbench/${set}_${n}-$fam-O$o $work/cb $p -O$o" >>"$jobsfile"
			done
			# The forced table walk: 100k rules compile at every level.
			if ((n == 100000)); then
				for o in 0 1; do
					echo "classbench/${set}_${n}-$fam-O$o-tree $work/cb $p -O$o --classifier=tree" >>"$jobsfile"
				done
			fi
		done
	done
done

mkdir -p "$work/obj/examples" "$work/obj/classbench"
# Longest first (100k, then 10k) so two workers finish together.
awk '{w = /_100000-/ ? 3 : /_10000-/ ? 2 : 1; print w, $0}' "$jobsfile" | sort -s -k1,1nr |
	cut -d' ' -f2- >"$work/jobs.sorted"
export sluice work
# shellcheck disable=SC2016
# A policy the compiler refuses (100k rules without the classifier at -O0/-O1:
# over the verifier's budget) is summed by its diagnostics, NAME.err.
xargs -P "$jobs" -L 1 bash -c 'name=$0; dir=$1; policy=$2; shift 2
	cd "$dir" || exit 255
	if ! "$sluice" build -q -o "$work/obj/$name.o" "$@" "$policy" 2>"$work/obj/$name.stderr"; then
		status=$?
		{ echo "exit $status"; cat "$work/obj/$name.stderr"; } >"$work/obj/$name.err"
		rm -f "$work/obj/$name.o"
	fi
	rm -f "$work/obj/$name.stderr"' <"$work/jobs.sorted"

(cd "$work/obj" && find . -name '*.o' -o -name '*.err' | sed 's|^\./||' | LC_ALL=C sort |
	while read -r f; do sha256sum "$f"; done) >"$work/actual"

if ((record)); then
	{
		echo "# sha256 of the objects tests/identity/sums.sh builds."
		echo "# Recorded with the compiler of commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')."
		cat "$work/actual"
	} >"$sums"
	echo "identity: recorded $(wc -l <"$work/actual") sums in $sums"
	exit 0
fi
if diff -u <(grep -v '^#' "$sums") "$work/actual" >"$work/diff"; then
	echo "identity: $(wc -l <"$work/actual") objects byte-identical to $(basename "$sums")"
	exit 0
fi
echo "identity: objects differ from $sums (- recorded, + now):" >&2
cat "$work/diff" >&2
exit 1
