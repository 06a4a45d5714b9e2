#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `sluice build` and `sluice dump --bpf` as a user meets them: exit codes,
# default output names, no partial or clobbered files on failure, byte-identical
# rebuilds, and the listing of a policy equal to the listing of its object.
#   build_cli.sh SLUICE
set -uo pipefail

sluice=$1
work=$(mktemp -d /tmp/sluice_object_cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit code.
expect() {
	local want=$1 what=$2 got
	shift 3
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	[ "$got" = "$want" ] || fail "$what: exit $got, expected $want; stderr: $(head -3 "$work/err")"
}

cd "$work" || exit 1
cat >edge.sluice <<'EOF'
# edge.sluice
const web_ports = { 80, 443, 8000-8999 }

table edge {
    hook xdp
    policy drop
    ether type arp accept
    ip saddr 10.1.0.0/16 tcp dport 22 counter accept
    tcp dport $web_ports accept
}

table guard {
    hook tc ingress
    udp dport 53 counter accept
}
EOF
cat >bad.sluice <<'EOF'
table t {
    hook xdp
    tcp dport 70000 accept
}
EOF
printf 'const x = 1\n' >consts.sluice
printf 'old contents\n' >keep.o

expect 0 "build --help" -- "$sluice" build --help
grep -q "usage: sluice build" "$work/out" || fail "build --help prints no usage"
expect 2 "build without a policy" -- "$sluice" build
expect 2 "build -O3" -- "$sluice" build -O3 edge.sluice
expect 2 "build with an unknown option" -- "$sluice" build --frobnicate edge.sluice
expect 2 "build with two policies" -- "$sluice" build edge.sluice bad.sluice
expect 2 "build -o without a name" -- "$sluice" build edge.sluice -o
expect 2 "build of a missing file" -- "$sluice" build missing.sluice
[ -e missing.o ] && fail "a missing policy left missing.o"

expect 1 "build of a policy with errors" -- "$sluice" build bad.sluice
grep -q "bad.sluice:3:[0-9]*: error:" "$work/err" || fail "no located error: $(cat "$work/err")"
[ -e bad.o ] && fail "a policy with errors left bad.o"
expect 1 "a failed build over an existing file" -- "$sluice" build bad.sluice -o keep.o
[ "$(cat keep.o)" = "old contents" ] || fail "a failed build changed keep.o"
expect 1 "build of a file without tables" -- "$sluice" build consts.sluice
grep -q "defines no table" "$work/err" || fail "no explanation for a policy without tables"
expect 2 "build into a missing directory" -- "$sluice" build edge.sluice -o nodir/edge.o
[ -e nodir ] && fail "a failed build created nodir"
expect 2 "build over the policy itself" -- "$sluice" build edge.sluice -o ./edge.sluice
grep -q "tcp dport" edge.sluice || fail "the policy was overwritten"

expect 0 "build with the default output" -- "$sluice" build edge.sluice
[ -s edge.o ] || fail "no edge.o"
[ "$(head -c 4 edge.o | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || fail "edge.o is not ELF"
ls -A | grep >/dev/null '^\.edge' && fail "temporary files left behind: $(ls -A)"
mkdir sub
expect 0 "build of a policy elsewhere" -- "$sluice" build "$work/edge.sluice" -o sub/out.o
(cd sub && "$sluice" build ../edge.sluice) || fail "build from another directory"
[ -s sub/edge.o ] || fail "the default output is not in the current directory"

# A target that is not a regular file (a FIFO here; /dev/null or /dev/stdout for users)
# is written in place: renaming over it would replace it with a file.
mkfifo pipe.o
timeout 20 cat pipe.o >from_pipe.o &
reader=$!
expect 0 "build into a FIFO" -- "$sluice" build edge.sluice -o pipe.o
wait "$reader"
[ -p pipe.o ] || fail "the FIFO was replaced by a file"
cmp -s from_pipe.o edge.o || fail "the object written through a FIFO differs"
expect 2 "build into a directory" -- "$sluice" build edge.sluice -o sub

expect 0 "rebuild" -- "$sluice" build edge.sluice -o again.o
cmp -s edge.o again.o || fail "two builds of the same policy differ"
expect 0 "build -O0" -- "$sluice" build -O0 edge.sluice -o o0.o
expect 0 "build -O1" -- "$sluice" build -O1 edge.sluice -o o1.o
cmp -s o0.o edge.o && fail "-O0 and -O2 objects are identical: the level is not recorded"
expect 0 "build --record-decisions" -- "$sluice" build --record-decisions edge.sluice -o dbg.o

expect 0 "dump --bpf of the object" -- "$sluice" dump --bpf edge.o
cp "$work/out" from_object.txt
expect 0 "dump --bpf of the policy" -- "$sluice" dump --bpf edge.sluice
# A policy's listing starts with its plan (what code each run of rules became).
grep -q '^; plan: program sluice_' "$work/out" || fail "the listing of a policy has no plan"
grep -q '^; plan: .*straight' "$work/out" || fail "the plan names no run of rules"
grep -v '^; plan: ' "$work/out" | cmp -s from_object.txt - ||
	fail "the listings of a policy (plan aside) and of its object differ"
grep -q "^; policy edge, built by sluice .* at -O2$" from_object.txt || fail "listing header"
grep -q "^; table guard: tc ingress, policy accept, program .* in section tc, edge.sluice:12$" \
	from_object.txt || fail "listing table line: $(grep '^; table' from_object.txt)"
grep -q "^; edge.sluice:8  ip saddr 10.1.0.0/16 tcp dport 22 counter accept$" from_object.txt ||
	fail "listing lacks the policy line"
grep -q "^ *[0-9]*: r[0-9] = 0 ll  ; map sluice_counters$" from_object.txt ||
	fail "listing lacks the counter map reference"
expect 0 "dump --bpf -O0 of the policy" -- "$sluice" dump --bpf -O0 edge.sluice
grep -q "at -O0$" "$work/out" || fail "dump -O0 header"
expect 0 "dump --bpf of a debug object" -- "$sluice" dump --bpf dbg.o
grep -q "recording decisions" "$work/out" || fail "debug object header"
grep -q "map sluice_decision" "$work/out" || fail "debug object without decision map references"
expect 0 "dump --bpf -o" -- "$sluice" dump --bpf edge.o -o listing.txt
cmp -s listing.txt from_object.txt || fail "dump -o differs from stdout"
expect 1 "dump --bpf of a policy with errors" -- "$sluice" dump --bpf bad.sluice
expect 2 "dump --bpf of a missing file" -- "$sluice" dump --bpf missing.o
head -c 200 edge.o >truncated.o
expect 2 "dump --bpf of a truncated object" -- "$sluice" dump --bpf truncated.o
grep -q "cannot list 'truncated.o'" "$work/err" || fail "truncated object: $(cat "$work/err")"

# -o onto a symbolic link: the target is replaced atomically, keeps its mode, the link stays.
mkdir -p objs
"$sluice" build edge.sluice -o objs/real.o && chmod 600 objs/real.o
ln -s objs/real.o link.o
printf 'table edge {\n    hook xdp\n    policy drop\n}\n' >other.sluice
expect 0 "build -o onto a link" -- "$sluice" build other.sluice -o link.o
[ -L link.o ] || fail "-o onto a link replaced the link"
[ "$(stat -c %a objs/real.o)" = 600 ] || fail "-o onto a link: target mode $(stat -c %a objs/real.o), expected 600"
"$sluice" build other.sluice -o direct.o
cmp -s objs/real.o direct.o || fail "-o onto a link did not write the target"
chmod 640 direct.o
expect 0 "build -o onto an existing file" -- "$sluice" build edge.sluice -o direct.o
[ "$(stat -c %a direct.o)" = 640 ] || fail "-o onto a 0640 file left it $(stat -c %a direct.o)"
ln -s new-target.o dangling.o
expect 0 "build -o onto a dangling link" -- "$sluice" build edge.sluice -o dangling.o
[ -L dangling.o ] && [ -f new-target.o ] || fail "-o onto a dangling link did not create its target"

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "build and dump --bpf behave"
