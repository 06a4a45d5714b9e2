#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `sluice diff` as CI uses it: the example pair's output (examples/diff/diff.txt,
# quoted in README.md), exit codes 0/1/2, --allow drop, --json, the box limit.
# usage: diff_cli.sh SLUICE SOURCE-DIR
set -uo pipefail
sluice=$1
cd "$2" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect CODE DESCRIPTION -- COMMAND...
	local want=$1 what=$2 got=0
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [[ $got != "$want" ]]; then
		echo "FAIL: $what: exit $got, want $want" >&2
		cat "$tmp/out" "$tmp/err" >&2
		fail=1
	fi
}
old=examples/diff/old.sluice new=examples/diff/new.sluice

expect 1 "the example pair differs" -- "$sluice" diff "$old" "$new"
diff -u examples/diff/diff.txt "$tmp/out" || { echo "FAIL: examples/diff/diff.txt is stale" >&2; fail=1; }
expect 0 "a policy against itself" -- "$sluice" diff "$old" "$old"
grep -q '^equivalent' "$tmp/out" || { echo "FAIL: no 'equivalent' line" >&2; fail=1; }
expect 1 "--allow drop: new.sluice opens ports" -- "$sluice" diff --allow drop "$old" "$new"

# Only drops: allowed with --allow drop, a difference without.
sed 's/10.9.0.0\/16, //; s/, 10.9.0.0\/16//' "$old" >"$tmp/tighter.sluice"
expect 1 "a tighter policy differs" -- "$sluice" diff "$old" "$tmp/tighter.sluice"
grep -q 'now dropped' "$tmp/out" && ! grep -q 'now accepted' "$tmp/out" ||
	{ echo "FAIL: the tighter policy should only drop" >&2; fail=1; }
expect 0 "--allow drop: only drops" -- "$sluice" diff --allow drop "$old" "$tmp/tighter.sluice"

expect 1 "--json" -- "$sluice" diff --json --examples 2 "$old" "$new"
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["tables"][0]["regions"]; assert not d["equivalent"] and len(r)==5 and all(e["checked"] for x in r for e in x["examples"]) and len(r[0]["examples"])==2' "$tmp/out" ||
		{ echo "FAIL: --json output" >&2; fail=1; }
fi
expect 0 "--table front, itself" -- "$sluice" diff --table front "$new" "$new"
expect 2 "an unknown table" -- "$sluice" diff --table nope "$old" "$new"
expect 2 "a policy with errors" -- "$sluice" diff "$old" /dev/null/nope.sluice
expect 2 "usage" -- "$sluice" diff "$old"
expect 2 "--allow accept is not a thing" -- "$sluice" diff --allow accept "$old" "$new"
expect 2 "the box limit" -- "$sluice" diff --max-boxes 5 "$old" "$new"
grep -q 'error: more than 5 boxes' "$tmp/err" || { echo "FAIL: no limit message" >&2; fail=1; }
# Includes are followed: a constant changed in the included file only.
mkdir -p "$tmp/inc/lib"
cp examples/service.sluice "$tmp/inc/"
sed 's/10\.20\.0\.0\/24/10.21.0.0\/24/' examples/lib/networks.sluice >"$tmp/inc/lib/networks.sluice"
expect 1 "a constant changed in an included file" -- "$sluice" diff examples/service.sluice "$tmp/inc/service.sluice"
grep -q 'now dropped .*ip saddr 10.20.0.0/24' "$tmp/out" && grep -q 'now accepted .*ip saddr 10.21.0.0/24' "$tmp/out" ||
	{ echo "FAIL: include: $(cat "$tmp/out")" >&2; fail=1; }

# Two overlapping accept rules swapped: the same verdicts, other deciding rules (counters).
printf 'table t {\n hook xdp\n policy drop\n tcp dport 22 counter accept\n ip saddr 10.0.0.0/8 counter accept\n}\n' >"$tmp/a.sluice"
printf 'table t {\n hook xdp\n policy drop\n ip saddr 10.0.0.0/8 counter accept\n tcp dport 22 counter accept\n}\n' >"$tmp/b.sluice"
expect 0 "swapped accept rules: same verdicts" -- "$sluice" diff "$tmp/a.sluice" "$tmp/b.sluice"
expect 1 "swapped accept rules: --rules" -- "$sluice" diff --rules "$tmp/a.sluice" "$tmp/b.sluice"
grep -q 'still accepted, by another rule (was by .*a.sluice:4:2): ip, tcp; ip saddr 10.0.0.0/8, tcp dport 22 .*b.sluice:4:2' "$tmp/out" ||
	{ echo "FAIL: --rules output" >&2; cat "$tmp/out" >&2; fail=1; }
expect 0 "--rules, --allow drop: nothing newly accepted" -- "$sluice" diff --rules --allow drop "$tmp/a.sluice" "$tmp/b.sluice"

# The shared command line: '-' is standard input, a usage error is one line and a pointer.
expect 1 "NEW from standard input" -- bash -c '"$0" diff "$1" - <"$2"' "$sluice" "$old" "$new"
grep -q '<stdin>:10:5' "$tmp/out" || { echo "FAIL: stdin not named <stdin>" >&2; fail=1; }
expect 2 "both from standard input" -- "$sluice" diff - -
expect 2 "an unknown option" -- "$sluice" diff --frob "$old" "$new"
[[ $(wc -l <"$tmp/err") == 2 ]] && grep -q "^see 'sluice diff --help'" "$tmp/err" ||
	{ echo "FAIL: usage error is not one line and a pointer" >&2; cat "$tmp/err" >&2; fail=1; }
expect 2 "one policy" -- "$sluice" diff "$old"
expect 2 "a bad --examples" -- "$sluice" diff -e x "$old" "$new"
# Named sets: what a set holds is unknown, so a lookup is a free boolean (tests/diff/sets).
so=tests/diff/sets/old.sluice sn=tests/diff/sets/new.sluice
expect 0 "a policy with sets against itself" -- "$sluice" diff "$so" "$so"
expect 1 "set rules moved, port 23 closed" -- "$sluice" diff "$so" "$sn"
diff -u tests/diff/sets/diff.txt "$tmp/out" || { echo "FAIL: tests/diff/sets/diff.txt is stale" >&2; fail=1; }
grep -q '^  depends on set @blocklist, @ssh_clients: now accepted' "$tmp/out" &&
	grep -q '^  now dropped (was accept by table policy): ip6, tcp; tcp dport 23' "$tmp/out" ||
	{ echo "FAIL: set-dependent and definite lines" >&2; fail=1; }
expect 1 "--allow drop: newly accepted for some contents" -- "$sluice" diff --allow drop "$so" "$sn"
expect 1 "--allow depends: the IPv6 change is definite" -- "$sluice" diff --allow depends "$so" "$sn"
# Only the set rule moved: every difference depends on the sets.
sed 's/tcp dport { 22, 23 } drop/tcp dport 22 drop/' "$sn" >"$tmp/moved.sluice"
expect 1 "only a set rule moved" -- "$sluice" diff "$so" "$tmp/moved.sluice"
! grep -qv '^  depends on set\|^    e\.g\.\|only for some contents' "$tmp/out" ||
	{ echo "FAIL: a definite line for a moved set rule" >&2; cat "$tmp/out" >&2; fail=1; }
expect 0 "--allow depends: only set-dependent differences" -- "$sluice" diff --allow depends "$so" "$tmp/moved.sluice"
expect 1 "--allow drop,depends and a definite change" -- "$sluice" diff --allow drop,depends "$sn" "$so"
expect 1 "--json with sets" -- "$sluice" diff --json "$so" "$sn"
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["tables"][0]["regions"]; dep=[x for x in r if x.get("depends_on")]; assert len(dep)==2 and dep[0]["depends_on"]==["blocklist","ssh_clients"] and all(e["checked"] and e["sets"] for x in dep for e in x["examples"]) and all(a["key"] for x in dep for a in x["assumes"]) and len(r)-len(dep)==2 and not any("depends_on" in x for x in r if x not in dep)' "$tmp/out" ||
		{ echo "FAIL: --json with sets" >&2; fail=1; }
fi
# The declared elements are the loader's first contents, not what the set holds: a note.
sed 's/size 4096/size 4096\n    elements = { 10.0.0.1 . 22 }/' "$so" >"$tmp/elems.sluice"
expect 0 "declared elements changed" -- "$sluice" diff "$so" "$tmp/elems.sluice"
grep -q "note: set @ssh_clients's declared elements changed" "$tmp/err" || { echo "FAIL: no note on declared elements" >&2; cat "$tmp/err" >&2; fail=1; }
# Each distinct lookup doubles the contents to compare: past 16 in one shape, a clear error.
{ for i in $(seq 0 16); do printf 'set s%d { type ipv4_addr; size 8; }\n' "$i"; done
  printf 'table t {\n\thook xdp\n'
  for i in $(seq 0 16); do printf '\tip saddr @s%d drop\n' "$i"; done
  printf '}\n'; } >"$tmp/many.sluice"
sed '/ip saddr @s16 drop/d' "$tmp/many.sluice" >"$tmp/many16.sluice"
sed '/ip saddr @s15 drop/d' "$tmp/many16.sluice" >"$tmp/many15.sluice"
expect 1 "16 set lookups" -- "$sluice" diff "$tmp/many16.sluice" "$tmp/many15.sluice"
expect 2 "17 set lookups" -- "$sluice" diff "$tmp/many16.sluice" "$tmp/many.sluice"
grep -q 'error: more than 16 run-time set lookups' "$tmp/err" || { echo "FAIL: no lookup limit message" >&2; cat "$tmp/err" >&2; fail=1; }
# A limited rule decides or not by the traffic's rate: no exact regions, so diff refuses.
printf 'table t {\n\thook xdp\n\ttcp dport 22 limit rate 10/second drop\n}\n' >"$tmp/lim.sluice"
expect 2 "a policy with a limit" -- "$sluice" diff "$tmp/lim.sluice" "$old"
grep -q 'lim.sluice:3).*depends on the rate' "$tmp/err" || { echo "FAIL: limit refusal message" >&2; cat "$tmp/err" >&2; fail=1; }
exit $fail
