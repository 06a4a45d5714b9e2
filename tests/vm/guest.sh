#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The tests inside the VM (Debian's kernel), run by /init:
#  1. verdicts: `sluice-load run OBJ --pcap FILE` (BPF_PROG_TEST_RUN) against
#     `sluice run POLICY --pcap FILE` (the interpreter), output made on the host;
#  2. the kernel verdict tests (tests/kernel), through libbpf and raw;
#  3. the loader's end-to-end tests (tests/loader/hooks.sh) in network
#     namespaces over veth: XDP, tc (clsact: no tcx before 6.6), cgroup_skb
#     on a cgroup v2 directory, with real traffic and counters; and
#     cgroup-live.sh: attached cgroup_skb programs judging by IPv4/IPv6 fields;
#     xdp-multi.sh: XDP shared with xdp-filter through libxdp's dispatcher.
# Each test prints `vm: ok: ...` or `vm: FAIL: ...`; the last line is
# `vm: N passed, N failed`.
set -uo pipefail
export PATH=/vm/bin:$PATH SLUICE_REQUIRE_KERNEL=1
PASS=0 FAIL=0
pass() { echo "vm: ok: $*"; PASS=$((PASS + 1)); }
fail() { echo "vm: FAIL: $*"; FAIL=$((FAIL + 1)); }
now() { cut -d' ' -f1 /proc/uptime; }
only=${SLUICE_VM_ONLY:-verdicts,kernel,loader} # from the kernel command line: commas
only=${only//,/ }
hooks=${SLUICE_VM_HOOKS:-xdp,tc-ingress,tc-egress,cgroup-ingress,cgroup-egress}
[ "$hooks" = none ] && hooks=""

echo "vm: Linux $(uname -r), $(nproc) CPU(s)"
t0=$(now)

if [[ " $only " == *" verdicts "* ]]; then
	# cases: NAME OBJ PCAP EXPECTED, paths relative to /vm/verdicts (the policy's own directory
	# on the host, so rule locations read the same in both outputs).
	while read -r name obj pcap exp; do
		got=$(cd /vm/verdicts && sluice-load run "$obj" --pcap "$pcap" 2>&1)
		if [ "$got" = "$(cat "/vm/verdicts/$exp")" ]; then
			pass "verdicts $name: kernel = interpreter ($(echo "$got" | grep -c .) lines)"
		else
			fail "verdicts $name: kernel and interpreter differ"
			echo "$got" > /tmp/got
			# what the loader said (an error is not a verdict line), then the first differences
			grep -v '^[0-9]' /tmp/got | head -12
			diff "/vm/verdicts/$exp" /tmp/got | head -20
		fi
	done < /vm/verdicts/cases
	echo "vm: verdicts took $(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }') s"
fi

if [[ " $only " == *" kernel "* ]]; then
	t1=$(now)
	for t in /vm/kt/test_kern_*; do
		for raw in 0 1; do
			name="$(basename "$t")$([ $raw = 1 ] && echo _raw)"
			if SLUICE_KT_RAW=$raw timeout 120 "$t" > /tmp/kt.log 2>&1; then
				pass "$name"
			else
				rc=$?
				fail "$name"
				grep -iE 'FAIL|ERROR|expected' /tmp/kt.log | head -20
				echo "vm: $name: exit $rc; its last lines:"
				tail -5 /tmp/kt.log | sed 's/^/vm:   /'
			fi
		done
	done
	echo "vm: kernel tests took $(awk -v a="$t1" -v b="$(now)" 'BEGIN { print b - a }') s"
fi

if [[ " $only " == *" loader "* ]]; then
	# SLUICE_LOAD, HELPER, OBJDIR: what tests/loader/CMakeLists.txt gives these scripts.
	export SLUICE_LOAD=/vm/bin/sluice-load HELPER=/vm/bin/sl_loader_helper OBJDIR=/vm/loader/objs
	for hook in ${hooks//,/ }; do
		t1=$(now)
		# Streamed to the console (not parsed): where a hung test stopped shows in the log.
		# A hung step fails its test (timeout), not the whole VM run.
		if timeout 120 bash /vm/loader/hooks.sh "$hook" 2>&1 | tee /tmp/hooks.log | sed "s/^/  $hook | /"; then
			pass "loader e2e $hook ($(grep -c '^ok:' /tmp/hooks.log) checks, $(awk -v a="$t1" -v b="$(now)" 'BEGIN { print b - a }') s)"
			# No tcx before 6.6: the loader must have chosen clsact by itself.
			if [[ $hook == tc-* ]] && [[ $(uname -r) == 6.[0-5].* || $(uname -r) == [1-5].* ]]; then
				grep -q '^attached .*(clsact)' /tmp/hooks.log &&
					pass "loader e2e $hook: clsact chosen on $(uname -r) (no tcx)" ||
					fail "loader e2e $hook: not attached through clsact on $(uname -r)"
			fi
		else
			fail "loader e2e $hook"
			grep -v '^ok:' /tmp/hooks.log | head -30
		fi
	done
	t1=$(now)
	if timeout 120 bash /vm/cgroup-live.sh /vm/verdicts 2>&1 | tee /tmp/live.log | sed "s/^/  cgroup-live | /"; then
		pass "cgroup_skb live IPv4/IPv6 fields ($(grep -c '^ok:' /tmp/live.log) checks, $(awk -v a="$t1" -v b="$(now)" 'BEGIN { print b - a }') s)"
	else
		fail "cgroup_skb live IPv4/IPv6 fields"
	fi
	t1=$(now)
	if timeout 120 bash /vm/loader/limits-log.sh /vm/loader/limits 2>&1 | tee /tmp/limits.log | sed "s/^/  limits-log | /"; then
		pass "limits, meters and log on xdp ($(grep -c '^ok:' /tmp/limits.log) checks, $(awk -v a="$t1" -v b="$(now)" 'BEGIN { print b - a }') s)"
	else
		fail "limits, meters and log on xdp"
	fi
	t1=$(now)
	timeout 150 bash /vm/loader/xdp-multi.sh /vm/loader/multi 2>&1 | tee /tmp/multi.log | sed "s/^/  xdp-multi | /"
	case ${PIPESTATUS[0]} in
	0) pass "xdp through libxdp's dispatcher with xdp-filter ($(grep -c '^ok:' /tmp/multi.log) checks, $(awk -v a="$t1" -v b="$(now)" 'BEGIN { print b - a }') s)" ;;
	77) fail "xdp through libxdp's dispatcher: skipped on $(uname -r)" ;;
	*) fail "xdp through libxdp's dispatcher" ;;
	esac
fi

echo "vm: tests took $(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }') s"
echo "vm: $PASS passed, $FAIL failed"
