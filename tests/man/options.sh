#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The man pages say what the programs do: every option a command's --help lists
# has a tagged paragraph (.TP) in the page, under the command's .SS or in the
# sections every command shares; every option the page tags under a command is
# one its --help lists; the commands of `--help` are the page's command sections.
# A new option, command or field without its man page entry fails here.
# usage: options.sh SOURCE-DIR SLUICE SLUICE-LOAD
set -euo pipefail
src=$1 sluice=$2 load=$3
status=0
fail() { echo "man: $*" >&2; status=1; }

# Options (-x, --long, -O2, -Werror) on the lines of a --help text that show
# options: the usage lines and the lines that start with an option or a [.
help_opts() {
	{ grep -E '^(usage:|       [a-z]|[[:space:]]*(-|\[))' || true; } |
		{ grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' || true; } | sed 's/^[^-]*//' | sort -u
}
# The man source with escapes resolved, one section per paragraph group:
# prints "SECTION<TAB>tag line" for every .TP tag.
man_tags() {
	sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(dq/"/g' "$1" | awk '
		/^\.S[HS] / { sub(/^\.S[HS] /, ""); gsub(/"/, ""); sec = $0; next }
		/^\.TP/ { tag = 1; next }
		tag { print sec "\t" $0; tag = 0 }'
}
tag_opts() { # PAGE SECTION...: the options tagged in those sections
	local page=$1 IFS='|'
	shift
	man_tags "$page" | awk -F'\t' -v secs="$*" 'BEGIN { n = split(secs, s, "|"); for (i = 1; i <= n; i++) want[s[i]] = 1 }
		($1 in want) { print $2 }' |
		{ grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' || true; } | sed 's/^[^-]*//' | sort -u
}
check_cmd() { # PAGE PROGRAM CMD HELP-OPTS SHARED-SECTIONS...
	local page=$1 prog=$2 cmd=$3 help=$4
	shift 4
	local mine shared missing extra
	mine=$(tag_opts "$page" "$cmd")
	shared=$(tag_opts "$page" "$@")
	missing=$(comm -23 <(echo "$help") <(printf '%s\n%s\n' "$mine" "$shared" | sort -u) | tr '\n' ' ')
	extra=$(comm -13 <(echo "$help") <(echo "$mine" | grep . || true) | tr '\n' ' ')
	[ -z "${missing// /}" ] || fail "$(basename "$page"): '$prog $cmd --help' lists $missing but the page has no .TP for it"
	[ -z "${extra// /}" ] || fail "$(basename "$page"): the page documents $extra under $cmd, which '$prog $cmd --help' does not list"
}
sections() { grep -E '^\.SS ' "$1" | sed 's/^\.SS //; s/"//g'; }

# sluice(1)
page=$src/man/sluice.1
cmds=$("$sluice" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ {print $1}' | sort)
pagecmds=$(sections "$page" | grep -v '^Options of every command$' | sort)
[ "$cmds" = "$pagecmds" ] || fail "sluice.1: command sections '$(echo $pagecmds)', 'sluice --help' has '$(echo $cmds)'"
for cmd in $cmds; do
	help=$("$sluice" "$cmd" --help | help_opts)
	if [ "$cmd" = dump ]; then
		help=$( (echo "$help"; "$sluice" dump --ir --help | help_opts; "$sluice" dump --bpf --help | help_opts) | sort -u)
	fi
	check_cmd "$page" sluice "$cmd" "$help" "Options of every command"
done
extra=$(comm -13 <("$sluice" check --help | help_opts) <(tag_opts "$page" "Options of every command") | tr '\n' ' ')
[ -z "${extra// /}" ] || fail "sluice.1: 'Options of every command' has $extra, which 'sluice check --help' does not list"

# sluice-load(8)
page=$src/man/sluice-load.8
cmds=$("$load" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ {print $1}' | sort)
pagecmds=$(sections "$page" | grep -v '^Targets$' | sort)
[ "$cmds" = "$pagecmds" ] || fail "sluice-load.8: command sections '$(echo $pagecmds)', 'sluice-load --help' has '$(echo $cmds)'"
for cmd in $cmds; do
	help=$("$load" "$cmd" --help | help_opts)
	check_cmd "$page" sluice-load "$cmd" "$help" OPTIONS Targets
done
extra=$(comm -13 <("$load" attach --help | help_opts) <(tag_opts "$page" Targets) | tr '\n' ' ')
[ -z "${extra// /}" ] || fail "sluice-load.8: Targets documents $extra, which 'sluice-load attach --help' does not list"
missing=$(comm -23 <("$load" --help | help_opts) <(tag_opts "$page" OPTIONS Targets $cmds | sort -u) | tr '\n' ' ')
[ -z "${missing// /}" ] || fail "sluice-load.8: 'sluice-load --help' lists $missing, the page has no .TP for it"

# sluice(5): every field of the compiler's table is named.
page=$src/man/sluice.5
while read -r proto member; do
	grep -qE "\"$proto $member\"" "$page" || fail "sluice.5: field '$proto $member' (compiler/common/field.c) is not listed"
done < <(sed -nE 's/^[[:space:]]*FIELD[0-9]*\([A-Z0-9_]+, "([a-z0-9]+)", "([a-z0-9]+)".*/\1 \2/p' "$src/compiler/common/field.c")
[ "$status" -eq 0 ] && echo "man: every option of every command and every field documented, nothing documented that is not there"
exit "$status"
