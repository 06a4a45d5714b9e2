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

With --mix PCT, PCT % of the policies also declare named sets (some given
other contents at run time with --set, in both runs), and their rules test
them, with limits, meters and logs (objects built with --test-clock: the
capture's timestamps, 1 ms apart, are both sides' clock) and, on tc, `accept
next`: ct state's stack area, the limits' slots and the set keys in one
program. --classifier MODE builds every object with that classifier mode.

usage: fuzz.py SLUICE SLUICE_LOAD MKFLOWS --seed S --policies N [--mix PCT]
               [--classifier MODE] [--out FILE]
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


# --mix: named sets over the flows' addresses and ports (host 10.0.0.2 and
# 2001:db8::2, peer 10.0.0.1 and 2001:db8::1; ports from stories())
SETS = {
    "a4": ("ipv4_addr", ["10.0.0.1", "10.0.0.2", "10.0.0.0/30", "192.0.2.0/24", "10.0.0.1-10.0.0.2"]),
    "a6": ("ipv6_addr", ["2001:db8::1", "2001:db8::2", "2001:db8::/126", "2001:db8:1::/48"]),
    "sv": ("inet_service", ["22", "53", "80", "443", "40000", "40001-40002", "50000-50001"]),
    "pr": ("inet_proto", ["tcp", "udp", "icmp", "icmpv6"]),
    "ap": ("ipv4_addr . inet_service", ["10.0.0.1 . 22", "10.0.0.2 . 80", "10.0.0.1 . 53",
                                        "10.0.0.2 . 443", "10.0.0.2 . 40000"]),
}
RANGES = ("/", "-")  # elements that need `flags interval`
SET_MATCH = {
    "a4": ["ip saddr", "ip daddr"],
    "a6": ["ip6 saddr", "ip6 daddr"],
    "sv": ["tcp dport", "tcp sport", "udp dport", "th dport", "th sport"],
    "pr": ["meta l4proto"],
    "ap": ["ip saddr . tcp dport", "ip daddr . th dport", "ip saddr . udp dport"],
}
METER_KEYS = ["ip saddr", "ip daddr", "ip saddr . tcp dport", "ip6 saddr/64", "th dport",
              "ip saddr . th sport"]


def gen_sets(r):
    """[(name, declaration, runtime elements or None)]"""
    out = []
    for name in r.sample(sorted(SETS), r.randint(1, 3)):
        typ, pool = SETS[name]
        elems = r.sample(pool, r.randint(0, min(3, len(pool))))
        interval = any(c in e for e in pool for c in RANGES) and r.random() < 0.7
        if not interval:
            elems = [e for e in elems if not any(c in e for c in RANGES)]
        d = [f"set {name} {{", f"    type {typ}"]
        if interval:
            d.append("    flags interval")
        if not elems or r.random() < 0.5:
            d.append(f"    size {r.choice([16, 64, 1024])}")  # room for any prefix's pieces
        if elems:
            d.append(f"    elements = {{ {', '.join(elems)} }}")
        d.append("}")
        rt = None
        if r.random() < 0.3:
            rt = r.sample([e for e in pool if interval or not any(c in e for c in RANGES)],
                          r.randint(0, 2))
        out.append((name, "\n".join(d), rt))
    return out


def set_pred(r, sets):
    name = r.choice(sets)[0]
    return f"{r.choice(SET_MATCH[name])} {'!= ' if r.random() < 0.25 else ''}@{name}"


def stateful(r):
    """a limit (maybe a meter) and/or a log: small rates, the 1 ms clock crosses them"""
    x = []
    roll = r.random()
    if roll < 0.8:
        over = "over " if r.random() < 0.4 else ""
        if r.random() < 0.2:
            x.append(f"limit rate {over}{r.randint(100, 3000)} bytes/second burst {r.randint(60, 400)} bytes")
        else:
            x.append(f"limit rate {over}{r.randint(1, 50)}/{r.choice(['second', 'minute'])} "
                     f"burst {r.randint(1, 5)} packets")
        if r.random() < 0.4:
            x[-1] += f" per {r.choice(METER_KEYS)}"
    if roll >= 0.6:
        x.append(f"log prefix \"l{r.randint(0, 99)}\"" + (" every 1ms" if r.random() < 0.5 else ""))
    return x


def rule(r, ct_bias, sets=None, limit_pct=0.0):
    preds = []
    if r.random() < ct_bias:
        preds.append(ct_pred(r))
    for _ in range(r.choice([0, 0, 1, 1, 2])):
        preds.append(other_pred(r))
    if sets and r.random() < 0.5:
        preds.append(set_pred(r, sets))
    r.shuffle(preds)
    act = r.choice(["accept", "drop", "counter accept", "counter drop", "counter"])
    if limit_pct and r.random() < limit_pct:
        # a limit is a match written among the actions, before counter, log and the verdict
        st = stateful(r)
        lim = [x for x in st if x.startswith("limit")]
        logs = [x for x in st if x.startswith("log")]
        words = act.split()
        verdict = [w for w in words if w != "counter"]
        act = " ".join(lim + (["counter"] if "counter" in words else []) + logs + verdict)
    return " ".join(preds + [act])


def policy(r, mix=0.0):
    hook = r.choice(HOOKS)
    mixed = mix > 0 and r.random() < mix  # no draw without --mix: the old streams
    sets = gen_sets(r) if mixed else None
    lim = 0.35 if mixed else 0.0
    lines = [f"table t {{", f"    hook {hook}", f"    policy {r.choice(['accept', 'drop'])}"]
    if mixed and hook.startswith("tc") and r.random() < 0.5:
        lines.append("    accept next")
    body = [rule(r, 0.7, sets, lim) for _ in range(r.randint(1, 7))]
    chain = None
    if r.random() < 0.2:
        body.insert(r.randint(0, len(body)), f"{ct_pred(r)} jump c")
        chain = [rule(r, 0.5, sets, lim) for _ in range(r.randint(1, 3))] + ["return"]
    body.append(f"{ct_pred(r)} counter drop")  # every policy tests ct state
    lines += ["    " + b for b in body] + ["}"]
    if chain:
        lines += ["chain c {"] + ["    " + c for c in chain] + ["}"]
    head = [d for _, d, _ in sets] if sets else []
    runtime = {n: rt for n, _, rt in sets if rt is not None} if sets else {}
    return "\n".join(head + lines) + "\n", runtime


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
    ap.add_argument("--mix", type=int, default=0)
    ap.add_argument("--classifier")
    ap.add_argument("--out")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (BPF_PROG_TEST_RUN)")
        return 1 if os.environ.get("SLUICE_REQUIRE_KERNEL") == "1" else 77
    tmp = tempfile.mkdtemp(prefix="sluice-ct-fuzz-")
    mism = broken = packets = verdicts = mixed = 0
    for n in range(a.policies):
        r = random.Random(a.seed + n)
        if a.mix:
            pol, runtime = policy(r, a.mix / 100.0)
        else:  # the same policies and flows as before --mix
            pol, runtime = policy(r)[0], {}
        specs = stories(r)
        mixed += pol.startswith("set ")
        setargs = []
        for name, elems in runtime.items():
            sf = os.path.join(tmp, f"set-{name}.txt")
            open(sf, "w").write("".join(e + "\n" for e in elems))
            setargs += ["--set", f"{name}={sf}"]
        build_opts = ["--test-clock"] if a.mix else []
        if a.classifier:
            build_opts.append(f"--classifier={a.classifier}")
        pf, pc = os.path.join(tmp, "p.sluice"), os.path.join(tmp, "f.pcap")
        open(pf, "w").write(pol)
        rc, _, err = run([a.mkflows, pc] + specs)
        if rc:
            print(f"seed {a.seed + n}: mkflows failed: {err}", file=sys.stderr)
            broken += 1
            continue
        rc, want, err = run([a.sluice, "run", "-q", pf, "--pcap", pc, "--local", LOCAL] + setargs)
        if rc:
            print(f"seed {a.seed + n}: sluice run failed ({rc}): {err}\n{pol}", file=sys.stderr)
            broken += 1
            continue
        packets += len(specs)
        for O in (0, 1, 2):
            obj = os.path.join(tmp, f"p{O}.o")
            rc, _, err = run([a.sluice, "build", "-q", f"-O{O}", "--record-decisions", pf, "-o", obj]
                             + build_opts)
            if rc:
                print(f"seed {a.seed + n} -O{O}: build failed: {err}\n{pol}", file=sys.stderr)
                broken += 1
                continue
            rc, got, err = run([a.load, "run", obj, "--pcap", pc, "--local", LOCAL] + setargs)
            if rc:
                print(f"seed {a.seed + n} -O{O}: sluice-load run failed: {err}\n{pol}", file=sys.stderr)
                broken += 1
                continue
            verdicts += len(specs)
            if got != want:
                mism += 1
                print(f"MISMATCH seed {a.seed + n} -O{O}\n{pol}packets: {' '.join(specs)}", file=sys.stderr)
                for name, elems in runtime.items():
                    print(f"  --set {name}: {' '.join(elems)}", file=sys.stderr)
                for x, y in zip(want.splitlines(), got.splitlines()):
                    if x != y:
                        print(f"  interp: {x}\n  kernel: {y}", file=sys.stderr)
        if (n + 1) % 100 == 0:
            print(f"{n + 1} policies, {mism} mismatches, {broken} broken", file=sys.stderr)
    line = (f"ct fuzz seed={a.seed} policies={a.policies}"
            + (f" mix={a.mix} mixed={mixed}" if a.mix else "")
            + (f" classifier={a.classifier}" if a.classifier else "")
            + f" packets={packets} "
            f"verdicts(kernel, all levels)={verdicts} mismatches={mism} broken={broken}")
    print(line)
    if a.out:
        with open(a.out, "w") as f:
            f.write(line + "\n")
    subprocess.run(["rm", "-rf", tmp])
    return 1 if mism or broken else 0


if __name__ == "__main__":
    sys.exit(main())
