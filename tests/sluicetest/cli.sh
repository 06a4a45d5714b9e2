#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `sluice test` (compiler/driver/cmd_test.c, lang-spec/test-format.md): a test of
# the test. Planted wrong expectations fail it with exit 1 and one line each
# (file:line, the expectation, the verdict and the deciding rule); the summary
# counts them; --tap and --junit say the same for CI systems; errors in a test
# file are file:line:col diagnostics with the line and a caret (exit 1, no case
# run); usage errors exit 2.
#   cli.sh SLUICE SOURCE-DIR
set -uo pipefail
sluice=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-test-cli.$$.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect CODE DESCRIPTION -- COMMAND...: stdout in $work/out, stderr in $work/err.
stdin_file=/dev/null
expect() {
	local want=$1 what=$2 got
	shift 3
	"$@" <"$stdin_file" >"$work/out" 2>"$work/err"
	got=$?
	[ "$got" = "$want" ] || fail "$what: exit $got, expected $want; stderr: $(head -3 "$work/err")"
}

# same FILE DESCRIPTION: FILE equals the text on stdin.
same() {
	if ! diff -u - "$1" >"$work/diff"; then
		fail "$2:"
		cat "$work/diff"
	fi
}

cd "$src" || exit 2

# --- planted wrong expectations: each one reported, exit 1
expect 1 "planted" -- "$sluice" test examples/edge.sluice tests/sluicetest/planted.sluicetest
same "$work/out" "planted: the failure lines" <<'EOF'
tests/sluicetest/planted.sluicetest:3: expected accept, got drop by examples/edge.sluice:30:5 `tcp flags syn tcp dport != $web_ports counter drop`
tests/sluicetest/planted.sluicetest:4: expected accept @ edge.sluice:24, got accept by examples/edge.sluice:23:5 `ip saddr $admins tcp dport 22 counter accept`
tests/sluicetest/planted.sluicetest:5: expected accept @ policy, got accept by examples/edge.sluice:25:5 `tcp dport $web_ports accept`
tests/sluicetest/planted.sluicetest:6: expected accept @ other.sluice:20, got accept by examples/edge.sluice:20:5 `ether type arp accept`
tests/sluicetest/planted.sluicetest:7: expected accept @ edge.sluice:25:6, got accept by examples/edge.sluice:25:5 `tcp dport $web_ports accept`
1 passed, 5 failed
EOF
[ -s "$work/err" ] && fail "planted: stderr not empty: $(head -3 "$work/err")"

# --- a policy change breaks the expectations of the old one (examples/diff)
expect 0 "diff: old" -- "$sluice" test examples/diff/old.sluice examples/tests/diff.sluicetest
echo "10 passed, 0 failed" | same "$work/out" "diff: old passes"
expect 1 "diff: new" -- "$sluice" test examples/diff/new.sluice examples/tests/diff.sluicetest
same "$work/out" "diff: the new policy's changes" <<'EOF'
examples/tests/diff.sluicetest:7: expected accept, got drop by the table's policy
examples/tests/diff.sluicetest:11: expected drop, got accept by examples/diff/new.sluice:10:5 `tcp dport { 80, 443, 8000-8080 } accept`
examples/tests/diff.sluicetest:12: expected drop, got accept by examples/diff/new.sluice:16:5 `udp dport 53 accept`
7 passed, 3 failed
EOF

# --- TAP and JUnit
expect 1 "tap" -- "$sluice" test --tap examples/edge.sluice tests/sluicetest/planted.sluicetest
[ "$(sed -n 1,2p "$work/out")" = "$(printf 'TAP version 13\n1..6')" ] || fail "tap: header: $(head -2 "$work/out")"
[ "$(grep -c '^ok ' "$work/out")" = 1 ] || fail "tap: one ok"
[ "$(grep -c '^not ok ' "$work/out")" = 5 ] || fail "tap: five not ok"
grep -qx 'not ok 1 - tests/sluicetest/planted.sluicetest:3 tcp 198.51.100.7:40000 -> 192.0.2.10:22 syn        => accept' "$work/out" ||
	fail "tap: the first case's line"
grep -qx '# 1 passed, 5 failed' "$work/out" || fail "tap: the summary as a comment"
expect 0 "tap with a pcap case" -- "$sluice" test --tap examples/edge.sluice examples/tests/edge.sluicetest
grep -q '^ok [0-9]* - examples/tests/edge.sluicetest:[0-9]* pcap ../traffic.pcap\\#3 ' "$work/out" ||
	fail "tap: '#' escaped in a description: $(grep pcap "$work/out")"

expect 1 "junit" -- "$sluice" test --junit "$work/report.xml" examples/edge.sluice \
	tests/sluicetest/planted.sluicetest examples/tests/edge.sluicetest
grep -q '<testsuites name="sluice test" tests="30" failures="5">' "$work/report.xml" ||
	fail "junit: totals: $(sed -n 2p "$work/report.xml")"
[ "$(grep -c '<testsuite ' "$work/report.xml")" = 2 ] || fail "junit: a suite per file"
grep -q '<failure message="expected accept @ policy, got accept by examples/edge.sluice:25:5 `tcp dport $web_ports accept`"/>' \
	"$work/report.xml" || fail "junit: a failure's message"
if command -v python3 >/dev/null; then
	python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$work/report.xml" ||
		fail "junit: not well-formed XML"
fi

# --- --coverage names the rules no case reaches
printf 'arp => accept\n' >"$work/one.sluicetest"
expect 0 "coverage" -- "$sluice" test --coverage examples/egress.sluice "$work/one.sluicetest"
grep -qx 'examples/egress.sluice:28:5: coverage: no case reaches `tcp dport { 25, 465, 587 } counter drop` (table uplink_out)' \
	"$work/out" || fail "coverage: an unreached rule: $(head -3 "$work/out")"
grep -qx 'coverage: table uplink_out: 1 of 14 rules reached' "$work/out" || fail "coverage: the count"

# --- errors in a test file: diagnostics with a caret, exit 1, nothing run
cat >"$work/bad.sluicetest" <<'EOF'
tcp 198.51.100.7:70000 -> 192.0.2.10:22 syn => drop
tcp 198.51.100.7:4 -> 192.0.2.10:22 synn => drop
udp [2001:db8::1]:53 -> 192.0.2.1:53 => accept
icmp 192.0.2.1 -> 192.0.2.2 echo-reply => accpet
tcp 1.2.3.4:1 -> 1.2.3.4:2 ct state established => accept
EOF
expect 1 "diagnostics" -- "$sluice" test examples/edge.sluice "$work/bad.sluicetest"
sed "s|$work/||" "$work/err" >"$work/err.rel"
same "$work/err.rel" "diagnostics: the messages" <<'EOF'
bad.sluicetest:1:18: error: port 70000 is out of range 0-65535
 1 | tcp 198.51.100.7:70000 -> 192.0.2.10:22 syn => drop
   |                  ^~~~~
bad.sluicetest:2:37: error: unknown word 'synn'; did you mean 'syn'?
 2 | tcp 198.51.100.7:4 -> 192.0.2.10:22 synn => drop
   |                                     ^~~~
bad.sluicetest:3:25: error: source and destination are of different families
 3 | udp [2001:db8::1]:53 -> 192.0.2.1:53 => accept
   |                         ^~~~~~~~~~~~
bad.sluicetest:4:43: error: the expected verdict is accept or drop, not 'accpet'
 4 | icmp 192.0.2.1 -> 192.0.2.2 echo-reply => accpet
   |                                           ^~~~~~
bad.sluicetest:5:28: error: 'ct' is reserved: a case's connection state comes from the packets before it in a 'flow' block
 5 | tcp 1.2.3.4:1 -> 1.2.3.4:2 ct state established => accept
   |                            ^~
sluice test: 5 errors in the test files; no case was run
EOF
[ -s "$work/out" ] && fail "diagnostics: no case may run: $(head -3 "$work/out")"

# errors only the table's hook shows: reported at the option, the case fails
printf 'tcp 10.0.0.1:1 -> 10.0.0.2:80 syn vlan 7 => accept\n' >"$work/hook.sluicetest"
expect 1 "hook" -- "$sluice" test examples/service.sluice "$work/hook.sluicetest"
grep -q 'hook.sluicetest:1:35: error: a cgroup_skb ingress program sees no VLAN tags' "$work/err" ||
	fail "hook: the error: $(head -3 "$work/err")"
grep -qx '0 passed, 1 failed' "$work/out" || fail "hook: the summary: $(cat "$work/out")"

# several tables: `table NAME` lines, or --table
cat >"$work/two.sluice" <<'EOF'
table a {
    hook xdp
    policy drop
    tcp dport 22 accept
}
table b {
    hook tc ingress
    policy accept
    tcp dport 22 drop
}
EOF
cat >"$work/two.sluicetest" <<'EOF'
table a
tcp 10.0.0.1:1 -> 10.0.0.2:22 syn => accept @ two.sluice:4
table b
tcp 10.0.0.1:1 -> 10.0.0.2:22 syn => drop @ two.sluice:9
udp 10.0.0.1:1 -> 10.0.0.2:22 => accept @ policy
EOF
expect 0 "tables" -- "$sluice" test "$work/two.sluice" "$work/two.sluicetest"
printf 'tcp 10.0.0.1:1 -> 10.0.0.2:22 syn => drop\n' >"$work/notable.sluicetest"
expect 1 "tables: none named" -- "$sluice" test "$work/two.sluice" "$work/notable.sluicetest"
grep -q 'notable.sluicetest:1:1: error: the policy has 2 tables' "$work/err" || fail "tables: the error"
expect 0 "tables: --table" -- "$sluice" test --table=b "$work/two.sluice" "$work/notable.sluicetest"
expect 1 "tables: --table a" -- "$sluice" test --table a "$work/two.sluice" "$work/notable.sluicetest"
expect 2 "tables: --table c" -- "$sluice" test --table c "$work/two.sluice" "$work/notable.sluicetest"
grep -qx "sluice: error: the policy has no table 'c'" "$work/err" || fail "tables: --table c: $(cat "$work/err")"

# the policy from standard input; a pcap case past the capture's end
stdin_file=examples/edge.sluice
printf 'arp => accept @ policy\n' >"$work/stdin.sluicetest"
expect 1 "stdin" -- "$sluice" test - "$work/stdin.sluicetest"
grep -q 'got accept by <stdin>:20:5' "$work/out" || fail "stdin: $(cat "$work/out")"
stdin_file=/dev/null
printf 'pcap %s/examples/traffic.pcap#1000 => drop\n' "$src" >"$work/pcap.sluicetest"
expect 1 "pcap: past the end" -- "$sluice" test examples/edge.sluice "$work/pcap.sluicetest"
grep -q 'error: pcap .*traffic.pcap. has [0-9]* packets, not 1000' "$work/err" || fail "pcap: $(head -2 "$work/err")"

# --- usage: exit 2
expect 2 "usage: no test file" -- "$sluice" test examples/edge.sluice
expect 2 "usage: unknown option" -- "$sluice" test --frobnicate examples/edge.sluice x
expect 2 "usage: unreadable test file" -- "$sluice" test examples/edge.sluice "$work/missing.sluicetest"
expect 1 "policy errors" -- "$sluice" test "$work/bad.sluicetest" "$work/one.sluicetest"
expect 0 "help" -- "$sluice" test --help
grep -q -- '--kernel' "$work/out" || fail "help: --kernel"
expect 0 "sluice --help lists test" -- "$sluice" --help
grep -q '^  test ' "$work/out" || fail "sluice --help: the test command"

# --- set contents: an element the set cannot hold, an unknown set, a timeout
cat >"$work/sets.sluicetest" <<'EOF2'
set nosuch = { 192.0.2.1 }
set blocklist = { 192.0.2.1, 2001:db8::1 }
set recent = { 192.0.2.1 timeout 10m }
tcp 192.0.2.77:40000 -> 198.51.100.1:443 syn => drop
EOF2
expect 1 "set contents" -- "$sluice" test examples/named-sets.sluice "$work/sets.sluicetest"
same "$work/err" "set contents: diagnostics" <<EOF2
$work/sets.sluicetest:1:5: error: the policy has no set 'nosuch'
 1 | set nosuch = { 192.0.2.1 }
   |     ^~~~~~
$work/sets.sluicetest:2:30: error: '2001:db8::1' is an IPv6 address, but the set holds ipv4_addr
 2 | set blocklist = { 192.0.2.1, 2001:db8::1 }
   |                              ^~~~~~~~~~~
$work/sets.sluicetest:3:16: error: a case has no clock: no timeout here
 3 | set recent = { 192.0.2.1 timeout 10m }
   |                ^~~~~~~~~~~~~~~~~~~~~
EOF2
grep -qx "$work/sets.sluicetest:4: error (said above)" "$work/out" || fail "set contents: the case below fails: $(cat "$work/out")"

if ((failures)); then
	echo "sluicetest_cli: $failures failures"
	exit 1
fi
echo "sluicetest_cli: ok"
