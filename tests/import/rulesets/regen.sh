#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerates the committed `nft -j list ruleset` of each NAME.nft here the
# way the tests need it: loaded by nft into a fresh scratch network namespace
# and listed back (needs root and nftables). Run after editing an .nft file.
set -euo pipefail
cd "$(dirname "$0")"
ns=sluice-import-regen-$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
for f in *.nft; do
	ip netns add "$ns"
	ip netns exec "$ns" nft -f "$f"
	ip netns exec "$ns" nft -j list ruleset >"${f%.nft}.json"
	ip netns del "$ns"
	echo "${f%.nft}.json"
done
