#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# `sluice build --classifier=MODE`: tree puts the walk's tables in the object, off
# never, a wrong mode is a usage error (exit 2) that writes nothing.
set -eu
sluice=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/p.sluice" <<'POLICY'
table edge {
	hook xdp
	policy drop
	ip saddr 10.0.0.0/8 tcp dport 22 accept
	ip saddr 10.1.0.0/16 udp dport 53 drop
	ip daddr 192.168.1.0/24 tcp dport { 80, 443 } counter accept
	ip saddr 172.16.0.0/12 drop
}
POLICY
tables() { readelf -sW "$1" | grep -c ' sluice_dt_' || true; }
walks() { readelf -sW "$1" | grep -c ' sluice_dt_.*_boxes' || true; }

"$sluice" build -q --classifier=tree -o "$dir/tree.o" "$dir/p.sluice"
# One walk: its boxes, and per tree its nodes and lists.
[ "$(walks "$dir/tree.o")" = 1 ] || { echo "tree: expected one walk"; exit 1; }
n=$(tables "$dir/tree.o")
[ "$n" -ge 3 ] && [ $((n % 2)) = 1 ] || { echo "tree: $n table symbols"; exit 1; }
"$sluice" build -q --classifier off -O2 -o "$dir/off.o" "$dir/p.sluice"
[ "$(tables "$dir/off.o")" = 0 ] || { echo "off: expected no table symbols"; exit 1; }
"$sluice" build -q -o "$dir/auto.o" "$dir/p.sluice" # 4 rules: straight code is cheaper
[ "$(tables "$dir/auto.o")" = 0 ] || { echo "auto: expected straight code"; exit 1; }
rc=0
"$sluice" build --classifier=fast -o "$dir/bad.o" "$dir/p.sluice" 2>"$dir/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown classifier mode 'fast'" "$dir/err" && [ ! -e "$dir/bad.o" ] ||
	{ echo "bad mode: rc $rc"; cat "$dir/err"; exit 1; }
echo ok
