iptables --hook INPUT=xdp --hook FORWARD=none --hook OUTPUT=cgroup_skb egress
