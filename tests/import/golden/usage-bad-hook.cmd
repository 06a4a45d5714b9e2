iptables --hook INPUT=nowhere
