#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# compare_runs.sh INTERP KERNEL: the outputs of `sluice run` (INTERP) and
# `sluice-load run` (KERNEL) on one capture, text or JSON, agree. They must be
# identical, except that the kernel may skip a packet its test run refuses
# (`<n>\tskipped\t<why>`, JSON "verdict":"skipped") where the interpreter
# judged it: then every other packet line must still be identical, the totals
# must count the same packets, and the counters are not compared (the
# interpreter counted packets the kernel never ran). Prints the differences;
# exit 0 when they agree.
set -u
interp=$1 kernel=$2

# One record per line: "P <n> <line>" per packet, "T <total>", "C <rest>".
norm() {
	if [ "$(head -c1 "$1")" = "{" ]; then
		sed -e 's/{"n":/\n{"n":/g' -e 's/\],"total":/\n"total":/' -e 's/,"counters":/\n"counters":/' "$1" |
			awk '/^{"n":/ { n = $0; sub(/^{"n":/, "", n); sub(/,.*/, "", n); sub(/,$/, ""); print "P " n " " $0; next }
			     /^"total":/ { print "T " $0; next }
			     /^"counters":/ { print "C " $0; next }'
	else
		awk -F'\t' '/^[0-9]+\t/ { print "P " $1 " " $0; next }
			    /^total: / { print "T " $0; next }
			    { print "C " $0 }' "$1"
	fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-compare.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
# (the inputs may be pipes, readable once)
cat "$interp" >"$tmp/interp" && cat "$kernel" >"$tmp/kernel" || exit 2
norm "$tmp/interp" >"$tmp/i"
norm "$tmp/kernel" >"$tmp/k"
if cmp -s "$tmp/i" "$tmp/k"; then
	exit 0
fi
awk '
	FNR == NR { if ($1 == "P") ip[$2] = $0; else if ($1 == "T") it = $0; else ic = ic $0 "\n"; next }
	$1 == "P" {
		n++
		if (!($2 in ip)) { print "packet " $2 ": only the kernel answered it: " $0; bad = 1; next }
		if ($0 ~ /(\tskipped\t|"verdict":"skipped")/) {
			skipped++
			if (ip[$2] ~ /(\tskipped\t|"verdict":"skipped")/ && ip[$2] != $0) {
				print "packet " $2 ": skipped for different reasons:\n  - " ip[$2] "\n  + " $0; bad = 1
			} else if (ip[$2] !~ /(\t(accept|drop)\t|"verdict":"(accept|drop)")/) {
				print "packet " $2 ": the interpreter did not judge it: " ip[$2]; bad = 1
			}
		} else if (ip[$2] != $0) {
			print "packet " $2 ":\n  - " ip[$2] "\n  + " $0; bad = 1
		}
		delete ip[$2]
		next
	}
	$1 == "T" { kt = $0; next }
	{ kc = kc $0 "\n" }
	END {
		for (p in ip) { print "packet " p ": only the interpreter answered it"; bad = 1 }
		if (!skipped) {
			if (it != kt) { print "totals:\n  - " it "\n  + " kt; bad = 1 }
			if (ic != kc) { printf "counters:\n  - %s  + %s", ic, kc; bad = 1 }
		} else {
			# the same number of packets, and the kernel says how many it skipped
			ti = it; sub(/^T (total: |"total":\{"packets":)/, "", ti); sub(/[^0-9].*/, "", ti)
			tk = kt; sub(/^T (total: |"total":\{"packets":)/, "", tk); sub(/[^0-9].*/, "", tk)
			if (ti != tk || ti != n) { print "totals count different packets:\n  - " it "\n  + " kt; bad = 1 }
			if (kt !~ ("(, " skipped " skipped$|\"skipped\":" skipped "})")) {
				print "the kernel total does not say " skipped " skipped: " kt; bad = 1
			}
		}
		exit bad
	}' "$tmp/i" "$tmp/k"
