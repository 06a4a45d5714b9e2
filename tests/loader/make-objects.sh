#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the hand-written test objects (bpf/testpol.bpf.c + a .sluice.meta
# section from mkmeta) into OUTDIR: {xdp,tc,cgin,cgout}-{a,b}.o plus damaged
# variants. Usage: make-objects.sh MKMETA OUTDIR
set -euo pipefail
mkmeta=$1 out=$2
src=$(dirname "$0")/bpf/testpol.bpf.c
mkdir -p "$out"
objcopy=$(command -v llvm-objcopy || command -v llvm-objcopy-14)
arch_inc=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

rules_a=("edge|3|5|0|udp dport 7777 counter drop" "edge|4|5|1|icmp type echo-request counter drop"
	 "edge|5|5|-|tcp dport 8888 drop" "edge|6|5|2|udp dport 7778 counter accept")
rules_b=("edge|3|5|0|udp dport 7777 counter drop" "edge|4|5|1|tcp dport 9999 counter drop"
	 "edge|5|5|2|udp dport 7778 counter accept")

build() { # name define hook-meta section policy(a|b) [mkmeta extra args...]
	local name=$1 def=$2 hook=$3 sec=$4 pol=$5
	shift 5
	local -n rules=rules_$pol
	clang -O2 -g -target bpf -I"$arch_inc" -D"$def" -DPOLICY_${pol^^} -c "$src" -o "$out/$name.raw.o"
	"$mkmeta" "$out/$name.meta" "edge" "$hook" edge sluice_tbl "$sec" "edge-$pol.sluice" 3 ${NODEC:---decisions} "$@" -- "${rules[@]}"
	"$objcopy" --add-section .sluice.meta="$out/$name.meta" "$out/$name.raw.o" "$out/$name.o"
	mkdir -p "$out/meta"
	mv "$out/$name.meta" "$out/meta/$name.meta" # seeds for the metadata fuzzer
	rm -f "$out/$name.raw.o"
}

for pol in a b; do
	build xdp-$pol HOOK_XDP xdp xdp $pol
	build tci-$pol HOOK_TC tc-ingress tc $pol
	build tce-$pol HOOK_TC tc-egress tc $pol
	build cgin-$pol HOOK_CG_IN cgroup-ingress cgroup_skb/ingress $pol
	build cgout-$pol HOOK_CG_OUT cgroup-egress cgroup_skb/egress $pol
done
for what in magic version offset rule-id truncate; do
	build xdp-bad-$what HOOK_XDP xdp xdp a --corrupt "$what"
done
# Built without decision recording: `run` cannot name the deciding rule.
NODEC=--no-decisions build xdp-nodec HOOK_XDP xdp xdp a
# No metadata at all, and not an ELF file.
clang -O2 -g -target bpf -I"$arch_inc" -DHOOK_XDP -DPOLICY_A -c "$src" -o "$out/xdp-nometa.o"
echo "not an object" > "$out/garbage.o"
