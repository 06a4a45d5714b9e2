#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# combine-archives.sh OUT IN...: one static library with the members of every IN
# (libsluice.a and the stage libraries it needs), for `-lsluice` users.
set -eu
out=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
for a in "$@"; do
	n=$((n + 1))
	mkdir "$dir/$n"
	(cd "$dir/$n" && ar x "$a")
	# members of different archives may share a name: prefix them
	for m in "$dir/$n"/*.o; do
		mv "$m" "$dir/$n-$(basename "$m")"
	done
done
rm -f "$out"
ar crs "$out" "$dir"/*.o
