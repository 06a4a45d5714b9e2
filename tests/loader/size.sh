#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# sluice-load stays tiny: under 192 KiB stripped, linking libbpf, libelf and
# libpcap (and libc's) only: no LLVM, flex or bison on a target host.
# (100 KiB until named sets, issue 18: the set commands, the element text
# parser and the key codec took it from 93,352 to 122,096 bytes; with log,
# apply, ct's unit intent, libxdp's dispatcher protocol and interface names it
# is 167,368 bytes, hence 192 KiB.)
# usage: size.sh SLUICE-LOAD
set -euo pipefail
bin=$1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
strip -o "$tmp" "$bin"
size=$(stat -c %s "$tmp")
echo "sluice-load: $size bytes stripped"
fail=0
if ((size >= 192 * 1024)); then
	echo "FAIL: sluice-load is $size bytes stripped, over 192 KiB" >&2
	fail=1
fi
bad=$(ldd "$bin" | grep -Ei 'llvm|libfl|bison|libclang|libsluice' || true)
if [[ -n $bad ]]; then
	echo "FAIL: sluice-load links what a host must not need: $bad" >&2
	fail=1
fi
exit $fail
