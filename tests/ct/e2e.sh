#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The host firewall of issue 19 on a server, end to end: two network
# namespaces joined by a veth pair, the policy (tests/ct/policy-host.sluice
# with the client outside the admin range) attached by sluice-load on the
# server's side with its companion, real traffic:
#   - an outgoing TCP connection and an outgoing UDP exchange succeed;
#   - an incoming connection to a closed port fails, one to port 80 works;
#   - an ACK-only probe is dropped as invalid (its rule counts it);
#   - pings are answered only when the server pinged first;
#   - detach removes table and companion; nothing is left.
# Usage: e2e.sh SLUICE SLUICE_LOAD HELPER SRCDIR HOOK (xdp | tc | tc-legacy)
set -uo pipefail
sluice=$1 SLUICE_LOAD=$2 HELPER=$3 src=$4 hook=$5
OBJDIR=/nonexistent
. "$src/../loader/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
ip netns add "$NS_A" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$NS_B" || skip "cannot create network namespaces"
setup_veth || { fail "veth"; finish; }
SERVER=$NS_A CLIENT=$NS_B

mode=()
case $hook in
xdp) target=(--xdp "$DEV_A") h="xdp" ;;
tc) target=(--tc "$DEV_A" ingress) h="tc ingress" ;;
tc-legacy) target=(--tc "$DEV_A" ingress) h="tc ingress" mode=(--tc-legacy) ;;
esac
sed "s/HOOK/$h/; s|10.0.0.0/24|192.0.2.0/24|" "$src/policy-host.sluice" > "$TMP/host.sluice"
"$sluice" build "$TMP/host.sluice" -o "$TMP/host.o" || { fail "build"; finish; }
"$SLUICE_LOAD" attach "$TMP/host.o" "${target[@]}" "${mode[@]}" --netns "$SERVER" || { fail "attach"; finish; }
"$SLUICE_LOAD" list | grep -q "tc egress" && ok "the companion is attached (tc egress)" ||
	fail "no companion in: $("$SLUICE_LOAD" list)"

py() { # NS CODE...: python3 in a namespace, 5 s at most
	local ns=$1
	shift
	timeout 5 ip netns exec "$ns" python3 -c "$*"
}

# A client listener on 8080 (TCP) and a UDP echo on 5353.
ip netns exec "$CLIENT" python3 -c "
import socket, threading
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(('0.0.0.0', 8080)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', 5353))
def udp():
    while True:
        d, a = u.recvfrom(100); u.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
def echo():
    e = socket.socket(); e.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    e.bind(('0.0.0.0', 8081)); e.listen()
    while True:
        c, _ = e.accept()
        threading.Thread(target=lambda c=c: [c.sendall(d) for d in iter(lambda: c.recv(100), b'')],
                         daemon=True).start()
threading.Thread(target=echo, daemon=True).start()
while True:
    c, _ = t.accept(); c.sendall(b'hello'); c.close()
" &
CLIENT_PID=$!
# Server listeners on 80 (allowed) and 9999 (not).
ip netns exec "$SERVER" python3 -c "
import socket, threading
def serve(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', p)); s.listen()
    while True:
        c, _ = s.accept(); c.sendall(b'web'); c.close()
threading.Thread(target=serve, args=(9999,), daemon=True).start()
serve(80)
" &
SERVER_PID=$!
trap 'kill $CLIENT_PID $SERVER_PID 2>/dev/null; cleanup' EXIT
sleep 1

got=$(py "$SERVER" "
import socket; s = socket.create_connection(('$IP_B', 8080), timeout=3); print(s.recv(10).decode())")
check "outgoing TCP connection from the server" hello "$got"
got=$(py "$SERVER" "
import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
u.sendto(b'ping', ('$IP_B', 5353)); print(u.recvfrom(10)[0].decode())")
check "outgoing UDP exchange from the server" ping "$got"
got=$(py "$CLIENT" "
import socket; s = socket.create_connection(('$IP_A', 80), timeout=3); print(s.recv(10).decode())")
check "incoming connection to port 80" web "$got"
got=$(py "$CLIENT" "
import socket
try:
    socket.create_connection(('$IP_A', 9999), timeout=2); print('connected')
except OSError:
    print('failed')")
check "incoming connection to closed port 9999" failed "$got"

# An ACK-only probe to port 80: invalid, dropped by `ct state invalid drop` (counted).
before=$("$SLUICE_LOAD" stats "${target[@]}" --netns "$SERVER" --json 2>/dev/null | tr -d ' \n')
py "$CLIENT" "
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
hdr = struct.pack('!HHIIBBHHH', 40123, 80, 1, 1, 0x50, 0x10, 1024, 0, 0)
src, dst = socket.inet_aton('$IP_B'), socket.inet_aton('$IP_A')
ph = src + dst + struct.pack('!BBH', 0, 6, len(hdr))
d = ph + hdr; x = sum(struct.unpack('!%dH' % (len(d) // 2), d)); x = (x >> 16) + (x & 0xffff)
hdr = hdr[:16] + struct.pack('!H', ~(x + (x >> 16)) & 0xffff) + hdr[18:]
for _ in range(3): s.sendto(hdr, ('$IP_A', 0))"
sleep 0.3
"$SLUICE_LOAD" stats "${target[@]}" --netns "$SERVER" > "$TMP/stats" 2>&1
invalid=$(grep 'ct state invalid' "$TMP/stats" | grep -o 'packets [0-9]*' | head -1 | cut -d' ' -f2)
[ "${invalid:-0}" -ge 3 ] && ok "ACK-only probe dropped as invalid ($invalid packets)" ||
	fail "ACK-only probe: invalid rule counted '${invalid:-}' (stats: $(cat "$TMP/stats"))"

ip netns exec "$CLIENT" ping -c1 -W1 "$IP_A" >/dev/null 2>&1 && fail "client's ping answered" ||
	ok "a ping from the client is not answered"
ip netns exec "$SERVER" ping -c2 -W1 "$IP_B" >/dev/null 2>&1 && ok "the server's ping is answered" ||
	fail "the server's ping got no reply"

# replace (the policy with one more rule): the flow table carries over, the server's
# established connection keeps working across it
sed 's/    tcp dport { 80, 443 } accept/    tcp dport { 80, 443, 8443 } accept/' "$TMP/host.sluice" > "$TMP/host2.sluice"
"$sluice" build "$TMP/host2.sluice" -o "$TMP/host2.o" || fail "build host2"
timeout 10 ip netns exec "$SERVER" python3 -c "
import socket, time
s = socket.create_connection(('$IP_B', 8081), timeout=3)
s.sendall(b'one'); a = s.recv(10)
time.sleep(3)
s.sendall(b'two'); b = s.recv(10)
print(a.decode() + b.decode())" > "$TMP/across" 2>&1 &
sleep 1
"$SLUICE_LOAD" replace "$TMP/host2.o" "${target[@]}" --netns "$SERVER" > "$TMP/replace.out" 2>&1 ||
	fail "replace: $(cat "$TMP/replace.out")"
wait %+ 2>/dev/null
check "a connection established before a replace works after it" onetwo "$(cat "$TMP/across")"
"$SLUICE_LOAD" list > "$TMP/list" 2>&1
[ "$(grep -c " host2 " "$TMP/list")" -ge 2 ] && ok "replace swapped table and companion" ||
	fail "after replace: $(cat "$TMP/list")"

"$SLUICE_LOAD" detach "${target[@]}" --netns "$SERVER" || fail "detach"
assert_clean "after detach"
ip netns exec "$CLIENT" ping -c1 -W1 "$IP_A" >/dev/null 2>&1 && ok "detached: pings pass again" ||
	fail "detached, but pings still fail"
finish
