#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetches Debian's kernel package WITHOUT installing it: resolves what
# `linux-image-amd64` depends on (linux-image-6.1.0-N-amd64 on Debian 12),
# `apt-get download`s that one .deb and unpacks only the kernel image and the
# modules the VM tests need (dpkg-deb's file-system archive, i.e. what `dpkg -x`
# unpacks). Installing the package instead would run Debian's hooks (an
# initramfs for the host), and `apt-get install linux-image-6.1.0-*` matches
# dozens of packages.
# Usage: kernel.sh CACHE_DIR [PACKAGE]
# Prints the directory holding vmlinuz and modules/*.ko; cached by package
# name and version, so a second run needs no network. Exit 3: no package reachable.
set -euo pipefail
cache=$1
pkg=${2:-${SLUICE_VM_KERNEL_PKG:-}}
mods=(kernel/drivers/net/veth.ko kernel/net/sched/sch_ingress.ko kernel/net/sched/cls_bpf.ko)

command -v apt-cache >/dev/null && command -v dpkg-deb >/dev/null ||
	{ echo "kernel.sh: no apt-cache/dpkg-deb (not a Debian-like host)" >&2; exit 3; }
resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1
}
if [ -z "$pkg" ]; then
	pkg=$(resolve)
	# Containers often ship without package lists: fetch them once, as root.
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -qq >&2 && pkg=$(resolve)
	fi
	[ -n "$pkg" ] || { echo "kernel.sh: apt-cache knows no linux-image-amd64 (apt-get update?)" >&2; exit 3; }
fi
ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { echo "kernel.sh: no candidate version of $pkg" >&2; exit 3; }
dir=$cache/$pkg-$ver
if [ -f "$dir/ok" ]; then
	echo "$dir"
	exit 0
fi

rm -rf "$dir" "$dir.tmp"
mkdir -p "$dir.tmp"
start=$(date +%s.%N)
# apt's sandbox user may not write here: download as the invoking user.
(cd "$dir.tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
	{ rm -rf "$dir.tmp"; echo "kernel.sh: cannot download $pkg $ver" >&2; exit 3; }
mid=$(date +%s.%N)
deb=$(ls "$dir.tmp"/*.deb)
kver=${pkg#linux-image-}
members=("./boot/vmlinuz-$kver")
for m in "${mods[@]}"; do members+=("./lib/modules/$kver/$m"); done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" "${members[@]}"
mkdir -p "$dir.tmp/modules"
cp "$dir.tmp/boot/vmlinuz-$kver" "$dir.tmp/vmlinuz"
for m in "${mods[@]}"; do cp "$dir.tmp/lib/modules/$kver/$m" "$dir.tmp/modules/"; done
echo "$kver" > "$dir.tmp/release"
rm -rf "$dir.tmp/boot" "$dir.tmp/lib" "$deb"
end=$(date +%s.%N)
awk -v p="$pkg" -v v="$ver" -v s="$start" -v m="$mid" -v e="$end" \
	'BEGIN { printf "kernel.sh: %s %s: download %.1f s, unpack %.1f s\n", p, v, m - s, e - m }' >&2
touch "$dir.tmp/ok"
mv "$dir.tmp" "$dir"
echo "$dir"
