#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Differential fuzzing of `ct state`: random policies that test connection
state (sets, `!=`, with ports, protocols, addresses, counters, chains, every
hook) against random flows (TCP handshakes both ways, data, FIN, RST, refused
connections, ACK probes, UDP exchanges, pings, replies without requests, ICMP
errors quoting tracked and untracked flows, IPv4 and IPv6, fragments, ARP),
one capture per policy, in order. The kernel (sluice-load run: the table's
program and its companion, one flow table over the capture) must give the
reference interpreter's verdicts, deciding rules and counters (sluice run),
at -O0, -O1 and -O2.

usage: fuzz.py SLUICE SLUICE_LOAD MKFLOWS --seed S --policies N [--out FILE]
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

HOOKS = ["xdp", "tc ingress", "tc egress", "cgroup_skb ingress", "cgroup_skb egress"]
STATES = ["new", "established", "related", "invalid", "untracked"]
LOCAL = "10.0.0.2,2001:db8::2"


def ct_pred(r):
    k = r.randint(1, 3)
    s = r.sample(STATES, k)
    op = "!= " if r.random() < 0.25 else ""
    if k == 1 and r.random() < 0.5:
        return f"ct state {op}{s[0]}"
    if not op and r.random() < 0.5:
        return "ct state " + ",".join(s)
    return f"ct state {op}{{ {', '.join(s)} }}"


def other_pred(r):
    return r.choice([
        lambda: f"tcp dport {r.choice(['22', '80', '{ 80, 443 }', '1-1024', '40000-50000'])}",
        lambda: f"tcp sport {r.choice(['80', '22', '40000-65535'])}",
        lambda: f"udp dport {r.choice(['53', '123', '{ 53, 5353 }'])}",
        lambda: f"th dport {r.choice(['53', '80', '0-1023'])}",
        lambda: f"meta l4proto {r.choice(['tcp', 'udp', 'icmp', 'icmpv6', '{ tcp, udp }'])}",
        lambda: f"icmp type {r.choice(['echo-request', 'echo-reply', 'destination-unreachable', '{ 0, 8 }'])}",
        lambda: f"icmpv6 type {r.choice(['echo-request', 'echo-reply', 'nd-neighbor-solicit'])}",
        lambda: f"ip saddr {r.choice(['10.0.0.1', '10.0.0.2', '10.0.0.0/24', '192.0.2.254'])}",
        lambda: f"ip6 daddr {r.choice(['2001:db8::2', '2001:db8::/64'])}",
        lambda: f"tcp flags & (syn|ack) == {r.choice(['syn', 'ack', 'syn|ack'])}",
        lambda: f"meta protocol {r.choice(['ip', 'ip6', 'arp'])}",
    ])()


def rule(r, ct_bias):
    preds = []
    if r.random() < ct_bias:
        preds.append(ct_pred(r))
    for _ in range(r.choice([0, 0, 1, 1, 2])):
        preds.append(other_pred(r))
    r.shuffle(preds)
    act = r.choice(["accept", "drop", "counter accept", "counter drop", "counter"])
    return " ".join(preds + [act])


def policy(r):
    hook = r.choice(HOOKS)
    lines = [f"table t {{", f"    hook {hook}", f"    policy {r.choice(['accept', 'drop'])}"]
    body = [rule(r, 0.7) for _ in range(r.randint(1, 7))]
    chain = None
    if r.random() < 0.2:
        body.insert(r.randint(0, len(body)), f"{ct_pred(r)} jump c")
        chain = [rule(r, 0.5) for _ in range(r.randint(1, 3))] + ["return"]
    body.append(f"{ct_pred(r)} counter drop")  # every policy tests ct state
    lines += ["    " + b for b in body] + ["}"]
    if chain:
        lines += ["chain c {"] + ["    " + c for c in chain] + ["}"]
    return "\n".join(lines) + "\n"


def stories(r):
    """Flows as mkflows specs (in = peer -> host), interleaved."""
    out = []
    for _ in range(r.randint(4, 10)):
        v = r.choice(["", "", "6"])
        i, o = "in" + v, "out" + v
        kind = r.choice(["tcp", "tcp", "udp", "ping", "err", "misc"])
        hp, pp = r.choice([40000, 40001, 40002]), r.choice([22, 80, 443, 53])
        if kind == "tcp":
            a, b = (o, i) if r.random() < 0.5 else (i, o)
            sp, dp = (hp, pp) if a.startswith("out") else (r.choice([50000, 50001]), pp)
            s = [f"{a}:tcp:{sp}:{dp}:S"]
            s.append(f"{b}:tcp:{dp}:{sp}:" + r.choice(["SA", "SA", "SA", "RA", "A"]))
            for _ in range(r.randint(0, 4)):
                d = r.choice([(a, sp, dp), (b, dp, sp)])
                s.append(f"{d[0]}:tcp:{d[1]}:{d[2]}:" + r.choice(["A", "PA", "FA", "R", "S", "0"]))
            if r.random() < 0.3:
                s.insert(0, f"{a}:tcp:{sp}:{dp}:A")  # a probe before the handshake
        elif kind == "udp":
            a, b = (o, i) if r.random() < 0.5 else (i, o)
            s = [f"{a}:udp:{hp}:{pp}"] + [r.choice([f"{b}:udp:{pp}:{hp}", f"{a}:udp:{hp}:{pp}"])
                                          for _ in range(r.randint(0, 3))]
        elif kind == "ping":
            a, b = (o, i) if r.random() < 0.5 else (i, o)
            idn = r.choice([1, 2, 3])
            s = [f"{a}:echo:{idn}"] if r.random() < 0.8 else []
            s += [r.choice([f"{b}:reply:{idn}", f"{a}:reply:{idn}", f"{b}:echo:{idn}",
                            f"{a}:echo:{idn}"]) for _ in range(r.randint(1, 3))]
        elif kind == "err":
            q = r.choice([f"udp:{hp}:{pp}", f"tcp:{hp}:{pp}", f"echo:{r.choice([1, 2, 3])}",
                          f"udp:{pp}:{hp}"])
            t = r.choice(["3", "11", "12", "4"] if not v else ["1", "2", "3", "4"])
            first = [f"{o}:{q.replace('echo', 'echo')}"] if r.random() < 0.6 and not q.startswith("udp:5") else []
            s = first + [f"{r.choice([i, o])}:err:{t}:{q}"]
        else:
            s = [r.choice(["arp", f"{i}:frag:udp:53:{hp}", f"{i}:icmp:{r.choice([13, 9, 135 if v else 5])}",
                           f"{o}:frag:udp:{hp}:53"])]
        out.append(s)
    merged = []
    while any(out):
        k = r.choice([x for x in out if x])
        merged.append(k.pop(0))
    return merged


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sluice")
    ap.add_argument("load")
    ap.add_argument("mkflows")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policies", type=int, default=100)
    ap.add_argument("--out")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (BPF_PROG_TEST_RUN)")
        return 1 if os.environ.get("SLUICE_REQUIRE_KERNEL") == "1" else 77
    tmp = tempfile.mkdtemp(prefix="sluice-ct-fuzz-")
    mism = broken = packets = verdicts = 0
    states = {}
    for n in range(a.policies):
        r = random.Random(a.seed + n)
        pol, specs = policy(r), stories(r)
        pf, pc = os.path.join(tmp, "p.sluice"), os.path.join(tmp, "f.pcap")
        open(pf, "w").write(pol)
        rc, _, err = run([a.mkflows, pc] + specs)
        if rc:
            print(f"seed {a.seed + n}: mkflows failed: {err}", file=sys.stderr)
            broken += 1
            continue
        rc, want, err = run([a.sluice, "run", "-q", pf, "--pcap", pc, "--local", LOCAL])
        if rc:
            print(f"seed {a.seed + n}: sluice run failed ({rc}): {err}\n{pol}", file=sys.stderr)
            broken += 1
            continue
        packets += len(specs)
        for O in (0, 1, 2):
            obj = os.path.join(tmp, f"p{O}.o")
            rc, _, err = run([a.sluice, "build", "-q", f"-O{O}", "--record-decisions", pf, "-o", obj])
            if rc:
                print(f"seed {a.seed + n} -O{O}: build failed: {err}\n{pol}", file=sys.stderr)
                broken += 1
                continue
            rc, got, err = run([a.load, "run", obj, "--pcap", pc, "--local", LOCAL])
            if rc:
                print(f"seed {a.seed + n} -O{O}: sluice-load run failed: {err}\n{pol}", file=sys.stderr)
                broken += 1
                continue
            verdicts += len(specs)
            if got != want:
                mism += 1
                print(f"MISMATCH seed {a.seed + n} -O{O}\n{pol}packets: {' '.join(specs)}", file=sys.stderr)
                for x, y in zip(want.splitlines(), got.splitlines()):
                    if x != y:
                        print(f"  interp: {x}\n  kernel: {y}", file=sys.stderr)
        if (n + 1) % 100 == 0:
            print(f"{n + 1} policies, {mism} mismatches, {broken} broken", file=sys.stderr)
    line = (f"ct fuzz seed={a.seed} policies={a.policies} packets={packets} "
            f"verdicts(kernel, all levels)={verdicts} mismatches={mism} broken={broken}")
    print(line)
    if a.out:
        with open(a.out, "w") as f:
            f.write(line + "\n")
    subprocess.run(["rm", "-rf", tmp])
    return 1 if mism or broken else 0


if __name__ == "__main__":
    sys.exit(main())
