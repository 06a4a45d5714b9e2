iptables --skip-unsupported
