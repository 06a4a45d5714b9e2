iptables --skip-unsupported --hook FORWARD=none
