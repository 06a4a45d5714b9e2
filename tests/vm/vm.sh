#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the kernel tests on Debian 12's own kernel (6.1) in a VM: fetches the
# kernel package without installing it (kernel.sh), makes the expected
# verdicts with the interpreter here, packs an initramfs (busybox, the loader
# and the tools the tests use with the libraries ldd lists, the test objects,
# pcaps, guest.sh) with cpio, boots it with qemu (TCG unless SLUICE_VM_KVM=1)
# under `timeout`, and parses the guest's last line `vm: N passed, N failed`.
# Exit 0 all passed, 1 a failure or a timeout, 77 skipped (no qemu, no
# kernel package): a failure under SLUICE_REQUIRE_KERNEL=1.
#
# Usage: vm.sh BUILD_DIR SOURCE_DIR
# Environment: SLUICE_VM_CACHE (the kernel packages; default BUILD_DIR/vm-cache),
# SLUICE_VM_TIMEOUT (seconds for the VM, default 540:
# about 190 s are needed here; each guest step has its own 120 s bound), SLUICE_VM_ONLY (subset of
# "verdicts kernel loader"), SLUICE_VM_HOOKS (subset of the loader's hooks),
# SLUICE_VM_KERNEL_PKG (another linux-image package), SLUICE_VM_KEEP=1 (keep the staging dir).
set -uo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
here=$src/tests/vm
cache=${SLUICE_VM_CACHE:-$build/vm-cache}
work=$build/vm
log=$work/console.log

skip() {
	echo "SKIP: $*"
	if [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "FAIL: SLUICE_REQUIRE_KERNEL=1 but the VM tests cannot run"
		exit 1
	fi
	exit 77
}
die() { echo "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

qemu=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64 (Debian package qemu-system-x86)"
busybox=$(command -v busybox) || skip "no busybox (Debian package busybox-static)"
[ "$(uname -m)" = x86_64 ] || skip "the VM runs Debian's amd64 kernel; this is $(uname -m)"
sluice=$build/compiler/driver/sluice
sluice_load=$build/loader/sluice-load
helper=$build/tests/loader/sl_loader_helper
objdir=$build/tests/loader/objs
for f in "$sluice" "$sluice_load" "$helper" "$objdir/kind"; do
	[ -e "$f" ] || die "$f is missing: build first (scripts/build)"
done

# 1. The kernel package.
t0=$(now)
kdir=$("$here/kernel.sh" "$cache")
rc=$?
[ $rc = 3 ] && skip "no Debian kernel package reachable (apt-get download linux-image-*)"
[ $rc = 0 ] || die "kernel.sh failed"
t1=$(now)
echo "vm: kernel $(cat "$kdir/release") from $kdir ($(secs "$t0" "$t1") s, cached after the first run)"

# 2. The root file system.
root=$work/root
rm -rf "$root" "$work/initramfs.cpio"
mkdir -p "$root"/{bin,vm/bin,vm/kt,vm/modules,vm/verdicts,vm/loader,usr/local/bin}
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
cp "$here/guest.sh" "$here/cgroup-live.sh" "$root/vm/"
cp "$kdir"/modules/*.ko "$root/vm/modules/"

# A binary and the shared libraries ldd lists, at their paths (with the dynamic linker).
add_bin() { # PATH DESTDIR
	cp -L "$1" "$root$2/"
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
}
add_bin "$busybox" /bin
for b in bash ip tc; do
	p=$(command -v $b) || die "no $b on the host (install-deps installs it)"
	add_bin "$p" /usr/local/bin
done
add_bin "$sluice_load" /vm/bin
add_bin "$helper" /vm/bin
for t in l4 headers actions policy sets named_sets; do
	[ -x "$build/tests/kernel/test_kern_$t" ] && add_bin "$build/tests/kernel/test_kern_$t" /vm/kt
done

# The loader's end-to-end tests and their objects, as tests/loader/CMakeLists.txt runs them.
cp "$src/tests/loader/lib.sh" "$src/tests/loader/hooks.sh" "$root/vm/loader/"
cp -r "$objdir" "$root/vm/loader/objs"
# Limits and logs end to end (limits-log.sh): its two objects built here, iputils' ping
# (busybox's does not print the flood's duration the bounds need).
cp "$src/tests/loader/limits-log.sh" "$root/vm/loader/"
mkdir -p "$root/vm/loader/limits" "$work/limits-src"
cp "$src/tests/loader/policies/limits-log-e2e.sluice" "$work/limits-src/e2e.sluice"
sed 's/ log prefix "x"/ counter/' "$work/limits-src/e2e.sluice" >"$work/limits-src/nolog.sluice"
for p in e2e nolog; do
	(cd "$work/limits-src" && "$sluice" build -q "$p.sluice" -o "$root/vm/loader/limits/$p.o") ||
		die "limits-log's $p.sluice does not compile"
done
p=$(command -v ping) || die "no ping on the host (Debian package iputils-ping)"
add_bin "$p" /usr/local/bin
# XDP through libxdp's dispatcher (xdp-multi.sh): its objects, xdp-filter with libxdp and
# libxdp's BPF objects (the dispatcher, xdp-filter's programs) at their installed paths.
cp "$src/tests/loader/xdp-multi.sh" "$root/vm/loader/"
mkdir -p "$root/vm/loader/multi"
for p in s s2; do
	"$sluice" build -o "$root/vm/loader/multi/multi-$p.o" "$src/tests/loader/policies/multi-$p.sluice" ||
		die "multi-$p.sluice does not compile"
done
if xf=$(command -v xdp-filter); then
	add_bin "$xf" /usr/local/bin
	add_bin "$(command -v xdp-loader)" /usr/local/bin
	for o in /usr/lib/*/bpf/xdp-dispatcher.o /usr/lib/*/bpf/xdpfilt_*.o; do
		mkdir -p "$root$(dirname "$o")"
		cp "$o" "$root$o"
	done
fi

# Verdict cases: each policy compiled here, its expected output from the interpreter.
v=$root/vm/verdicts
"$helper" mkpcap "$v/eth.pcap" eth udp:53 udp:53:53 udp:123 udp:7777 udp:7778 tcp:22 \
	tcp:22:40000:10.1.2.3 tcp:80 tcp:443 tcp:8080 tcp:9100:40000:10.20.0.5 tcp:9999 \
	tcp:25:40000:192.0.2.7 tcp:1234:40000:10.9.0.1:0x12 tcp:1234:40000:10.9.0.1:0x10 \
	tcp:1234:40000:10.9.0.1:0x02 icmp:8 icmp:0 icmp:3 icmp:8:192.0.2.1 udp6:53 tcp6:22 \
	tcp6:443 tcp6:80 icmp6:128 icmp6:135 frag:6 frag:17 arp vlan:42:tcp:443 >/dev/null ||
	die "mkpcap eth"
"$helper" mkpcap "$v/raw.pcap" raw udp:53 tcp:22:40000:10.1.2.3 tcp:443 tcp:80 \
	tcp:25:40000:192.0.2.7 icmp:8 udp6:53 tcp6:443 tcp6:22 icmp6:128 frag:6 >/dev/null ||
	die "mkpcap raw"
cp "$src/examples/traffic.pcap" "$v/traffic.pcap"
: > "$v/cases"
add_cases() { # DIR POLICY
	local dir=$1 pol=$2 base
	base=$(basename "$pol" .sluice)
	# --test-clock: limits read the pcap's timestamps, as `sluice run` does (antiflood)
	(cd "$dir" && "$sluice" build --record-decisions --test-clock "$pol" -o "$v/$base.o") ||
		die "$pol does not compile"
	for pcap in traffic eth raw; do
		(cd "$dir" && "$sluice" run "$pol" --pcap "$v/$pcap.pcap") > "$v/$base.$pcap.expected" 2>&1 ||
			die "sluice run $pol --pcap $pcap.pcap failed"
		echo "$base/$pcap $base.o $pcap.pcap $base.$pcap.expected" >> "$v/cases"
	done
}
for p in "$src"/examples/*.sluice; do
	add_cases "$src/examples" "$(basename "$p")"
done
for p in "$here"/policies/*.sluice; do add_cases "$here/policies" "$(basename "$p")"; done

(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) > "$work/initramfs.cpio" ||
	die "cpio"
t2=$(now)
echo "vm: initramfs $(du -h "$work/initramfs.cpio" | cut -f1), $(wc -l < "$v/cases") verdict cases ($(secs "$t1" "$t2") s)"

# 3. Boot. TCG by default: CI machines have no KVM.
accel=(-accel tcg)
[ "${SLUICE_VM_KVM:-0}" = 1 ] && [ -w /dev/kvm ] && accel=(-accel kvm -cpu host)
limit=${SLUICE_VM_TIMEOUT:-540}
append="console=ttyS0 panic=-1 oops=panic loglevel=4 mitigations=off nokaslr rdinit=/init"
[ -n "${SLUICE_VM_ONLY:-}" ] && append+=" SLUICE_VM_ONLY=${SLUICE_VM_ONLY// /,}"
[ -n "${SLUICE_VM_HOOKS:-}" ] && append+=" SLUICE_VM_HOOKS=${SLUICE_VM_HOOKS// /,}"
echo "vm: booting (${accel[*]}, limit $limit s): $qemu -kernel vmlinuz -initrd initramfs.cpio -append '$append'"
timeout --foreground -k 5 "$limit" "$qemu" "${accel[@]}" -m 1G -smp 1 -nographic -no-reboot \
	-nic none -kernel "$kdir/vmlinuz" -initrd "$work/initramfs.cpio" -append "$append" \
	< /dev/null > "$log" 2>&1
rc=$?
t3=$(now)
grep -a -o 'vm: .*' "$log" | tr -d '\r'
[ "${SLUICE_VM_KEEP:-0}" = 1 ] || rm -rf "$root"
boot=$(grep -a -o 'vm: init at [0-9.]*' "$log" | awk '{ print $4 }')
echo "vm: qemu ran $(secs "$t2" "$t3") s (kernel boot to /init: ${boot:-?} s guest time); console log: $log"
[ $rc = 124 ] || [ $rc = 137 ] && die "the VM did not finish within $limit s (SLUICE_VM_TIMEOUT)"
result=$(grep -a -E '^vm: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n1 | tr -d '\r')
[ -n "$result" ] || { tail -n 30 "$log"; die "the guest printed no result (qemu exit $rc)"; }
passed=$(echo "$result" | awk '{ print $2 }') failed=$(echo "$result" | awk '{ print $4 }')
[ "$failed" = 0 ] && [ "$passed" -gt 0 ] || die "$result"
echo "vm: all $passed passed"
