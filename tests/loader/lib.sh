# SPDX-License-Identifier: GPL-2.0-only
# Shared setup of the loader's end-to-end tests: two network namespaces joined
# by a veth pair, a private pin root, a test cgroup, and cleanup on any exit.
# Sourced by the test scripts; expects SLUICE_LOAD, HELPER and OBJDIR in the
# environment (set by CMakeLists.txt).
set -uo pipefail

ID=$$
NS_A=sluice-loader-$ID-a
NS_B=sluice-loader-$ID-b
DEV_A=slla$ID
DEV_B=sllb$ID
IP_A=10.201.0.1
IP_B=10.201.0.2
export SLUICE_PIN_ROOT=/sys/fs/bpf/sluice-loader-$ID
CG=""
TMP=$(mktemp -d /tmp/sluice-loader-$ID.XXXXXX)
FAILS=0

skip() {
	echo "SKIP: $*"
	if [ "${SLUICE_REQUIRE_KERNEL:-0}" = 1 ]; then
		echo "FAIL: SLUICE_REQUIRE_KERNEL=1 but the test cannot run"
		exit 1
	fi
	exit 77
}

cleanup() {
	set +e
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$SLUICE_PIN_ROOT" 2>/dev/null
	rm -f /sys/fs/bpf/sluice-loader-$ID-* 2>/dev/null
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		# Links on the cgroup go with their pins; move stragglers out, then remove.
		while read -r p; do echo "$p" > "$CG_ROOT/cgroup.procs"; done < "$CG/cgroup.procs" 2>/dev/null
		rmdir "$CG" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

require_kernel() {
	# Missing objects are a build failure, never a reason to skip.
	[ -f "$OBJDIR/kind" ] || { echo "FAIL: no test objects in $OBJDIR (make-objects.sh failed?)"; exit 1; }
	echo "objects: $(cat "$OBJDIR/kind")"
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -d /sys/fs/bpf ] || skip "no /sys/fs/bpf"
	command -v ip >/dev/null || skip "no iproute2"
	ip netns add "$NS_A" 2>/dev/null || skip "cannot create network namespaces"
	ip netns add "$NS_B" || skip "cannot create network namespaces"
	# A BPF probe: sluice-load run on a trivial pcap needs BPF_PROG_LOAD + TEST_RUN.
	"$HELPER" mkpcap "$TMP/probe.pcap" eth udp:1 >/dev/null
	"$SLUICE_LOAD" run "$OBJDIR/xdp-a.o" --pcap "$TMP/probe.pcap" >/dev/null 2>&1 || skip "BPF not usable here"
}

setup_veth() {
	ip link add "$DEV_A" netns "$NS_A" type veth peer name "$DEV_B" netns "$NS_B" || return 1
	ip -n "$NS_A" addr add $IP_A/24 dev "$DEV_A"
	ip -n "$NS_B" addr add $IP_B/24 dev "$DEV_B"
	for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_A" link set "$DEV_A" up
	ip -n "$NS_B" link set "$DEV_B" up
	# Let the link come up and ARP settle before judging traffic.
	for _ in $(seq 50); do
		ip netns exec "$NS_B" ping -c1 -W1 $IP_A >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "veth between $NS_A and $NS_B does not pass traffic"
	return 1
}

setup_cgroup() {
	CG_ROOT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$CG_ROOT" ] || skip "no cgroup2 mount"
	CG=$CG_ROOT/sluice-loader-$ID
	mkdir "$CG" || skip "cannot create a cgroup under $CG_ROOT"
}

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

ok() {
	echo "ok: $*"
}

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# Runs in a namespace, optionally inside the test cgroup (IN_CG=1).
in_ns() {
	local ns=$1
	shift
	if [ "${IN_CG:-0}" = 1 ]; then
		sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" ip netns exec "$ns" "$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

finish() {
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

# Nothing of sluice's is left: no pins, no attachment on the devices/cgroup, no clsact.
assert_clean() {
	local what=$1 leftovers
	# The lock directory stays by design (state.h).
	leftovers=$(find "$SLUICE_PIN_ROOT" -mindepth 1 ! -path "$SLUICE_PIN_ROOT/lock" 2>/dev/null | head -3)
	[ -z "$leftovers" ] || fail "$what: pins left: $leftovers"
	local ns dev
	for ns_dev in "$NS_A:$DEV_A" "$NS_B:$DEV_B"; do
		ns=${ns_dev%%:*} dev=${ns_dev#*:}
		ip -n "$ns" link show "$dev" >/dev/null 2>&1 || continue
		ip -n "$ns" link show "$dev" | grep >/dev/null 'xdp' && fail "$what: XDP program left on $dev"
		tc -n "$ns" qdisc show dev "$dev" | grep >/dev/null clsact && fail "$what: clsact qdisc left on $dev"
		for dir in ingress egress; do
			[ -z "$(ip netns exec "$ns" "$HELPER" tcx-query "$dev" $dir)" ] ||
				fail "$what: tcx $dir program left on $dev"
		done
	done
	if [ -n "$CG" ] && command -v bpftool >/dev/null; then
		[ -z "$(bpftool cgroup show "$CG" 2>/dev/null | tail -n +2)" ] || fail "$what: program left on cgroup"
	fi
	return 0
}
