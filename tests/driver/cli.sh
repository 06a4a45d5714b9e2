#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The command line of `sluice check`, `build`, `dump --ir`, `dump --bpf` and
# `run` (compiler/driver/args.c): every spelling of an option gives the same
# result, `-` reads the policy from standard input, a usage error is one line
# plus a pointer to --help (exit 2), -q/-W/-w mean the same everywhere, and
# --stats works wherever it is accepted.
#   cli.sh SLUICE SOURCE-DIR
set -uo pipefail
sluice=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-driver-cli.$$.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND (stdin from $stdin_file
# when set), checks its exit code; stdout in $work/out, stderr in $work/err.
stdin_file=/dev/null
expect() {
	local want=$1 what=$2 got
	shift 3
	"$@" <"$stdin_file" >"$work/out" 2>"$work/err"
	got=$?
	[ "$got" = "$want" ] || fail "$what: exit $got, expected $want; stderr: $(head -3 "$work/err")"
}

cd "$work" || exit 2
cp "$src/tests/golden/passes/passes.sluice" p.sluice
cp "$src/examples/traffic.pcap" .
cp "$src/examples/edge.sluice" edge.sluice
printf 'const spare = 1\ntable t {\n    hook xdp\n    tcp dport 22 accept\n}\n' >warn.sluice
printf 'table t {\n    hook xdp\n    tcp dport 70000 accept\n}\n' >bad.sluice

# --- every spelling of -o gives the same object; -O and the modes too
"$sluice" build -q p.sluice -o ref.o || fail "reference build"
expect 0 "build -o FILE" -- "$sluice" build -q p.sluice -o a.o
expect 0 "build -oFILE" -- "$sluice" build -q p.sluice -ob.o
expect 0 "build --output=FILE" -- "$sluice" build -q --output=c.o p.sluice
expect 0 "build --output FILE" -- "$sluice" build -q --output d.o p.sluice
for f in a.o b.o c.o d.o; do
	cmp -s ref.o $f || fail "build: $f differs from the -o FILE build"
done
"$sluice" build -q -O0 p.sluice -o o0.o || fail "build -O0"
expect 0 "build -O 0" -- "$sluice" build -q -O 0 p.sluice -o o0b.o
cmp -s o0.o o0b.o || fail "build: -O 0 and -O0 differ"
cmp -s o0.o ref.o && fail "build: -O0 and -O2 give the same object"
expect 2 "build -O3" -- "$sluice" build -O3 p.sluice -o x.o
"$sluice" build -q --classifier=tree p.sluice -o tree.o || fail "build --classifier=tree"
expect 0 "build --classifier tree" -- "$sluice" build -q --classifier tree p.sluice -o tree2.o
cmp -s tree.o tree2.o || fail "build: --classifier tree and --classifier=tree differ"
cmp -s tree.o ref.o && fail "build: --classifier=tree changed nothing"
expect 0 "build --set-lookup=table" -- "$sluice" build -q --set-lookup=table p.sluice -o set.o
expect 0 "build -v" -- "$sluice" build -q -v p.sluice -o v.o
grep -q "^sluice: wrote v.o" "$work/err" || fail "build -v says nothing: $(cat "$work/err")"
expect 0 "options after the policy" -- "$sluice" build p.sluice -q -O1 -o after.o
"$sluice" build -q -O1 -o after2.o p.sluice
cmp -s after.o after2.o || fail "build: options after the policy differ"

# --- dump --ir: the same spellings
"$sluice" dump --ir -O2 p.sluice >ref.ir 2>/dev/null || fail "dump --ir -O2"
expect 0 "dump --ir -oFILE" -- "$sluice" dump --ir -O2 -oa.ir p.sluice
expect 0 "dump --ir --output=FILE" -- "$sluice" dump --ir -O2 --output=b.ir p.sluice
expect 0 "dump --ir --output FILE" -- "$sluice" dump --ir --output c.ir p.sluice -O 2
for f in a.ir b.ir c.ir; do
	cmp -s ref.ir $f || fail "dump --ir: $f differs from stdout"
done
expect 0 "dump --ir --after=shadow" -- "$sluice" dump --ir --after=shadow p.sluice
cp "$work/out" shadow1.ir
expect 0 "dump --ir --after shadow" -- "$sluice" dump --ir --after shadow p.sluice
cmp -s shadow1.ir "$work/out" || fail "dump --ir: --after shadow and --after=shadow differ"

# --- dump --bpf takes the build options: --classifier, --set-lookup, -O
expect 0 "dump --bpf --classifier=tree" -- "$sluice" dump --bpf --classifier=tree p.sluice
grep -q '^; plan: .*table walk' "$work/out" || fail "dump --bpf --classifier=tree: no table walk in the plan"
grep -v '^; plan: ' "$work/out" >tree_policy.txt
"$sluice" dump --bpf tree.o >tree_object.txt || fail "dump --bpf tree.o"
cmp -s tree_policy.txt tree_object.txt ||
	fail "dump --bpf --classifier=tree of the policy differs from the listing of its object"
expect 0 "dump --bpf --classifier tree" -- "$sluice" dump --bpf --classifier tree p.sluice
grep -v '^; plan: ' "$work/out" | cmp -s tree_policy.txt - || fail "dump --bpf: --classifier tree spellings differ"
expect 0 "dump --bpf --set-lookup=table" -- "$sluice" dump --bpf --set-lookup=table p.sluice
grep -v '^; plan: ' "$work/out" >set_policy.txt
"$sluice" dump --bpf set.o | cmp -s set_policy.txt - || fail "dump --bpf --set-lookup=table differs from its object"
expect 0 "dump --bpf -O0 -oFILE" -- "$sluice" dump --bpf -O0 -olist.txt p.sluice
grep -q "at -O0$" list.txt || fail "dump --bpf -O0 -oFILE: $(head -3 list.txt)"
expect 2 "dump --bpf --classifier=bogus" -- "$sluice" dump --bpf --classifier=bogus p.sluice

# --- `-` reads the policy from standard input
stdin_file=p.sluice
expect 0 "check -" -- "$sluice" check -
grep -q "^<stdin>: ok: 1 table" "$work/out" || fail "check -: $(cat "$work/out")"
expect 0 "build - -o FILE" -- "$sluice" build -q - -o stdin.o
[ "$(head -c 4 stdin.o | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || fail "build -: no ELF object"
"$sluice" dump --bpf stdin.o | grep -v '^; policy ' | sed 's/<stdin>/p.sluice/g' >stdin_list.txt
"$sluice" dump --bpf ref.o | grep -v '^; policy ' >ref_list.txt
cmp -s stdin_list.txt ref_list.txt || fail "build -: the object's code differs from the file's"
expect 2 "build - without -o" -- "$sluice" build -
grep -q "standard input" "$work/err" || fail "build - without -o: $(cat "$work/err")"
expect 0 "dump --ir -" -- "$sluice" dump --ir -O2 -
sed -e 's/^policy <stdin>$/policy p/' -e 's/<stdin>/p.sluice/g' "$work/out" | cmp -s ref.ir - || fail "dump --ir -: differs from the file's IR"
expect 0 "dump --bpf - (a policy)" -- "$sluice" dump --bpf -
grep -q '^; plan: program sluice_passes' "$work/out" || fail "dump --bpf -: no plan"
grep -q '<stdin>:' "$work/out" || fail "dump --bpf -: lines do not name <stdin>"
stdin_file=ref.o
expect 0 "dump --bpf - (an object)" -- "$sluice" dump --bpf -
"$sluice" dump --bpf ref.o | cmp -s "$work/out" - || fail "dump --bpf - < object differs from the file"
stdin_file=edge.sluice
expect 0 "run -" -- "$sluice" run - --pcap traffic.pcap
sed 's/<stdin>/edge.sluice/g' "$work/out" >run_stdin.txt
"$sluice" run edge.sluice --pcap traffic.pcap >run_file.txt
cmp -s run_stdin.txt run_file.txt || fail "run -: differs from the file's run"
grep -q '<stdin>:' "$work/out" || fail "run -: deciders do not name <stdin>"
stdin_file=bad.sluice
expect 1 "check - with errors" -- "$sluice" check -
grep -q "^<stdin>:3:[0-9]*: error:" "$work/err" || fail "check -: errors do not name <stdin>: $(cat "$work/err")"
expect 2 "check - -" -- "$sluice" check - -
stdin_file=/dev/null

# --- a usage error is one line and a pointer to --help, exit 2
usage_error() { # CMD-WORDS MESSAGE -- ARGS...
	local cmd=$1 msg=$2
	shift 3
	expect 2 "$cmd: $msg" -- "$sluice" "$@"
	printf 'sluice %s: %s\nsee '\''sluice %s --help'\''\n' "$cmd" "$msg" "$cmd" >"$work/want"
	diff -u "$work/want" "$work/err" >/dev/null || fail "$cmd: usage error is not '$msg' + see: $(cat "$work/err")"
	[ -s "$work/out" ] && fail "$cmd: usage error printed to stdout"
}
usage_error build "unknown option '--frob'" -- build --frob p.sluice
usage_error build "unknown option '-x'" -- build -x p.sluice
usage_error build "option '-o' needs a value" -- build p.sluice -o
usage_error build "option '--output' needs a value" -- build p.sluice --output
usage_error build "no policy given" -- build
usage_error build "takes one policy, got 'p.sluice' and 'edge.sluice'" -- build p.sluice edge.sluice
usage_error build "unknown optimisation level '3' (use -O0, -O1 or -O2)" -- build -O3 p.sluice
usage_error build "unknown classifier mode 'x' (use auto, off, tree or code)" -- build --classifier=x p.sluice
usage_error check "unknown option '--frob'" -- check --frob p.sluice
usage_error check "no policy given" -- check
usage_error check "--max-errors takes a number from 1 to 100000" -- check --max-errors=0 p.sluice
usage_error "dump --ir" "unknown option '--frob'" -- dump --ir --frob p.sluice
usage_error "dump --ir" "pass 'reorder' does not run at -O1 (it runs from -O2 on)" -- dump --ir -O1 --after reorder p.sluice
usage_error "dump --bpf" "unknown option '--frob'" -- dump --bpf --frob p.sluice
usage_error "dump --bpf" "no policy or object given" -- dump --bpf
usage_error run "unknown option '--frob'" -- run --frob edge.sluice --pcap traffic.pcap
usage_error run "needs a policy and --pcap FILE" -- run edge.sluice
usage_error run "option '--pcap' needs a value" -- run edge.sluice --pcap
expect 2 "unknown command" -- "$sluice" frob p.sluice
printf 'sluice: unknown command '\''frob'\''\nsee '\''sluice --help'\''\n' | diff -u - "$work/err" >/dev/null ||
	fail "unknown command: $(cat "$work/err")"
expect 2 "dump without --ir or --bpf" -- "$sluice" dump p.sluice
[ "$(wc -l <"$work/err")" = 2 ] || fail "dump without a mode: $(cat "$work/err")"

# --- -q, -W, -w mean the same in check, build, dump and run
expect 0 "check warn" -- "$sluice" check warn.sluice
grep -q "warning: constant 'spare' is never used" "$work/err" || fail "check: no warning"
grep -q "warn.sluice: ok" "$work/out" || fail "check: no summary"
expect 0 "check -q" -- "$sluice" check -q warn.sluice
[ -s "$work/err" ] || [ -s "$work/out" ] && fail "check -q printed: $(cat "$work/out" "$work/err")"
expect 0 "check --quiet" -- "$sluice" check --quiet warn.sluice
[ -s "$work/err" ] || [ -s "$work/out" ] && fail "check --quiet printed something"
expect 0 "check -w" -- "$sluice" check -w warn.sluice
[ -s "$work/err" ] && fail "check -w printed warnings"
grep -q "warn.sluice: ok" "$work/out" || fail "check -w dropped the summary"
expect 1 "check -W" -- "$sluice" check -W warn.sluice
expect 1 "check --werror" -- "$sluice" check --werror warn.sluice
expect 1 "check -Werror" -- "$sluice" check -Werror warn.sluice
expect 1 "check --warnings-as-errors" -- "$sluice" check --warnings-as-errors warn.sluice
expect 0 "build warn" -- "$sluice" build warn.sluice -o w.o
grep -q "warning: constant 'spare' is never used" "$work/err" || fail "build: no warning"
expect 0 "build -q" -- "$sluice" build -q warn.sluice -o w.o
[ -s "$work/err" ] && fail "build -q printed: $(cat "$work/err")"
expect 0 "build -w" -- "$sluice" build -w warn.sluice -o w.o
[ -s "$work/err" ] && fail "build -w printed: $(cat "$work/err")"
rm -f w.o
for w in -W --werror -Werror --warnings-as-errors; do
	expect 1 "build $w" -- "$sluice" build $w warn.sluice -o w.o
	[ -e w.o ] && fail "build $w wrote an object"
done
expect 1 "dump --ir -W" -- "$sluice" dump --ir -W warn.sluice
expect 0 "dump --ir -q" -- "$sluice" dump --ir -q warn.sluice
[ -s "$work/err" ] && fail "dump --ir -q printed warnings"
expect 1 "dump --bpf -W" -- "$sluice" dump --bpf -W warn.sluice
expect 0 "dump --bpf -q" -- "$sluice" dump --bpf -q warn.sluice
[ -s "$work/err" ] && fail "dump --bpf -q printed warnings"
expect 1 "run -W" -- "$sluice" run -W warn.sluice --pcap traffic.pcap
expect 0 "run -q" -- "$sluice" run -q warn.sluice --pcap traffic.pcap
[ -s "$work/err" ] && fail "run -q printed warnings"
printf 'table t {\n    hook xdp\n    tcp dport 70000 accept\n    udp dport 70000 accept\n    tcp sport 70000 accept\n}\n' >bad3.sluice
expect 1 "build --max-errors=1" -- "$sluice" build --max-errors=1 bad3.sluice -o m.o
[ "$(grep -c ': error:' "$work/err")" = 1 ] || fail "build --max-errors=1: $(cat "$work/err")"

# --- --stats where it applies
expect 0 "build --stats" -- "$sluice" build -q --stats p.sluice -o s.o
for l in "stats: passes at -O2" "stats: program sluice_passes" "stats: maps" "stats: object s.o"; do
	grep -q "^$l" "$work/err" || fail "build --stats: no '$l'"
done
expect 0 "dump --bpf --stats" -- "$sluice" dump --bpf -q --stats p.sluice
for l in "stats: passes at -O2" "stats: program sluice_passes" "stats: maps"; do
	grep -q "^$l" "$work/err" || fail "dump --bpf --stats: no '$l'"
done
cmp -s "$work/out" <("$sluice" dump --bpf -q p.sluice) || fail "dump --bpf --stats changed the listing"
expect 0 "dump --ir --stats" -- "$sluice" dump --ir -q -O2 --stats p.sluice
grep -q "^stats: passes at -O2" "$work/err" || fail "dump --ir --stats: no passes"
[ "$(grep -c -E '^  (lower|shadow|noops|reorder) ' "$work/err")" = 4 ] || fail "dump --ir --stats: $(cat "$work/err")"
cmp -s "$work/out" ref.ir || fail "dump --ir --stats changed the IR"
expect 0 "dump --ir --stats --after" -- "$sluice" dump --ir -q --after=shadow --stats p.sluice
[ "$(grep -c -E '^  (lower|shadow|noops|reorder) ' "$work/err")" = 2 ] || fail "dump --ir --stats --after shadow: $(cat "$work/err")"

# --- --help of every command, on stdout, naming the options it takes
for cmd in check build "dump --ir" "dump --bpf" run dump; do
	# shellcheck disable=SC2086
	expect 0 "$cmd --help" -- "$sluice" $cmd --help
	grep -q "^usage: sluice ${cmd%% *}" "$work/out" || fail "$cmd --help: no usage line"
done
"$sluice" build --help | grep -q -- "--stats" || fail "build --help: no --stats"
for o in --classifier --set-lookup --stats --record-decisions -O0 --output; do
	"$sluice" dump --bpf --help | grep -q -- "$o" || fail "dump --bpf --help: no $o"
done
for o in -W -w -q --max-errors; do
	for cmd in check build "dump --ir" "dump --bpf" run; do
		# shellcheck disable=SC2086
		"$sluice" $cmd --help | grep -q -- " $o" || fail "$cmd --help: no $o"
	done
done

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "every sluice command parses its options the same way"
