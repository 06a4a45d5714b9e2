iptables --hook PREROUTING=xdp
