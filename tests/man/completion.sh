#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The bash completion knows what the programs know: every command of
# `--help` completes as the first word, every option a command's --help lists
# completes after the command (`sluice-load set`: its subcommands too).
# A new command or option missing from packaging/bash-completion/ fails here.
# usage: completion.sh SOURCE-DIR SLUICE SLUICE-LOAD
set -euo pipefail
src=$1 sluice=$2 load=$3
status=0
fail() { echo "completion: $*" >&2; status=1; }

# The options of a --help text, as tests/man/options.sh reads them.
help_opts() {
	{ grep -E '^(usage:|       [a-z]|[[:space:]]*(-|\[))' || true; } |
		{ grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' || true; } | sed 's/^[^-]*//' | sort -u
}
# complete FILE FUNCTION WORD...: the candidates for the last WORD, one a line,
# without what follows the `=` of `--opt=`.
complete_words() {
	local file=$1 fn=$2
	shift 2
	bash -c 'source "$1"; fn=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		compopt() { :; }; "$fn"; printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$fn" "$@" |
		sed 's/=.*//' | sort -u
}
check() { # WHAT WANTED GOT
	local missing
	missing=$(comm -23 <(echo "$2" | grep . || true) <(echo "$3") | tr '\n' ' ')
	[ -z "${missing// /}" ] || fail "$1 does not offer $missing"
}

comp=$src/packaging/bash-completion/sluice
cmds=$("$sluice" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ {print $1}' | sort)
check "'sluice <TAB>'" "$cmds" "$(complete_words "$comp" _sluice sluice '')"
for cmd in $cmds; do
	help=$("$sluice" "$cmd" --help | help_opts)
	if [ "$cmd" = dump ]; then
		help=$( (echo "$help"; "$sluice" dump --ir --help | help_opts; "$sluice" dump --bpf --help | help_opts) | sort -u)
	fi
	check "'sluice $cmd -<TAB>'" "$help" "$(complete_words "$comp" _sluice sluice "$cmd" x -)"
done
check "'sluice import <TAB>'" "$(printf 'iptables\nnft\n')" "$(complete_words "$comp" _sluice sluice import '')"

comp=$src/packaging/bash-completion/sluice-load
cmds=$("$load" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ {print $1}' | sort)
check "'sluice-load <TAB>'" "$cmds" "$(complete_words "$comp" _sluice_load sluice-load '')"
for cmd in $cmds; do
	help=$("$load" "$cmd" --help | help_opts | grep -vx -- '-v' || true)
	check "'sluice-load $cmd -<TAB>'" "$help" "$(complete_words "$comp" _sluice_load sluice-load "$cmd" x -)"
done
subs=$("$load" set --help | sed -nE 's/^(usage: |       )sluice-load set ([a-z]+) .*/\2/p' | sort -u)
[ -n "$subs" ] || fail "'sluice-load set --help' lists no subcommand"
check "'sluice-load set <TAB>'" "$subs" "$(complete_words "$comp" _sluice_load sluice-load set '')"
[ "$status" -eq 0 ] && echo "completion: every command, subcommand and option of both programs completes"
exit "$status"
