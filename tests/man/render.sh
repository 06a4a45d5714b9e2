#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every man page renders without a warning, through man-db (as a user reads it)
# and through groff with all warnings on.
# usage: render.sh PAGE...
set -euo pipefail
status=0
for page in "$@"; do
	out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null) || { echo "man -l $page failed: $out" >&2; status=1; }
	[ -z "$out" ] || { echo "man -l $page: $out" >&2; status=1; }
	out=$(groff -ww -z -man "$page" 2>&1) || { echo "groff $page failed: $out" >&2; status=1; }
	[ -z "$out" ] || { echo "groff -ww $page: $out" >&2; status=1; }
	lines=$(MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
	[ "$lines" -gt 20 ] || { echo "man -l $page: only $lines lines" >&2; status=1; }
done
[ "$status" -eq 0 ] && echo "man: $# pages render without warnings"
exit "$status"
