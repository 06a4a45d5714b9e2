#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The two .deb packages as a target host gets them: build them with CPack,
# check their file lists and Depends (which must be exactly the packages of the
# libraries their binaries link, as dpkg-shlibdeps found them), unpack both into
# a scratch root (dpkg -x) and run what is installed there: the installed sluice
# compiles the bundled example to the bytes the build tree's sluice writes,
# libsluice links through its installed pkg-config file, the installed
# sluice-load runs that object in the kernel (BPF_PROG_TEST_RUN) with the
# verdicts the reference interpreter gives, the man pages render, bash
# completion completes.
# usage: deb.sh BUILD-DIR SOURCE-DIR SLUICE (the build tree's, for the reference bytes)
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) ref_sluice=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "deb: $*" >&2; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps readelf ldconfig; do
	command -v "$tool" >/dev/null || { echo "SKIP: no $tool (not a Debian host? scripts/install-deps)"; exit 77; }
done
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
	{ cat "$work/cpack.log" >&2; fail "cpack failed"; }
mapfile -t debs < <(cd "$work/pkg" && ls ./*.deb | sort)
[ "${#debs[@]}" -eq 2 ] || fail "want 2 packages, cpack wrote: ${debs[*]}"
comp=$(cd "$work/pkg" && ls sluice_*.deb)
load=$(cd "$work/pkg" && ls sluice-load_*.deb)
comp=$work/pkg/$comp load=$work/pkg/$load
[ "$(dpkg-deb -f "$comp" Package)" = sluice ] || fail "$comp is not package sluice"
[ "$(dpkg-deb -f "$load" Package)" = sluice-load ] || fail "$load is not package sluice-load"

# File lists (regular files and links; directories follow from them).
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sed 's|/[a-z0-9_]*-linux-gnu[a-z]*/|/MULTIARCH/|' | LC_ALL=C sort; }
want_comp=$({
	printf '%s\n' \
	    /usr/bin/sluice \
	    /usr/include/sluice/sluice.h \
	    /usr/lib/MULTIARCH/libsluice.a \
	    /usr/lib/MULTIARCH/libsluice.so \
	    /usr/lib/MULTIARCH/libsluice.so.0 \
	    /usr/lib/MULTIARCH/libsluice.so.0.1.0 \
	    /usr/lib/MULTIARCH/pkgconfig/sluice.pc \
	    /usr/share/bash-completion/completions/sluice \
	    /usr/share/doc/sluice/LICENSE \
	    /usr/share/doc/sluice/examples/traffic.pcap \
	    /usr/share/man/man1/sluice.1.gz \
	    /usr/share/man/man5/sluice.5.gz
	for f in "$src"/examples/*.sluice; do echo "/usr/share/doc/sluice/examples/${f##*/}"; done
} | LC_ALL=C sort)
want_load=$(cat "$src/tests/packaging/sluice-load.files")
diff -u <(echo "$want_comp") <(files "$comp" | sed -E 's#^/usr/lib/(lib|pkgconfig)#/usr/lib/MULTIARCH/\1#' | LC_ALL=C sort) ||
	fail "package sluice: unexpected file list (- wanted, + found)"
diff -u <(echo "$want_load") <(files "$load") || fail "package sluice-load: unexpected file list (- wanted, + found)"

# Depends: the packages that own the libraries the package's ELF files need
# (DT_NEEDED, resolved as the dynamic linker would), no more, no less.
dpkg -x "$comp" "$work/root"
dpkg -x "$load" "$work/root"
owners() {
	local pkg=$1 f lib path
	dpkg-deb -c "$pkg" | awk '$1 ~ /^-/ {print $6}' | while read -r f; do
		f=$work/root/${f#./}
		[ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
		readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u | while read -r lib; do
		[[ $lib == libsluice.so.* ]] && continue # in the package itself
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l && $NF ~ /^\// {print $NF; exit}')
		[ -n "$path" ] || fail "$lib: not found by ldconfig"
		dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1 ||
			dpkg -S "$path" | head -1 | cut -d: -f1
	done | sort -u
}
depends() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/(.*)//; s/ //g' | grep . | sort -u; }
diff -u <(owners "$comp") <(depends "$comp") || fail "package sluice: Depends is not what its binaries link (- linked, + Depends)"
diff -u <(owners "$load") <(depends "$load") || fail "package sluice-load: Depends is not what sluice-load links (- linked, + Depends)"
# The loader package is for target hosts: no compiler, LLVM or libsluice there.
if depends "$load" | grep -E 'llvm|sluice|flex|bison'; then fail "sluice-load depends on compiler parts"; fi
if grep -qs '^12\.' /etc/debian_version; then
	got=$(depends "$load" | tr '\n' ' ')
	for p in $got; do
		case $p in libbpf1 | libc6 | libelf1 | libpcap0.8) ;; *) fail "sluice-load on Debian 12 depends on $p ($got)" ;; esac
	done
fi

# The installed programs, from the scratch root (libsluice.so from there too).
root=$work/root
libdir=$(dirname "$(find "$root/usr/lib" -name libsluice.so -print -quit)")
export LD_LIBRARY_PATH=$libdir
ex=$root/usr/share/doc/sluice/examples
cd "$work"
"$root/usr/bin/sluice" --help | grep -q '^usage: sluice' || fail "installed sluice --help"
"$root/usr/bin/sluice" check -q "$ex/edge.sluice" || fail "installed sluice check"
"$root/usr/bin/sluice" build -o installed.o "$ex/edge.sluice" || fail "installed sluice build"
"$ref_sluice" build -o reference.o "$ex/edge.sluice"
cmp installed.o reference.o || fail "the installed sluice writes other bytes than the build tree's"
"$root/usr/bin/sluice" build --record-decisions -o edge.o "$ex/edge.sluice"
"$root/usr/bin/sluice" run "$ex/edge.sluice" --pcap "$ex/traffic.pcap" >interp.txt ||
	fail "installed sluice run"
PKG_CONFIG_PATH=$libdir/pkgconfig cc -o use "$src/tests/libsluice/use.c" \
	$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs sluice) || fail "libsluice: pkg-config use"
./use "$ex/edge.sluice" use.o >/dev/null && cmp use.o reference.o || fail "installed libsluice.so writes other bytes"

"$root/usr/sbin/sluice-load" --help | grep -q '^usage: sluice-load' || fail "installed sluice-load --help"
"$root/usr/sbin/sluice-load" --version | grep -q '^sluice-load ' || fail "installed sluice-load --version"
# The loader must not need libsluice or LLVM: run it without the scratch libdir.
if env -u LD_LIBRARY_PATH ldd "$root/usr/sbin/sluice-load" | grep -Ei 'sluice|llvm|not found'; then
	fail "installed sluice-load links compiler parts or misses a library"
fi
if [ "$(id -u)" -eq 0 ]; then
	env -u LD_LIBRARY_PATH "$root/usr/sbin/sluice-load" run edge.o --pcap "$ex/traffic.pcap" >kernel.txt ||
		fail "installed sluice-load run failed"
	diff -u interp.txt kernel.txt || fail "installed sluice-load run and sluice run disagree"
	ran="the installed sluice-load ran it in the kernel ($(grep -c $'\t' kernel.txt) lines as sluice run)"
elif [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ]; then
	fail "sluice-load run needs root (SLUICE_REQUIRE_KERNEL=1)"
else
	ran="not run in the kernel (not root)"
fi

# The unit starts the installed loader; systemd accepts it (its man page found in the root).
unit=$root/usr/lib/systemd/system/sluice-load.service
grep -qx 'ExecStart=/usr/sbin/sluice-load apply /etc/sluice/sluice.conf' "$unit" ||
	fail "sluice-load.service: ExecStart is not the installed loader: $(grep Exec "$unit")"
grep -qx 'Before=network-pre.target' "$unit" || fail "sluice-load.service does not run before the network"
if command -v systemd-analyze >/dev/null; then
	# (with the loader's path in the scratch root: verify checks that it is executable)
	mkdir -p "$work/unit"
	sed "s|/usr/sbin/sluice-load|$root/usr/sbin/sluice-load|" "$unit" >"$work/unit/sluice-load.service"
	out=$(MANPATH=$root/usr/share/man systemd-analyze verify "$work/unit/sluice-load.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
"$root/usr/sbin/sluice-load" apply --help | grep -q 'apply FILE' || fail "installed sluice-load apply --help"
for page in "$root"/usr/share/man/man*/*.gz; do
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page failed"
	[ -z "$out" ] || fail "man -l $page warns: $out"
done
for c in sluice:_sluice:b:build sluice-load:_sluice_load:de:detach; do
	IFS=: read -r prog fn word want <<<"$c"
	got=$(bash -c 'source "$1"; COMP_WORDS=("$2" "$3"); COMP_CWORD=1; '"$fn"'; echo "${COMPREPLY[*]}"' _ \
		"$root/usr/share/bash-completion/completions/$prog" "$prog" "$word")
	[ "$got" = "$want" ] || fail "bash completion of '$prog $word': '$got', want '$want'"
done
echo "deb: $(basename "$comp") and $(basename "$load") built, file lists and Depends right ($(depends "$load" | tr '\n' ' ')), installed into a scratch root; the installed sluice builds the example byte-identically, $ran"
