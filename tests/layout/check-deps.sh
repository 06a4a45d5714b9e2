#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The compiler's layout rules (compiler/README.md, issue 15):
#  1. no stage includes a later stage's header (the one exception: select/
#     reads emit's cost interface, emit/cost.h);
#  2. no test reaches into a stage's folder with include directories;
#  3. only libsluice strings the back-end stages together, and the driver
#     calls no stage of the pipeline at all (parse, check, lower, opt, emit,
#     object): only libsluice;
#  4. no file calls into another in a loop (A calls B and B calls A, or longer),
#     from the symbols of the stage libraries' members (needs BUILD-DIR).
# usage: check-deps.sh SOURCE-DIR [BUILD-DIR]
set -euo pipefail
src=$1
build=${2:-}
fail=0

# Stage order; stages of one rank may include each other (the scanner and the
# grammar share parse_ctx.h; the interpreter is a reference beside opt/).
declare -A rank=([common]=0 [lexer]=1 [parser]=1 [ir]=2 [opt]=3 [interp]=3 [analysis]=3 [select]=4
	[emit]=5 [object]=6 [lib]=7 [driver]=8 [testcase]=3 [import]=1)

while IFS= read -r f; do
	stage=${f#compiler/}
	stage=${stage%%/*}
	[[ -n ${rank[$stage]:-} ]] || { echo "layout: $f: stage '$stage' has no rank" >&2; fail=1; continue; }
	while IFS= read -r inc; do
		dep=${inc%%/*}
		[[ -n ${rank[$dep]:-} ]] || continue # sluice/*.h and generated headers
		if ((rank[$dep] > rank[$stage])) && [[ "$stage:$inc" != select:emit/cost.h ]]; then
			echo "layout: $f includes $inc: stage $stage comes before $dep" >&2
			fail=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src/$f")
done < <(cd "$src" && git ls-files 'compiler/*.c' 'compiler/*.h' 'compiler/*.l' 'compiler/*.y' 2>/dev/null ||
	(cd "$src" && find compiler -name '*.[chly]'))

if grep -n 'include_directories.*\${CMAKE_SOURCE_DIR}/compiler' \
	$(cd "$src" && find tests bench -name CMakeLists.txt | sed "s|^|$src/|") >&2; then
	echo "layout: tests reach into compiler/ folders: link the stage's library instead" >&2
	fail=1
fi

# One pipeline: only libsluice strings the back-end stages together. Unit tests
# of one stage (tests/unit/, tests/kernel/test_codegen, test_kern_scale: emit
# alone, loaded raw) may call it directly.
while IFS=: read -r f _; do
	case $f in
	compiler/lib/* | compiler/emit/* | compiler/object/* | tests/unit/* | tests/object/*) ;;
	tests/kernel/test_kern_scale.c) ;;
	*)
		echo "layout: $f calls a back-end stage directly: use sl_compile() (compiler/lib)" >&2
		fail=1
		;;
	esac
done < <(cd "$src" && git grep -n -E '\b(sl_codegen|sl_obj_serialize|sl_opt_run)\(' -- '*.c' 2>/dev/null |
	grep -v -E '^compiler/opt/' || true)

# The sluice command compiles only through libsluice (sl_compile and the
# entry points of lib/compile.h): its driver strings no stage together.
while IFS=: read -r f line _; do
	echo "layout: $f:$line calls a compiler stage directly: go through libsluice (compiler/lib)" >&2
	fail=1
done < <(cd "$src" && grep -n -E --include='*.[ch]' -r \
	'\b(sl_parse_[a-z_]+|sl_check|sl_ir_lower|sl_opt_run[a-z_]*|sl_opt_lint|sl_codegen|sl_obj_serialize)\(' \
	compiler/driver || true)

if [[ -n $build ]]; then
	edges=$(mktemp)
	trap 'rm -f "$edges"' EXIT
	mapfile -t libs < <(find "$build/compiler" -name 'libsluice_*.a' | sort)
	if ((${#libs[@]} == 0)); then
		echo "layout: no stage libraries under $build/compiler" >&2
		exit 1
	fi
	# member<TAB>D|U<TAB>symbol, then an edge "caller callee" per call across members
	for l in "${libs[@]}"; do
		nm -A "$l" 2>/dev/null | awk -F'[: ]+' '
			{ m = $2; sub(/\.o$/, "", m); sub(/\.c$/, "", m) }
			NF >= 4 && $(NF-1) ~ /^[TDBR]$/ { print m "\tD\t" $NF }
			$(NF-1) == "U" { print m "\tU\t" $NF }'
	done | awk -F'\t' '$2 == "D" { def[$3] = $1 } $2 == "U" { use[++n] = $1 "\t" $3 }
		END { for (i = 1; i <= n; i++) { split(use[i], a, "\t")
			if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]] } }' |
		sort -u |
		# The one loop allowed: `include` in the grammar parses the included file
		# (grammar -> parse.c's sl_build_include -> the parser): recursion by design.
		grep -vx 'grammar parse' >"$edges" || true
	if ! tsort "$edges" >/dev/null 2>"$edges.loops"; then
		echo "layout: files call each other in a loop:" >&2
		sed 's/^tsort: /  /' "$edges.loops" >&2
		fail=1
	else
		echo "layout: $(wc -l <"$edges") calls between files of ${#libs[@]} stage libraries, no loop"
	fi
	rm -f "$edges.loops"
fi
if ((fail == 0)); then
	echo "layout: stages include only earlier stages; no test reaches into a stage"
fi
exit $fail
