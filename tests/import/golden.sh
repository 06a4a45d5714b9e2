#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `sluice import` on each tests/import/golden/NAME.in with the arguments in
# NAME.cmd: standard output, standard error and the exit status must be
# NAME.expected. SLUICE_UPDATE=1 rewrites the expectations (review the diff).
# usage: golden.sh SLUICE
set -uo pipefail
sluice=$1
dir=$(dirname "$0")/golden
fails=0
for cmd in "$dir"/*.cmd; do
	name=$(basename "$cmd" .cmd)
	read -r -a args <"$cmd"
	# a --hook value may hold a space: the rest of the line after '=' joins it
	line=$(cat "$cmd")
	if [[ $line == *"--hook OUTPUT=cgroup_skb egress"* ]]; then
		args=(iptables --hook INPUT=xdp --hook FORWARD=none --hook "OUTPUT=cgroup_skb egress")
	fi
	actual=$(cd "$dir" && "$sluice" import "${args[@]}" "$name.in" 2>/tmp/sluice-golden-$$.err; echo "--- exit $?")
	actual=$(printf '%s\n--- stderr\n%s' "$actual" "$(cat /tmp/sluice-golden-$$.err)")
	rm -f /tmp/sluice-golden-$$.err
	if [ "${SLUICE_UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$actual" >"$dir/$name.expected"
	elif ! diff -u "$dir/$name.expected" <(printf '%s\n' "$actual"); then
		echo "FAIL: $name"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ] && echo "ok: every import golden case" || exit 1
