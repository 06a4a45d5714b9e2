#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# classbench2sluice writes policies the front end accepts, rule for rule, and the
# C baseline generator writes C clang compiles; bad input fails cleanly.
set -euo pipefail

build=${1:?usage: convert.sh BUILD-DIR}
cbdir=${SLUICE_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}/classbench
tools=$build/bench
sluice=$build/compiler/driver/sluice
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -r "$cbdir/acl1_1000" ] || { echo "SKIP: no ClassBench data in $cbdir" >&2; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-convert-$$.XXXXXX")
reader=
trap '[ -z "$reader" ] || kill "$reader" 2>/dev/null || true; rm -rf "$out"' EXIT

for set in acl1 fw1 ipc1; do
	"$tools/classbench2sluice" --hook "tc ingress" -o "$out/$set.sluice" "$cbdir/${set}_1000" ||
		fail "classbench2sluice $set"
	rules=$(grep -c . "$cbdir/${set}_1000")
	written=$(tail -n +6 "$out/$set.sluice" | grep -cE "(accept|drop)$")
	[ "$written" -le "$rules" ] && [ "$written" -gt $((rules * 9 / 10)) ] ||
		fail "$set: $written rules written for $rules"
	# rule i is on line i + 6: the last rule's line holds its action by parity
	last=$(sed -n "$((rules - 1 + 6))p" "$out/$set.sluice")
	case $(((rules - 1) % 2)) in
	0) [[ $last == *accept ]] || fail "$set: line of rule $((rules - 1)) is '$last'" ;;
	1) [[ $last == *drop ]] || fail "$set: line of rule $((rules - 1)) is '$last'" ;;
	esac
	"$sluice" check "$out/$set.sluice" >"$out/check.log" 2>&1 ||
		{ cat "$out/check.log" >&2; fail "sluice check rejects the converted $set"; }
	grep -q "$rules rules" "$out/check.log" || grep >/dev/null "$written rules" "$out/check.log" ||
		fail "$set: sluice check counts other rules: $(cat "$out/check.log")"
done

"$tools/classbench2sluice" -n 3 "$cbdir/fw1_1000" >"$out/three.sluice"
[ "$(tail -n +6 "$out/three.sluice" | grep -cE "(accept|drop)$")" = 3 ] || fail "-n 3 did not give 3 rules"

# Protocol-wildcard port ranges become th; ports on ICMP leave a comment on their line.
printf '@1.2.3.0/24\t0.0.0.0/0\t0 : 1023\t80 : 80\t0x00/0x00\t0x0000/0x0000\n@1.2.3.0/24\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x01/0xFF\t0x0000/0x0000\n@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x11/0xFF\t0x0000/0x0000\n' >"$out/th"
"$tools/classbench2sluice" -o "$out/th.sluice" "$out/th" || fail "classbench2sluice th"
[ "$(sed -n 6p "$out/th.sluice")" = "$(printf '\tip saddr 1.2.3.0/24 th sport 0-1023 th dport 80 accept')" ] &&
	[[ "$(sed -n 7p "$out/th.sluice")" == *"# rule 1: ports on protocol 1 can never match"* ]] &&
	[ "$(sed -n 8p "$out/th.sluice")" = "$(printf '\tip protocol 17 accept')" ] ||
	fail "unexpected conversion: $(cat "$out/th.sluice")"
"$sluice" check "$out/th.sluice" >/dev/null 2>&1 || fail "sluice check rejects th rules"

if command -v clang >/dev/null; then
	"$tools/classbench2c" -n 50 -o "$out/fw1.c" "$cbdir/fw1_1000" || fail "classbench2c"
	clang -O2 -target bpf -c "$out/fw1.c" -o "$out/fw1.o" || fail "clang rejects classbench2c's C"
	"$tools/classbench2c" --family ip6 -n 50 -o "$out/fw1-ip6.c" "$cbdir/fw1_1000" ||
		fail "classbench2c --family ip6"
	clang -O2 -target bpf -c "$out/fw1-ip6.c" -o "$out/fw1-ip6.o" ||
		fail "clang rejects classbench2c's IPv6 C"
fi

# The sets over IPv6 addresses: s/len as s::/len, d/len as 2001:db8:d::/(32 + len).
printf '@1.2.3.0/24	10.0.0.0/8	0 : 65535	80 : 80	0x06/0xFF	0x0000/0x0000
@0.0.0.0/0	0.0.0.0/0	0 : 65535	0 : 65535	0x2f/0xFF	0x0000/0x0000
' >"$out/six"
"$tools/classbench2sluice" --family ip6 -o "$out/six.sluice" "$out/six" || fail "classbench2sluice --family ip6"
[ "$(sed -n 6p "$out/six.sluice")" = "$(printf '	ip6 saddr 102:300:0:0::/24 ip6 daddr 2001:db8:a00:0::/40 tcp dport 80 accept')" ] &&
	[ "$(sed -n 7p "$out/six.sluice")" = "$(printf '	meta l4proto 47 drop')" ] ||
	fail "unexpected IPv6 conversion: $(cat "$out/six.sluice")"
"$sluice" check "$out/six.sluice" >/dev/null 2>&1 || fail "sluice check rejects the IPv6 conversion"
"$tools/classbench2sluice" --family ip5 "$out/six" 2>/dev/null && fail "--family ip5 accepted"
"$tools/classbench2sluice" --family ip6 -o "$out/acl1-ip6.sluice" "$cbdir/acl1_1000" &&
	"$sluice" check "$out/acl1-ip6.sluice" >/dev/null 2>&1 || fail "acl1 over IPv6 does not check"


# Bad input: an error with a location, exit 1, and no output file.
printf '@1.2.3.4/32\t5.6.7.8/40\t0 : 65535\t0 : 65535\t0x06/0xFF\n' >"$out/bad"
if "$tools/classbench2sluice" -o "$out/bad.sluice" "$out/bad" 2>"$out/err"; then
	fail "a bad rule file was accepted"
fi
grep -q "bad:1:21: error: prefix length out of range" "$out/err" || fail "error: $(cat "$out/err")"
[ ! -e "$out/bad.sluice" ] || fail "an output file was left behind"
ls -A "$out" | grep >/dev/null '^\.' && fail "a temporary file was left behind"
"$tools/classbench2sluice" --hook nowhere "$cbdir/acl1_1000" 2>/dev/null && fail "unknown hook accepted"
# Output into a FIFO or a device is written in place: renaming a temporary file
# over the target would replace the node with a regular file (`sluice build`
# does the same, compiler/object/object_file.c). Never tried on the real /dev/null.
umask 022
mkfifo "$out/fifo"
mknod "$out/null" c 1 3 2>/dev/null || echo "note: cannot mknod (not root?): device case not tested" >&2
mkdir "$out/dir"
for tool in classbench2sluice classbench2c classbench-trace; do
	args=(-o) && [ $tool = classbench-trace ] && args=(-c 100 -o)
	"$tools/$tool" "${args[@]}" "$out/reg.$tool" "$cbdir/fw1_1000" || fail "$tool -o a regular file"
	[ "$(stat -c %a "$out/reg.$tool")" = 644 ] || fail "$tool: mode $(stat -c %a "$out/reg.$tool"), not 644"
	timeout 20 cat "$out/fifo" >"$out/got.$tool" &
	reader=$!
	"$tools/$tool" "${args[@]}" "$out/fifo" "$cbdir/fw1_1000" || fail "$tool -o a FIFO"
	wait $reader || fail "$tool: nothing came out of the FIFO (replaced by a file?)"
	reader=
	[ -p "$out/fifo" ] || fail "$tool replaced the FIFO with a regular file"
	cmp -s "$out/got.$tool" "$out/reg.$tool" || fail "$tool: the FIFO got other output than a file"
	if [ -c "$out/null" ]; then
		"$tools/$tool" "${args[@]}" "$out/null" "$cbdir/fw1_1000" || fail "$tool -o a device"
		[ -c "$out/null" ] || fail "$tool replaced the device node with a regular file"
	fi
	if "$tools/$tool" "${args[@]}" "$out/dir" "$cbdir/fw1_1000" 2>"$out/err"; then
		fail "$tool wrote into a directory"
	fi
	grep -q "Is a directory" "$out/err" || fail "$tool: error for a directory: $(cat "$out/err")"
	[ -z "$(ls -A "$out/dir")" ] || fail "$tool left files in the directory"
done
ls -A "$out" | grep >/dev/null '^\.' && fail "a temporary file was left behind"
echo "ok: converters"
