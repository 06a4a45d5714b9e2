#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the hand-written test objects (bpf/testpol.bpf.c + a .sluice.meta
# section from mkmeta) into OUTDIR: {xdp,tc,cgin,cgout}-{a,b}.o plus damaged
# variants.
# With SLUICE (the compiler) given and its `build` implemented, the policy
# objects {xdp,tci,tce,cgin,cgout}-{a,b}.o are real `sluice build
# --record-decisions` output of policies/edge-{a,b}.sluice.in instead; the
# damaged variants are always stand-ins. OUTDIR/kind says which.
# Usage: make-objects.sh MKMETA OUTDIR [SLUICE]
set -euo pipefail
mkmeta=$1 out=$2 sluice=${3:-}
policies=$(cd "$(dirname "$0")/policies" && pwd)
src=$(dirname "$0")/bpf/testpol.bpf.c
rm -rf "$out"
mkdir -p "$out"
objcopy=$(command -v llvm-objcopy || command -v llvm-objcopy-14)
arch_inc=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# The stand-ins' metadata describes policies/edge-{a,b}.sluice.in line by line.
rules_a=("edge|5|5|0|udp dport 7777 counter drop" "edge|6|5|1|icmp type echo-request counter drop"
	 "edge|7|5|-|tcp dport 8888 drop" "edge|8|5|2|udp dport 7778 counter accept")
rules_b=("edge|5|5|0|udp dport 7777 counter drop" "edge|6|5|1|tcp dport 9999 counter drop"
	 "edge|7|5|2|udp dport 7778 counter accept")

build() { # name define hook-meta section policy(a|b) [mkmeta extra args...]
	local name=$1 def=$2 hook=$3 sec=$4 pol=$5
	shift 5
	local -n rules=rules_$pol
	clang -O2 -g -target bpf -I"$arch_inc" -D"$def" -DPOLICY_${pol^^} ${EXTRA_CFLAGS:-} -c "$src" -o "$out/$name.raw.o"
	"$mkmeta" "$out/$name.meta" "edge" "$hook" edge sluice_tbl "$sec" "edge-$pol.sluice" 3 ${NODEC:---decisions} "$@" -- "${rules[@]}"
	"$objcopy" --add-section .sluice.meta="$out/$name.meta" "$out/$name.raw.o" "$out/$name.o"
	mkdir -p "$out/meta"
	mv "$out/$name.meta" "$out/meta/$name.meta" # seeds for the metadata fuzzer
	rm -f "$out/$name.raw.o"
}

# compile NAME HOOK-IN-POLICY POL: from the policy's directory, so rules are
# named edge-POL.sluice:LINE:COL like the stand-ins'. Sources stay in src/NAME/.
compile() {
	mkdir -p "$out/src/$1"
	sed "s/@HOOK@/$2/" "$policies/edge-$3.sluice.in" > "$out/src/$1/edge-$3.sluice"
	(cd "$out/src/$1" && "${compiler[@]}" "edge-$3.sluice" "../../$1.o")
}

compile_all() {
	for pol in a b; do
		compile xdp-$pol xdp $pol
		compile tci-$pol "tc ingress" $pol
		compile tce-$pol "tc egress" $pol
		compile cgin-$pol "cgroup_skb ingress" $pol
		compile cgout-$pol "cgroup_skb egress" $pol
	done
}

sluice_build() { "$sluice" build --record-decisions "$1" -o "$2"; }

mkdir -p "$out/src"
sed "s/@HOOK@/xdp/" "$policies/edge-a.sluice.in" > "$out/src/probe.sluice"
if [ -n "$sluice" ] && [ -x "$sluice" ] &&
	(cd "$out/src" && "$sluice" build --record-decisions probe.sluice -o probe.o) 2>"$out/src/probe.err"; then
	compiler=(sluice_build)
	compile_all
	echo "sluice build" > "$out/kind"
elif [ -n "$sluice" ] && ! grep -q "not implemented" "$out/src/probe.err"; then
	cat "$out/src/probe.err" >&2
	echo "make-objects: sluice build failed on a loader test policy" >&2
	exit 1
fi
[ -f "$out/kind" ] || for pol in a b; do
	build xdp-$pol HOOK_XDP xdp xdp $pol
	build tci-$pol HOOK_TC tc-ingress tc $pol
	build tce-$pol HOOK_TC tc-egress tc $pol
	build cgin-$pol HOOK_CG_IN cgroup-ingress cgroup_skb/ingress $pol
	build cgout-$pol HOOK_CG_OUT cgroup-egress cgroup_skb/egress $pol
done
[ -f "$out/kind" ] || echo stand-in > "$out/kind"
for what in magic version offset rule-id truncate; do
	build xdp-bad-$what HOOK_XDP xdp xdp a --corrupt "$what"
done
# 100k rules of metadata (a ClassBench-sized policy): state records span many chunks.
build xdp-big HOOK_XDP xdp xdp a --many 100000
# A counter map that is not per-CPU: against abi.h.
EXTRA_CFLAGS=-DBAD_COUNTER_MAP build xdp-bad-map HOOK_XDP xdp xdp a
# Built without decision recording: `run` cannot name the deciding rule.
NODEC=--no-decisions build xdp-nodec HOOK_XDP xdp xdp a
# No metadata at all, and not an ELF file.
clang -O2 -g -target bpf -I"$arch_inc" -DHOOK_XDP -DPOLICY_A -c "$src" -o "$out/xdp-nometa.o"
echo "not an object" > "$out/garbage.o"
