#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Object conformance: every sluice object must work with the standard tools.
#   conformance.sh --load-check BIN [--samples BIN] [--sluice BIN --policies DIR...] [OBJ...]
# For each object (hand-built samples, policies compiled with `sluice build`, or
# objects named on the command line):
#   - libbpf opens and loads it, each program runs once (BPF_PROG_TEST_RUN)
#   - `bpftool btf dump file` shows its FUNCs and map types
#   - `bpftool prog loadall` loads it; `bpftool prog dump xlated ... linum`
#     shows the policy's file and lines
#   - `bpftool gen object` (the static linker) accepts it
#   - `ip link ... xdp obj`, `tc filter ... bpf da obj` attach it to a veth in a
#     private network namespace; `bpftool cgroup attach` to a private cgroup
# Exit 77 when the kernel parts cannot run here, unless SLUICE_REQUIRE_KERNEL=1.
# (grep reads here-strings, never pipes: with pipefail, grep -q closing a pipe
# early would fail the writer with SIGPIPE.)
set -uo pipefail

tag="sluice_object_$$"
work=$(mktemp -d "/tmp/${tag}.XXXXXX")
pin="/sys/fs/bpf/${tag}"
netns="${tag}"
cgroup="/sys/fs/cgroup/${tag}"
failures=0

cleanup() {
	ip netns del "$netns" 2>/dev/null
	rm -rf "$pin"
	[ -d "$cgroup" ] && rmdir "$cgroup" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

skip() {
	if [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "FAIL: $* (SLUICE_REQUIRE_KERNEL=1)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

load_check="" samples="" sluice="" policy_dirs=() objects=()
while [ $# -gt 0 ]; do
	case "$1" in
	--load-check) load_check=$2; shift 2 ;;
	--samples) samples=$2; shift 2 ;;
	--sluice) sluice=$2; shift 2 ;;
	--policies) policy_dirs+=("$2"); shift 2 ;;
	*) objects+=("$1"); shift ;;
	esac
done
[ -n "$load_check" ] || { echo "usage: $0 --load-check BIN ..."; exit 2; }

[ "$(id -u)" = 0 ] || skip "needs root"
for tool in bpftool ip tc; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
mountpoint -q /sys/fs/bpf || skip "no bpffs at /sys/fs/bpf"
bpftool prog show >/dev/null 2>&1 || skip "bpftool cannot talk to the kernel"

# Objects to check: "path[:slot]" where slot is a counter slot the programs count.
if [ -n "$samples" ]; then
	"$samples" "$work" || { echo "FAIL: cannot write the sample objects"; exit 1; }
	objects+=("$work/pass.o" "$work/counter.o:0" "$work/all.o:0")
fi
if [ ${#policy_dirs[@]} -gt 0 ]; then
	[ -n "$sluice" ] || { echo "usage: --policies needs --sluice"; exit 2; }
	# Every policy `sluice check` accepts must build (unless it has no table: an
	# include file) into an object that passes every check below.
	while IFS= read -r policy; do
		"$sluice" check -q "$policy" >/dev/null 2>&1 || continue
		out="$work/$(basename "$(dirname "$policy")")_$(basename "$policy" .sluice).o"
		if "$sluice" build -q "$policy" -o "$out" >"$work/build.log" 2>&1; then
			objects+=("$out")
		elif ! grep -q "defines no table" "$work/build.log"; then
			fail "$policy: sluice check accepts it, sluice build fails: $(head -3 "$work/build.log")"
		fi
	done < <(find "${policy_dirs[@]}" -name '*.sluice' 2>/dev/null | sort)
fi
[ ${#objects[@]} -gt 0 ] || [ "$failures" -gt 0 ] || skip "no objects to check"

mkdir -p "$pin" || skip "cannot create $pin"
ip netns add "$netns" || skip "cannot create a network namespace"
ip -n "$netns" link add sl_obj0 type veth peer name sl_obj1 || skip "cannot create veth"
ip -n "$netns" link set sl_obj0 up
ip -n "$netns" link set sl_obj1 up
tc -n "$netns" qdisc add dev sl_obj0 clsact || skip "cannot add clsact"

check_object() {
	local obj=$1 slot=$2 name pairs progs sections p out n=0 attached=""
	name=$(basename "$obj" .o)
	echo "== $name"

	if [ -n "$slot" ]; then
		out=$("$load_check" "$obj" --count "$slot" 2>&1)
	else
		out=$("$load_check" "$obj" 2>&1)
	fi
	case $? in
	0) ;;
	77) skip "$name: libbpf load: $out" ;;
	*) fail "$name: libbpf load/run: $out"; return ;;
	esac
	pairs=$(echo "$out" | sed -n 's/^\([A-Za-z0-9_]*\) (\(.*\)): ran.*/\1 \2/p')
	progs=$(echo "$pairs" | cut -d' ' -f1)
	sections=$(echo "$out" | sed -n 's/^[A-Za-z0-9_]* (\(.*\)): ran.*/\1/p' | sort -u)

	out=$(bpftool btf dump file "$obj" 2>&1) || { fail "$name: bpftool btf dump: $out"; return; }
	for p in $progs; do
		grep -q "FUNC '$p' type_id=[0-9]* linkage=global" <<<"$out" ||
			fail "$name: BTF has no FUNC for $p"
	done
	if grep -q "VAR 'sluice_counters'" <<<"$out"; then
		grep -q "STRUCT 'sluice_counter' size=16" <<<"$out" ||
			fail "$name: counter map without struct sluice_counter"
	fi

	out=$(bpftool prog loadall "$obj" "$pin/$name" 2>&1) ||
		{ fail "$name: bpftool prog loadall: $out"; rm -rf "${pin:?}/$name"; return; }
	for p in $progs; do
		out=$(bpftool prog dump xlated pinned "$pin/$name/$p" linum 2>&1)
		grep -q '\[file:.*\.sluice line_num:[1-9]' <<<"$out" ||
			fail "$name: $p: no policy lines in the xlated dump"
		n=$((n + 1))
	done
	if grep -q '^cgroup_skb/' <<<"$sections"; then
		check_cgroup "$name" "$pairs"
		attached+=" cgroup"
	fi
	rm -rf "${pin:?}/$name"

	out=$(bpftool gen object "$work/linked.o" "$obj" 2>&1) ||
		{ fail "$name: bpftool gen object: $out"; return; }

	if grep -qx xdp <<<"$sections"; then
		out=$(ip -n "$netns" link set dev sl_obj0 xdp obj "$obj" sec xdp 2>&1) &&
			grep -q 'prog/xdp' <<<"$(ip -n "$netns" link show dev sl_obj0)" ||
			fail "$name: ip link xdp obj: $out"
		ip -n "$netns" link set dev sl_obj0 xdp off 2>/dev/null
		attached+=" xdp"
	fi
	if grep -qx tc <<<"$sections"; then
		out=$(tc -n "$netns" filter add dev sl_obj0 ingress bpf da obj "$obj" sec tc 2>&1) &&
			grep -q 'direct-action' <<<"$(tc -n "$netns" filter show dev sl_obj0 ingress)" ||
			fail "$name: tc filter bpf da obj: $out"
		tc -n "$netns" filter del dev sl_obj0 ingress 2>/dev/null
		attached+=" tc"
	fi
	echo "   $n programs: libbpf load + test run, btf dump, loadall + linum, gen object; attached:${attached:- none}"
}

# Attach each pinned cgroup_skb program to a private cgroup in its direction, then detach.
check_cgroup() {
	local name=$1 pairs=$2 p sec dir out
	mountpoint -q /sys/fs/cgroup && [ -e /sys/fs/cgroup/cgroup.controllers ] || return 0
	mkdir -p "$cgroup" || { fail "cannot create a cgroup"; return; }
	while read -r p sec; do
		case "$sec" in
		cgroup_skb/ingress) dir=ingress ;;
		cgroup_skb/egress) dir=egress ;;
		*) continue ;;
		esac
		out=$(bpftool cgroup attach "$cgroup" "$dir" pinned "$pin/$name/$p" 2>&1) ||
			{ fail "$name: $p: bpftool cgroup attach $dir: $out"; continue; }
		grep -q "$dir .*${p:0:15}" <<<"$(bpftool cgroup show "$cgroup")" ||
			fail "$name: $p is not attached to the cgroup"
		bpftool cgroup detach "$cgroup" "$dir" pinned "$pin/$name/$p" ||
			fail "$name: cannot detach $p"
	done <<<"$pairs"
}

for entry in "${objects[@]}"; do
	obj=${entry%%:*}
	slot=""
	[ "$entry" != "$obj" ] && slot=${entry#*:}
	check_object "$obj" "$slot"
done

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all ${#objects[@]} objects conform"
