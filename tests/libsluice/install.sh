#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# libsluice as installed: `cmake --install` into a scratch prefix, build use.c
# against it with pkg-config (static and shared), and check that both write
# the very object `sluice build` writes.
# usage: install.sh BUILD-DIR SOURCE-DIR SLUICE
set -euo pipefail
build=$1 src=$2 sluice=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-libtest.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(dirname "$(find "$work/prefix" -name sluice.pc | head -1)")
export PKG_CONFIG_PATH=$pc
cc=${CC:-cc}
# static: the archive itself, then what it needs
"$cc" -o "$work/use-static" "$src/tests/libsluice/use.c" $(pkg-config --cflags sluice) \
	"$(pkg-config --variable=libdir sluice)/libsluice.a" $(pkg-config --libs-only-l --static libbpf libelf)
"$cc" -o "$work/use-shared" "$src/tests/libsluice/use.c" $(pkg-config --cflags --libs sluice)
cp "$src/examples/edge.sluice" "$work/edge.sluice"
cd "$work"
"$sluice" build -o want.o edge.sluice
./use-static edge.sluice static.o >plan.txt
LD_LIBRARY_PATH=$(pkg-config --variable=libdir sluice) ./use-shared edge.sluice shared.o >/dev/null
cmp want.o static.o || { echo "libsluice (static) and sluice build differ" >&2; exit 1; }
cmp want.o shared.o || { echo "libsluice (shared) and sluice build differ" >&2; exit 1; }
grep -q 'program sluice_edge' plan.txt || { echo "no plan from sl_result_print_plan()" >&2; exit 1; }
echo "libsluice: installed, static and shared users write sluice build's bytes"
