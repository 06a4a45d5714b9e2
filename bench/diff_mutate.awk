# Ten rules changed, spread over the table: 4 verdicts flipped, 3 ports widened, 2 removed, 1 added.
BEGIN { n = 0 }
/^\t(ip|ip6|meta|tcp|udp)/ { n++
  if (n % STEP == 1 && k < 10) { k++
    if (k <= 4) { if (sub(/ accept$/, " drop")) {} else sub(/ drop$/, " accept") }
    else if (k <= 7) { if (!sub(/dport [0-9]+ /, "dport 1000-2000 ")) sub(/ (accept|drop)$/, " tcp dport 7000-7100&") }
    else if (k <= 9) next
    else { print "\tip saddr 10.0.0.0/8 tcp dport 3389 accept" }
  }
}
{ print }
